import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import type { AwsClients } from '../../../lib/adapters/aws/aws-clients';
import { DynamoDbCheckpointStore } from '../../../lib/adapters/aws/dynamodb-checkpoint-store';
import { KinesisWriter } from '../../../lib/adapters/aws/kinesis-writer';
import { S3ObjectStore } from '../../../lib/adapters/aws/s3-object-store';
import { compilePipeline } from '../../../lib/core/engine/compile-pipeline';
import type { Stream } from '../../../lib/core/pipeline/stream';
import { createProcessorHandler, type ProcessorHandler, type ProcessorHandlerDeps } from '../../../lib/compose/create-processor-handler';
import { readMergedState, stateToJson } from '../../../lib/runtime/protocol/read-merged-state';
import { recordingMetrics, silentLogger } from '../../unit/functions/fixtures';
import { createTestAwsClients, uniqueName } from '../../helpers/moto';

/**
 * One checkpoint table and one WAL bucket on the test endpoint, shared by a test file; each test
 * takes its own app name, so its items and objects never meet another test's.
 */
export class TestAwsApp {
  readonly aws: AwsClients;
  readonly tableName = uniqueName('sluice-checkpoints');
  readonly bucketName = uniqueName('sluice-wal');
  readonly checkpoints: DynamoDbCheckpointStore;
  readonly objects: S3ObjectStore;
  readonly #streams: string[] = [];

  constructor(endpoint: string) {
    this.aws = createTestAwsClients(endpoint);
    this.checkpoints = new DynamoDbCheckpointStore({ client: this.aws.dynamodb, tableName: this.tableName });
    this.objects = new S3ObjectStore({ client: this.aws.s3, bucket: this.bucketName });
  }

  async create(): Promise<this> {
    await Promise.all([DynamoDbCheckpointStore.createTable(this.aws.dynamodb, this.tableName), S3ObjectStore.createBucket(this.aws.s3, this.bucketName)]);
    return this;
  }

  /** A new stream of `shards` shards, deleted by {@link destroy}. */
  async stream(shards: number): Promise<string> {
    const name = uniqueName('sluice-words');
    this.#streams.push(name);
    await KinesisWriter.createStream(this.aws.kinesis, name, shards);
    return name;
  }

  /** A processor "container" of `pipeline` for `app`: adapters on the test endpoint unless `deps` replaces them. */
  handler<T>(pipeline: Stream<T>, app: string, deps: Partial<ProcessorHandlerDeps> = {}): ProcessorHandler {
    return createProcessorHandler(pipeline, {
      env: { APP_NAME: app, TABLE_NAME: this.tableName, BUCKET_NAME: this.bucketName },
      clients: this.aws,
      logger: silentLogger(),
      metrics: recordingMetrics(),
      ...deps,
    });
  }

  /** The app's state merged across shards, as plain JSON. */
  async state<T>(pipeline: Stream<T>, app: string): Promise<Record<string, unknown>> {
    return stateToJson(await readMergedState(this.checkpoints, this.objects, app, compilePipeline(pipeline as Stream<unknown>)));
  }

  async destroy(): Promise<void> {
    await Promise.all(this.#streams.map((name) => this.aws.kinesis.send(new DeleteStreamCommand({ StreamName: name }))));
    this.aws.destroy();
  }
}

export { uniqueName };
