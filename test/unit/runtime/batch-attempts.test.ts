import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../lib/adapters/local/memory-checkpoint-store';
import { BatchAttempts } from '../../../lib/runtime/failures/batch-attempts';

describe('BatchAttempts', () => {
  describe('recordFailure', () => {
    it('counts the failures of one batch and restarts at 1 for the next batch', async () => {
      // Prepare
      const attempts = new BatchAttempts('app', new MemoryCheckpointStore());
      // Act
      const counts = [
        await attempts.recordFailure('s1', 4, 'boom', 0),
        await attempts.recordFailure('s1', 4, 'boom', 1),
        await attempts.recordFailure('s1', 5, 'boom', 2),
      ];
      // Assess
      expect(counts).toEqual([1, 2, 1]);
    });

    it('counts every one of concurrent failures, from instances that share nothing but the store', async () => {
      const store = new MemoryCheckpointStore();
      const counts = await Promise.all(Array.from({ length: 8 }, () => new BatchAttempts('app', store).recordFailure('s1', 1, 'boom', 0)));
      expect([...counts].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('keeps shards apart', async () => {
      const attempts = new BatchAttempts('app', new MemoryCheckpointStore());
      await attempts.recordFailure('s1', 1, 'boom', 0);
      expect(await attempts.recordFailure('s2', 1, 'boom', 0)).toBe(1);
    });
  });
});
