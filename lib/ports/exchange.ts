/**
 * Where a stage that ends at an exchange sends its chunks (docs/decisions/0015): a Kinesis stream
 * with explicit hash keys on AWS, a log per partition in the object store locally. `put` resolves
 * once every record is durably in partition `partition`'s log (at least once: a retry may add a
 * copy, which the receiving stage drops); records of one call may land in any order.
 */
export interface ExchangeWriter {
  put(partition: number, records: readonly Uint8Array[]): Promise<void>;
}
