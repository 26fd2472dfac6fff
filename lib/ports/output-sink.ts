import type { BatchInfo } from '../core/pipeline/op-spec';

/** Where `print(n)` output goes: the live terminal view locally, the structured log on Lambda. */
export interface OutputSink {
  print(info: BatchInfo, operatorId: string, items: readonly unknown[], total: number): void;
}
