import { describe, expect, it } from 'vitest';
import { CorruptDataError } from '../../../../lib/core/errors';
import { INITIAL_PID_STATE } from '../../../../lib/core/rate/pid-state';
import { controlWrite, readControlItem, type ControlItem } from '../../../../lib/runtime/controller/control-item';

const item = (data: unknown, version = 3) => ({ pk: 'app#s1', sk: 'meta#control', version, data: JSON.stringify(data) });
const control: ControlItem = { rateLimit: 250, estimator: 'sluice', pid: INITIAL_PID_STATE, heartbeat: { atMs: 1, invocationId: 'i' } };

describe('readControlItem', () => {
  it('reads a missing item as no control and no version', () => {
    // Act / Assess
    expect(readControlItem(undefined)).toEqual({ control: undefined, version: undefined });
  });

  it('reads a hand-written item holding only a rate as a controller that has not estimated yet', () => {
    // Act
    const read = readControlItem(item({ rateLimit: 200 }));
    // Assess
    expect(read).toEqual({ version: 3, control: { rateLimit: 200, estimator: 'sluice', pid: INITIAL_PID_STATE, heartbeat: { atMs: -1, invocationId: '' } } });
  });

  it('reads back what the controller wrote', () => {
    // Prepare
    const write = controlWrite('app', 's1', control, 3);
    // Act
    const read = write.kind === 'put' ? readControlItem(write.item) : undefined;
    // Assess
    expect(read).toEqual({ control, version: 4 });
  });

  it('rejects a PID state of the wrong shape as corrupt data', () => {
    // Act / Assess
    expect(() => readControlItem(item({ rateLimit: 200, pid: { firstRun: 'no' } }))).toThrow(CorruptDataError);
  });
});

describe('controlWrite', () => {
  it.each([
    [undefined, { absent: true }, 1],
    [7, { version: 7 }, 8],
  ])('after version %s puts meta#control under condition %j at version %d', (previous, condition, version) => {
    // Act
    const write = controlWrite('app', 'shardId-1', control, previous);
    // Assess
    expect(write).toEqual({ kind: 'put', item: { pk: 'app#shardId-1', sk: 'meta#control', version, data: JSON.stringify(control) }, condition });
  });
});
