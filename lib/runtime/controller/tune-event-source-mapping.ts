import type { EventSourceMappings } from '../../ports/event-source-mappings';
import { planEsmUpdate, type EsmPlan, type EsmPlanInput } from './plan-esm-update';

/**
 * Reads the mapping, decides with {@link planEsmUpdate} and, when the plan says so, starts the
 * update. Returns the plan, for the log.
 */
export async function tuneEventSourceMapping(mappings: EventSourceMappings, uuid: string, input: Omit<EsmPlanInput, 'mapping'>): Promise<EsmPlan> {
  const mapping = await mappings.get(uuid);
  const plan = planEsmUpdate({ ...input, mapping });
  if (plan.action === 'update') await mappings.update(uuid, plan.desired);
  return plan;
}
