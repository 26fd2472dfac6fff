import { afterAll, describe, expect, inject, it } from 'vitest';
import { S3ObjectStore } from '../../../../lib/adapters/aws/s3-object-store';
import { OperatorState } from '../../../../lib/core/state/operator-state';
import { loadState } from '../../../../lib/runtime/protocol/state/load-state';
import { prepareStateWrite } from '../../../../lib/runtime/protocol/state/prepare-state-write';
import { EMPTY_MANIFEST } from '../../../../lib/runtime/protocol/state/state-manifest';
import { createTestAwsClients, uniqueName } from '../../../helpers/moto';

describe('state objects on S3 (moto)', () => {
  const aws = createTestAwsClients(inject('awsEndpoint'));
  afterAll(() => aws.destroy());

  it('loads back a snapshot written create-only, whole and by ranged GETs, to the same state in the same order', async () => {
    // Prepare: 40,000 keys in one snapshot, PUT create-only; a second PUT of it finds it there.
    const bucket = uniqueName('sluice-state');
    await S3ObjectStore.createBucket(aws.s3, bucket);
    const objects = new S3ObjectStore({ client: aws.s3, bucket });
    const warm = new OperatorState();
    for (let i = 0; i < 40_000; i++) warm.put(`key-${(i * 7919) % 40_000}`, { n: i, tag: 'v'.repeat(i % 20) }, 1_700_000_000_000 + i);
    const write = (await prepareStateWrite({
      app: 'app',
      shardId: 's1',
      batchNo: 1,
      manifest: EMPTY_MANIFEST,
      states: new Map([['op', warm]]),
      tagged: false,
    }))!;
    const first = await objects.putIfAbsent(write.key, write.body);
    const again = await objects.putIfAbsent(write.key, write.body);
    // Act
    const loaded = await Promise.all(
      [undefined, 32 * 1024, 40].map(async (rangeBytes) => {
        const cold = new OperatorState();
        await loadState({ objects, app: 'app', shardId: 's1', rangeBytes }, write.manifest, new Map([['op', cold]]));
        return [...cold.entries()].map(([k, e]) => [k, e.value, e.updatedAtMs]);
      }),
    );
    // Assess
    const expected = [...warm.entries()].map(([k, e]) => [k, e.value, e.updatedAtMs]);
    expect([first, again]).toEqual([true, false]);
    expect(loaded).toEqual([expected, expected, expected]);
  });
});
