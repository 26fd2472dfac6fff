/** An event source mapping as the controller reads it (GetEventSourceMapping). */
export interface EsmSnapshot {
  /** `Enabled`, `Updating`, `Creating`, `Disabled`, ...: only an `Enabled` mapping is retuned. */
  readonly state: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowInSeconds: number;
  /** When the mapping last changed (any update or deploy), ms since the epoch; `undefined` when unknown. */
  readonly lastModifiedMs: number | undefined;
  /** The stream the mapping reads (its ARN), when known. */
  readonly eventSourceArn?: string;
}

/** The two settings the controller moves. */
export interface EsmTuning {
  readonly batchSize: number;
  readonly maximumBatchingWindowInSeconds: number;
}

/**
 * The controller's slow actuator: reads and retunes the processor's event source mapping. A port,
 * so the decision logic is tested with a fake and the AWS call lives in `LambdaEventSourceMappings` (lib/adapters/aws).
 */
export interface EventSourceMappings {
  /** Reads the mapping's state, BatchSize, batching window and last change. */
  get(uuid: string): Promise<EsmSnapshot>;
  /** Starts an asynchronous update of BatchSize and the batching window (it acts within ~90 s). */
  update(uuid: string, tuning: EsmTuning): Promise<void>;
}
