import type { CompiledPipeline } from '../../core/engine/compile-pipeline';
import type { CheckpointStore } from '../../ports/checkpoint-store';
import type { Clock } from '../../ports/clock';
import type { Metrics } from '../../ports/metrics';
import type { ObjectStore } from '../../ports/object-store';

/** What everything that runs or settles a batch of an app needs: the pipeline, the stores, a clock. */
export interface BatchDeps {
  readonly app: string;
  readonly pipeline: CompiledPipeline;
  readonly checkpoints: CheckpointStore;
  readonly objects: ObjectStore;
  readonly clock: Clock;
  readonly metrics?: Metrics;
}
