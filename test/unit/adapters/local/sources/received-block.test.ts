import { describe, expect, it } from 'vitest';
import { CorruptDataError } from '../../../../../lib/core/errors';
import { decodeBlock, encodeBlock, firstSeqOfKey, receivedBlockKey } from '../../../../../lib/adapters/local/sources/received-block';

describe('receivedBlockKey', () => {
  it('pads the first seq to 20 digits so keys sort like seqs', () => {
    // Act
    const keys = [receivedBlockKey('app', 'stdin-0', 10), receivedBlockKey('app', 'stdin-0', 9)];

    // Assess
    expect(keys).toEqual(['received/app/stdin-0/00000000000000000010', 'received/app/stdin-0/00000000000000000009']);
    expect([...keys].sort()).toEqual([keys[1], keys[0]]);
    expect(keys.map(firstSeqOfKey)).toEqual([10, 9]);
  });
});

describe('decodeBlock', () => {
  it('reads back what encodeBlock wrote, binary data included', () => {
    // Prepare
    const body = encodeBlock([
      { seq: 7, arrivalMs: 1_000, data: new Uint8Array([0, 0xff, 0x0a]) },
      { seq: 8, arrivalMs: 1_001, data: new Uint8Array([]) },
    ]);

    // Act
    const records = decodeBlock('k', body, 'socket-0');

    // Assess
    expect(records.map((r) => ({ ...r, data: Array.from(r.data) }))).toEqual([
      { seq: '7', arrivalMs: 1_000, partitionKey: 'socket-0', data: [0, 0xff, 0x0a] },
      { seq: '8', arrivalMs: 1_001, partitionKey: 'socket-0', data: [] },
    ]);
  });

  it('stores one JSON line per record', () => {
    // Act
    const text = new TextDecoder().decode(encodeBlock([{ seq: 1, arrivalMs: 5, data: new TextEncoder().encode('hi') }]));

    // Assess
    expect(text).toBe('{"seq":"1","arrivalMs":5,"data":"aGk="}\n');
  });

  it('rejects a truncated block, naming the key and the line', () => {
    // Prepare
    const body = new TextEncoder().encode('{"seq":"1","arrivalMs":5,"data":"aGk="}\n{"seq":"2","arr');

    // Act + Assess
    expect(() => decodeBlock('received/a/s/1', body, 's')).toThrow(CorruptDataError);
    expect(() => decodeBlock('received/a/s/1', body, 's')).toThrow(/received\/a\/s\/1: line 2/);
  });

  it('rejects an empty block', () => {
    // Act + Assess
    expect(() => decodeBlock('k', new Uint8Array(0), 's')).toThrow(/no records/);
  });
});
