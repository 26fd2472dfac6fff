import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../../lib/adapters/local/memory-object-store';
import { ThrottledError } from '../../../../lib/core/errors';
import { FaultInjector } from '../../../helpers/faults/fault-injector';
import { crashAt, randomFaults, type FaultKind } from '../../../helpers/faults/fault-plan';
import { InjectedCrash, InjectedTimeout } from '../../../helpers/faults/injected-errors';
import { seededRandom } from '../../../helpers/run-cli';

const body = new Uint8Array([1]);
const only =
  (kind: FaultKind, n = 1) =>
  (call: { n: number }) =>
    call.n === n ? kind : undefined;

describe('FaultInjector', () => {
  describe('objects', () => {
    it('applies a call and then dies on crash-after, failing every later call', async () => {
      const inner = new MemoryObjectStore();
      const objects = new FaultInjector(crashAt(1, 'after')).objects(inner);
      await expect(objects.putIfAbsent('a', body)).rejects.toThrow(InjectedCrash);
      expect(await inner.get('a')).toEqual(body);
      await expect(objects.get('a')).rejects.toThrow(InjectedCrash);
    });

    it('never reaches the store on crash-before', async () => {
      const inner = new MemoryObjectStore();
      const injector = new FaultInjector(crashAt(1, 'before'));
      await expect(injector.objects(inner).putIfAbsent('a', body)).rejects.toThrow(InjectedCrash);
      expect(await inner.get('a')).toBeUndefined();
      expect(injector.dead).toBe(true);
    });

    it('lands a timed-out request only when released', async () => {
      const inner = new MemoryObjectStore();
      const injector = new FaultInjector(only('timeout'));
      await expect(injector.objects(inner).putIfAbsent('a', body)).rejects.toThrow(InjectedTimeout);
      expect(await inner.get('a')).toBeUndefined();
      await injector.release();
      expect(await inner.get('a')).toEqual(body);
    });

    it('holds a stalled call until released, then lets the invocation go on', async () => {
      const inner = new MemoryObjectStore();
      const injector = new FaultInjector(only('stall'));
      const objects = injector.objects(inner);
      const put = objects.putIfAbsent('a', body);
      await injector.whenStalled();
      expect(await inner.get('a')).toBeUndefined();
      await injector.release();
      expect(await put).toBe(true);
      expect(await objects.get('a')).toEqual(body);
    });

    it('throws a retryable ThrottledError on throttle and stays alive', async () => {
      const injector = new FaultInjector(only('throttle'));
      const objects = injector.objects(new MemoryObjectStore());
      await expect(objects.get('a')).rejects.toBeInstanceOf(ThrottledError);
      expect(await objects.get('a')).toBeUndefined();
      expect(injector.counts()).toMatchObject({ throttle: 1, 'crash-before': 0 });
    });
  });

  describe('sink', () => {
    it('fails a sink call on sink-error without calling the sink', async () => {
      const seen: unknown[][] = [];
      const sink = new FaultInjector(only('sink-error')).sink((items) => void seen.push(items));
      await expect(Promise.resolve(sink(['x'], { app: 'a', shardId: 's', batchNo: 1, batchTimeMs: 0, batchId: 'a/s/1' }))).rejects.toThrow(/sink failure/);
      expect(seen).toEqual([]);
    });
  });
});

describe('randomFaults', () => {
  it('draws sink-error for sink calls only, and only crashes or errors for metrics', () => {
    const plan = randomFaults(seededRandom(3), { 'sink-error': 0.5, stall: 0.5 });
    const kinds = (port: 'sink' | 'objects' | 'metrics') => new Set(Array.from({ length: 200 }, (_, n) => plan({ n, port, op: 'x', target: '' })));
    expect(kinds('objects')).toEqual(new Set(['stall', undefined]));
    expect(kinds('sink')).toEqual(new Set(['sink-error', 'stall']));
    expect(kinds('metrics')).toEqual(new Set([undefined]));
  });
});
