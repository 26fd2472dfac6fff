import type { EsmSnapshot, EsmTuning } from './plan-esm-update';

/**
 * The controller's slow actuator: reads and retunes the processor's event source mapping. A port,
 * so the decision logic is tested with a fake and the AWS call lives in {@link LambdaEventSourceMappings}.
 */
export interface EventSourceMappings {
  /** Reads the mapping's state, BatchSize, batching window and last change. */
  get(uuid: string): Promise<EsmSnapshot>;
  /** Starts an asynchronous update of BatchSize and the batching window (it acts within ~90 s). */
  update(uuid: string, tuning: EsmTuning): Promise<void>;
}
