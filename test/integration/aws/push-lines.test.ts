import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { describeUnwritten, pushLines } from '../../../lib/cli/commands/push';
import { KinesisSource } from '../../../lib/adapters/aws/kinesis-source';
import { openLocalAwsApp } from '../../../lib/compose/local-aws-app';
import { interceptSend } from '../adapters/aws/intercept-send';
import { TestAwsApp, uniqueName } from './aws-app';

const endpoint = inject('awsEndpoint');
const streams = new TestAwsApp(endpoint);

beforeAll(async () => {
  await streams.create();
});

afterAll(async () => {
  await streams.destroy();
});

describe('pushLines', () => {
  it('writes one record per line, keyed by line number, and says nothing is missing', async () => {
    // Prepare
    const stream = await streams.stream(1);
    const app = openLocalAwsApp({ app: uniqueName('push'), endpoint });
    // Act
    const result = await pushLines(app, { stream, lines: ['a b', 'c', 'd e f'], keyBy: 'index', backpressure: true });
    // Assess
    const read = await new KinesisSource({ client: app.clients.kinesis, streamName: stream }).read('shardId-000000000000', undefined, 10);
    expect(read.records.map((r) => [r.partitionKey, new TextDecoder().decode(r.data)])).toEqual([
      ['line-0', 'a b'],
      ['line-1', 'c'],
      ['line-2', 'd e f'],
    ]);
    expect(describeUnwritten(result, 3)).toBeUndefined();
    app.clients.destroy();
  });

  it('reports how many records Kinesis finally refused, and which lines', async () => {
    // Prepare: Kinesis refuses lines 2 and 4 for good, inside an HTTP 200.
    const stream = await streams.stream(1);
    const app = openLocalAwsApp({ app: uniqueName('push'), endpoint });
    interceptSend(app.clients.kinesis, async (command, next, original) => {
      const output = (await next(original)) as { FailedRecordCount?: number; Records?: Array<Record<string, unknown>> };
      if (command.name !== 'PutRecordsCommand') return output;
      const records = (output.Records ?? []).map((r, i) => (i === 1 || i === 3 ? { ErrorCode: 'KMSAccessDeniedException', ErrorMessage: 'denied' } : r));
      return { ...output, FailedRecordCount: 2, Records: records };
    });
    // Act
    const result = await pushLines(app, { stream, lines: ['a', 'b', 'c', 'd', 'e'], keyBy: 'line', backpressure: false });
    // Assess
    expect(result).toMatchObject({ written: 3, failed: 2 });
    expect(describeUnwritten(result, 5)).toBe('2 of 5 records were not written (KMSAccessDeniedException ×2); lines 2, 4');
    app.clients.destroy();
  });
});
