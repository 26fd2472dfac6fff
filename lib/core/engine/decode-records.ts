import type { InputFormat } from '../pipeline/op-spec';
import type { SourceRecord } from '../source-record';

/** A record that never reached the pipeline, and why. */
export interface UndecodableRecord {
  readonly index: number;
  readonly reason: string;
}

/** The pipeline's input for one batch: elements, their arrival times, and what could not be decoded. */
export interface DecodedBatch {
  readonly elements: unknown[];
  readonly arrivalsMs: number[];
  /** `recordIndex[i]` is the position in the batch's records of `elements[i]`. */
  readonly recordIndex: number[];
  readonly undecodable: UndecodableRecord[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Turns record bytes into pipeline elements. Invalid UTF-8, invalid JSON and records over
 * `maxRecordBytes` are reported as undecodable (to be quarantined), never thrown.
 */
export function decodeRecords(records: readonly SourceRecord[], format: InputFormat, maxRecordBytes: number): DecodedBatch {
  const elements: unknown[] = [];
  const arrivalsMs: number[] = [];
  const recordIndex: number[] = [];
  const undecodable: UndecodableRecord[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (record.data.byteLength > maxRecordBytes) {
      undecodable.push({ index: i, reason: `record of ${record.data.byteLength} bytes exceeds maxRecordBytes ${maxRecordBytes}` });
      continue;
    }
    let element: unknown;
    try {
      element = format === 'bytes' ? record.data : format === 'json' ? JSON.parse(utf8.decode(record.data)) : utf8.decode(record.data);
    } catch (error) {
      undecodable.push({ index: i, reason: `not valid ${format === 'json' ? 'JSON' : 'UTF-8'}: ${(error as Error).message}` });
      continue;
    }
    elements.push(element);
    arrivalsMs.push(record.arrivalMs);
    recordIndex.push(i);
  }
  return { elements, arrivalsMs, recordIndex, undecodable };
}
