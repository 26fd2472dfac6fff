/** PutRecords accepts at most 500 records per request. */
export const PUT_RECORDS_MAX_RECORDS = 500;

/** PutRecords accepts at most 5 MiB per request, counting each record's data and partition key. */
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;

const encoder = new TextEncoder();

/**
 * Splits records, in order, into PutRecords requests (as lists of input indexes) that respect both
 * limits, filling each request greedily so a bulk load takes the fewest round trips. A record too
 * big for any request goes alone, for Kinesis to reject with its own message.
 */
export function packPutRecords(records: readonly { readonly partitionKey: string; readonly data: Uint8Array }[]): number[][] {
  const requests: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  records.forEach((record, index) => {
    const bytes = record.data.byteLength + encoder.encode(record.partitionKey).byteLength;
    if (current.length > 0 && (current.length === PUT_RECORDS_MAX_RECORDS || currentBytes + bytes > PUT_RECORDS_MAX_BYTES)) {
      requests.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(index);
    currentBytes += bytes;
  });
  if (current.length > 0) requests.push(current);
  return requests;
}
