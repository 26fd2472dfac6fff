import { describe, expect, it } from 'vitest';
import { OperatorState } from '../../../../lib/core/state/operator-state';

const keys = (s: OperatorState): string[] => [...s.entries()].map(([k]) => k);

describe('OperatorState', () => {
  describe('order', () => {
    it('keeps a key in place while it exists, appends new keys and drops removed ones', () => {
      // Prepare
      const s = new OperatorState();
      for (const k of ['a', 'b', 'c']) s.put(k, 1, 0);
      s.settle();
      // Act: b removed and set again in one batch; c removed; d new.
      s.delete('b');
      s.put('d', 4, 1);
      s.put('b', 2, 1);
      s.delete('c');
      // Assess: during the batch and after it settles.
      expect(keys(s)).toEqual(['a', 'b', 'd']);
      expect(s.size).toBe(3);
      s.settle();
      expect(keys(s)).toEqual(['a', 'b', 'd']);
      s.put('c', 3, 2);
      expect(keys(s)).toEqual(['a', 'b', 'd', 'c']);
    });

    it('lists a batch changes once each, in the order of their first change, removals as undefined', () => {
      const s = new OperatorState();
      s.put('a', 1, 0);
      s.put('b', 1, 0);
      s.settle();
      s.put('b', 2, 1);
      s.put('z', 9, 1);
      s.delete('a');
      s.put('b', 3, 1);
      expect([...s.changes()].map(([k, e]) => [k, e?.value])).toEqual([
        ['b', 3],
        ['z', 9],
        ['a', undefined],
      ]);
    });
  });

  describe('pairs', () => {
    it('hands out the same pair while a value stays, and a new one once it changes', () => {
      const s = new OperatorState();
      s.put('a', 1, 0);
      s.put('b', 1, 0);
      const first = s.pairs((k) => k);
      s.settle();
      s.put('b', 2, 1);
      const second = s.pairs((k) => k);
      expect(second[0]).toBe(first[0]);
      expect(second[1]).not.toBe(first[1]);
      expect(second).toEqual([
        ['a', 1],
        ['b', 2],
      ]);
    });

    it('never hands out again a pair a user function changed', () => {
      const s = new OperatorState();
      s.put('a', 1, 0);
      const [pair] = s.pairs((k) => k) as Array<[string, number]>;
      pair![1] = 100;
      expect(s.pairs((k) => k)).toEqual([['a', 1]]);
      expect(s.get('a')?.value).toBe(1);
    });
  });

  describe('accumulate', () => {
    it('folds a batch per key, keys with state first, then new keys in order of first value', () => {
      const s = new OperatorState();
      s.put('old', 10, 0);
      s.settle();
      for (const k of ['new1', 'old', 'new2', 'new1', 'old']) s.accumulateCount(k);
      const seen: Array<[string, unknown, unknown]> = [];
      s.drainAccumulators((acc, key, entry) => seen.push([key, acc, entry?.value]));
      expect(seen).toEqual([
        ['old', 2, 10],
        ['new1', 2, undefined],
        ['new2', 1, undefined],
      ]);
      // Drained: a second drain sees nothing.
      s.drainAccumulators(() => {
        throw new Error('nothing left');
      });
    });

    it('forgets the accumulators of a pass that is run again', () => {
      const s = new OperatorState();
      s.put('k', 1, 0);
      s.accumulate('k', 5, (a, b) => (a as number) + (b as number));
      s.accumulate('n', 5, (a, b) => (a as number) + (b as number));
      s.clearAccumulators();
      s.accumulate('k', 1, (a, b) => (a as number) + (b as number));
      const seen: Array<[string, unknown]> = [];
      s.drainAccumulators((acc, key) => seen.push([key, acc]));
      expect(seen).toEqual([['k', 1]]);
    });
  });
});
