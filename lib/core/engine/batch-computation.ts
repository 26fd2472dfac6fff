import type { OutputOp } from '../pipeline/op-spec';

/** What one batch produced, besides the state changes it left in the operator states. */
export interface BatchComputation {
  /** The elements each output operator saw, in pipeline order. */
  readonly outputs: OutputEmission[];
  /** Elements a user function threw on; each was left out of the batch and must be quarantined. */
  readonly failures: ElementFailure[];
}

export interface OutputEmission {
  readonly op: OutputOp;
  readonly items: unknown[];
}

/** A user function threw. `stage` 0 is the input: `index` is then the position of the source record. */
export interface ElementFailure {
  readonly stage: number;
  readonly index: number | undefined;
  readonly operator: string;
  readonly element: unknown;
  readonly error: unknown;
}
