import { describe, expect, it } from 'vitest';
import { KeyStateHandle } from '../../../../lib/core/window/key-state';

describe('KeyStateHandle', () => {
  describe('get', () => {
    it('returns the state when the key has one', () => {
      expect(new KeyStateHandle(3, true, false, 0).get()).toBe(3);
    });

    it('fails when the key has no state, pointing at getOption', () => {
      expect(() => new KeyStateHandle(undefined, false, false, 0).get()).toThrow(/use state.getOption\(\)/);
    });
  });

  describe('update', () => {
    it('sets the state and marks the handle changed', () => {
      const handle = new KeyStateHandle<number>(undefined, false, false, 0);
      handle.update(5);
      expect([handle.exists(), handle.get(), handle.changed]).toEqual([true, 5, true]);
    });

    it('rejects undefined, which would read as no state', () => {
      expect(() => new KeyStateHandle<number | undefined>(1, true, false, 0).update(undefined)).toThrow(/use state.remove\(\)/);
    });

    it('fails while the key is timing out', () => {
      expect(() => new KeyStateHandle(1, true, true, 0).update(2)).toThrow(/timing out/);
    });
  });

  describe('remove', () => {
    it('leaves the key without state', () => {
      const handle = new KeyStateHandle(1, true, false, 0);
      handle.remove();
      expect([handle.exists(), handle.getOption(), handle.changed]).toEqual([false, undefined, true]);
    });
  });

  describe('timestampMs', () => {
    it('returns the time the operator set for the current call', () => {
      const handle = new KeyStateHandle(1, true, false, 10);
      handle.timeMs = 42;
      expect(handle.timestampMs()).toBe(42);
    });
  });
});
