import { DeleteBucketCommand, DeleteObjectsCommand, HeadBucketCommand, ListObjectsV2Command, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { S3ObjectStore } from '../../../../lib/adapters/aws/s3-object-store';
import { ThrottledError } from '../../../../lib/core/errors';
import { describeObjectStoreContract } from '../../../helpers/object-store-contract';
import { createTestAwsClients, uniqueName } from '../../../helpers/moto';
import { interceptSend, namesOf } from './intercept-send';

const endpoint = inject('awsEndpoint');
const aws = createTestAwsClients(endpoint);
const bucket = uniqueName('sluice-wal');
let bucketReady: Promise<void> | undefined;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** One bucket for the file: each contract case writes under its own random key prefix. */
async function sharedBucket(): Promise<string> {
  await (bucketReady ??= S3ObjectStore.createBucket(aws.s3, bucket));
  return bucket;
}

afterAll(async () => {
  if (bucketReady) await emptyAndDelete(bucket);
  aws.destroy();
});

describeObjectStoreContract('S3ObjectStore (contract, moto)', async () => ({
  store: new S3ObjectStore({ client: aws.s3, bucket: await sharedBucket(), prefix: 'contract' }),
}));

/** S3's answer to a create-only put racing another write on the key. */
const conflict = (): S3ServiceException =>
  new S3ServiceException({
    name: 'ConditionalRequestConflict',
    $fault: 'client',
    $metadata: { httpStatusCode: 409 },
    message: 'A conflicting operation occurred',
  });

describe('S3ObjectStore', () => {
  describe('createBucket', () => {
    it('creates a bucket and accepts it existing', async () => {
      // Prepare
      const name = uniqueName('sluice-bucket');
      // Act
      await S3ObjectStore.createBucket(aws.s3, name);
      await S3ObjectStore.createBucket(aws.s3, name);
      // Assess
      await expect(aws.s3.send(new HeadBucketCommand({ Bucket: name }))).resolves.toBeDefined();
      await aws.s3.send(new DeleteBucketCommand({ Bucket: name }));
    });
  });

  describe('putIfAbsent', () => {
    it('answers the second create of a key with S3 412 Precondition Failed, returning false', async () => {
      // Prepare
      const client = createTestAwsClients(endpoint).s3;
      const store = new S3ObjectStore({ client, bucket: await sharedBucket() });
      const outcomes: unknown[] = [];
      interceptSend(client, (_command, next, original) =>
        next(original).then(
          (output) => (outcomes.push('created'), output),
          (error: unknown) => {
            outcomes.push((error as S3ServiceException).$metadata.httpStatusCode);
            throw error;
          },
        ),
      );
      const key = `${uniqueName('412')}/wal/00000000000000000001`;
      // Act
      const first = await store.putIfAbsent(key, bytes('allocated by the first invocation'));
      const second = await store.putIfAbsent(key, bytes('a zombie retry'));
      // Assess
      expect([first, second]).toEqual([true, false]);
      expect(outcomes).toEqual(['created', 412]);
      expect(new TextDecoder().decode(await store.get(key))).toBe('allocated by the first invocation');
      client.destroy();
    });

    it('lets exactly one of 20 writers on separate connections create a key', async () => {
      // Prepare: one client per writer, like 20 concurrent Lambda invocations.
      const clients = Array.from({ length: 20 }, () => createTestAwsClients(endpoint).s3);
      const stores = clients.map((client) => new S3ObjectStore({ client, bucket, prefix: 'race' }));
      await sharedBucket();
      const key = uniqueName('batch');
      // Act
      const created = await Promise.all(stores.map((store, i) => store.putIfAbsent(key, bytes(`writer ${i}`))));
      // Assess
      const winners = created.flatMap((won, i) => (won ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(new TextDecoder().decode(await stores[0]!.get(key))).toBe(`writer ${winners[0]}`);
      for (const client of clients) client.destroy();
    });

    it('retries a 409 ConditionalRequestConflict with growing delays, then creates', async () => {
      // Prepare
      const client = createTestAwsClients(endpoint).s3;
      const sleeps: number[] = [];
      const store = new S3ObjectStore({ client, bucket: await sharedBucket(), sleep: async (ms) => void sleeps.push(ms) });
      let conflicts = 2;
      const sent = interceptSend(client, async (_command, next, original) => {
        if (conflicts-- > 0) throw conflict();
        return next(original);
      });
      const key = uniqueName('conflict');
      // Act
      const created = await store.putIfAbsent(key, bytes('after two conflicts'));
      // Assess
      expect(created).toBe(true);
      expect(namesOf(sent)).toEqual(['PutObjectCommand', 'PutObjectCommand', 'PutObjectCommand']);
      expect(sleeps).toEqual([50, 100]);
      client.destroy();
    });

    it("returns false when conflicts persist and the other writer's object exists", async () => {
      // Prepare
      const rival = new S3ObjectStore({ client: aws.s3, bucket: await sharedBucket() });
      const key = uniqueName('conflict');
      await rival.putIfAbsent(key, bytes('the rival'));
      const client = createTestAwsClients(endpoint).s3;
      const store = new S3ObjectStore({ client, bucket, conflictAttempts: 3, sleep: async () => {} });
      const sent = interceptSend(client, async (command, next, original) => {
        if (command.name === 'PutObjectCommand') throw conflict();
        return next(original);
      });
      // Act
      const created = await store.putIfAbsent(key, bytes('mine'));
      // Assess
      expect(created).toBe(false);
      expect(namesOf(sent)).toEqual(['PutObjectCommand', 'PutObjectCommand', 'PutObjectCommand', 'HeadObjectCommand']);
      client.destroy();
    });

    it('rejects with a retryable ThrottledError when conflicts persist and no object appears', async () => {
      // Prepare
      const client = createTestAwsClients(endpoint).s3;
      const store = new S3ObjectStore({ client, bucket: await sharedBucket(), sleep: async () => {} });
      interceptSend(client, async (command, next, original) => {
        if (command.name === 'PutObjectCommand') throw conflict();
        return next(original);
      });
      // Act
      const put = store.putIfAbsent(uniqueName('conflict'), bytes('never stored'));
      // Assess
      await expect(put).rejects.toSatisfy((e) => e instanceof ThrottledError && e.retryable);
      client.destroy();
    });
  });

  describe('list', () => {
    it('keeps each store inside its prefix', async () => {
      // Prepare
      const tenant = uniqueName('tenant');
      const a = new S3ObjectStore({ client: aws.s3, bucket: await sharedBucket(), prefix: `${tenant}/a` });
      const b = new S3ObjectStore({ client: aws.s3, bucket, prefix: `${tenant}/b/` });
      // Act
      const created = [await a.putIfAbsent('wal/1', bytes('a')), await b.putIfAbsent('wal/1', bytes('b'))];
      // Assess
      expect(created).toEqual([true, true]);
      expect([await a.list(''), await b.list('wal/')]).toEqual([['wal/1'], ['wal/1']]);
      const raw = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${tenant}/` }));
      expect(raw.Contents?.map((o) => o.Key)).toEqual([`${tenant}/a/wal/1`, `${tenant}/b/wal/1`]);
    });

    it('follows continuation tokens past 1,000 keys', async () => {
      // Prepare
      const client = createTestAwsClients(endpoint).s3;
      const store = new S3ObjectStore({ client, bucket: await sharedBucket(), prefix: uniqueName('many') });
      const keys = Array.from({ length: 1_050 }, (_, i) => `wal/${String(i).padStart(5, '0')}`);
      for (let i = 0; i < keys.length; i += 50) {
        await Promise.all(keys.slice(i, i + 50).map((key) => store.putIfAbsent(key, bytes(key))));
      }
      const sent = interceptSend(client);
      // Act
      const listed = await store.list('wal/');
      // Assess
      expect(namesOf(sent)).toEqual(['ListObjectsV2Command', 'ListObjectsV2Command']);
      expect(listed).toEqual(keys);
      client.destroy();
    });
  });
});

async function emptyAndDelete(name: string): Promise<void> {
  for (;;) {
    const page = await aws.s3.send(new ListObjectsV2Command({ Bucket: name }));
    const objects = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
    if (objects.length === 0) break;
    await aws.s3.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: objects } }));
  }
  await aws.s3.send(new DeleteBucketCommand({ Bucket: name }));
}
