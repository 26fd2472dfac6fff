import { CreateEventSourceMappingCommand, CreateFunctionCommand, DeleteFunctionCommand } from '@aws-sdk/client-lambda';
import { DeleteStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { LambdaEventSourceMappings } from '../../../lib/adapters/aws/lambda-event-source-mappings';
import { tuneEventSourceMapping } from '../../../lib/runtime/controller/tune-event-source-mapping';
import { createTestAwsClients, uniqueName, createMotoRole } from '../../helpers/moto';

const endpoint = inject('awsEndpoint');
const aws = createTestAwsClients(endpoint);
const streamName = uniqueName('sluice-esm');
const functionName = uniqueName('sluice-processor');
const MINUTE = 60_000;
let uuid: string;

beforeAll(async () => {
  await KinesisWriter.createStream(aws.kinesis, streamName, 1);
  const { StreamDescriptionSummary } = await aws.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  // An empty zip: moto stores the code and never runs it (invoking would need Docker).
  const emptyZip = new Uint8Array([80, 75, 5, 6, ...new Array<number>(18).fill(0)]);
  await aws.lambda.send(
    new CreateFunctionCommand({
      FunctionName: functionName,
      Role: await createMotoRole(endpoint, uniqueName('sluice-role')),
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Code: { ZipFile: emptyZip },
    }),
  );
  const esm = await aws.lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: functionName,
      EventSourceArn: StreamDescriptionSummary!.StreamARN,
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
    }),
  );
  uuid = esm.UUID!;
});

afterAll(async () => {
  await aws.lambda.send(new DeleteFunctionCommand({ FunctionName: functionName }));
  await aws.kinesis.send(new DeleteStreamCommand({ StreamName: streamName }));
  aws.destroy();
});

describe('LambdaEventSourceMappings (moto)', () => {
  describe('get', () => {
    it('reads state, BatchSize, batching window and the last change of the mapping', async () => {
      // Act
      const snapshot = await new LambdaEventSourceMappings(aws.lambda).get(uuid);
      // Assess
      expect(snapshot).toMatchObject({ state: 'Enabled', batchSize: 100, maximumBatchingWindowInSeconds: 1 });
      expect(snapshot.lastModifiedMs).toBeGreaterThan(0);
    });

    it('rejects an unknown mapping with the SDK error unchanged', async () => {
      // Act / Assess
      await expect(new LambdaEventSourceMappings(aws.lambda).get('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
    });
  });

  describe('tuneEventSourceMapping', () => {
    it('retunes the mapping on a large change once the minimum interval passed, and only then', async () => {
      // Prepare
      const mappings = new LambdaEventSourceMappings(aws.lambda);
      const { lastModifiedMs } = await mappings.get(uuid);
      const input = { shardRates: [900, 1_500], batchIntervalMs: 1_000, batchingWindowSeconds: 1, minUpdateIntervalMs: 10 * MINUTE, changeFactor: 2 };
      // Act: just after the mapping was created, then eleven minutes later, then with a small change.
      const early = await tuneEventSourceMapping(mappings, uuid, { ...input, nowMs: lastModifiedMs! + MINUTE });
      const afterEarly = await mappings.get(uuid);
      const late = await tuneEventSourceMapping(mappings, uuid, { ...input, nowMs: lastModifiedMs! + 11 * MINUTE });
      const afterLate = await mappings.get(uuid);
      const small = await tuneEventSourceMapping(mappings, uuid, { ...input, shardRates: [2_000], nowMs: lastModifiedMs! + 30 * MINUTE });
      // Assess
      expect(early.action).toBe('keep');
      expect(afterEarly.batchSize).toBe(100);
      expect(late.action).toBe('update');
      expect(afterLate).toMatchObject({ batchSize: 1_500, maximumBatchingWindowInSeconds: 1 });
      expect(small.action).toBe('keep');
      expect((await mappings.get(uuid)).batchSize).toBe(1_500);
    });
  });
});
