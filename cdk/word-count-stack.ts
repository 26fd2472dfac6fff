import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { StreamProcessor } from './stream-processor';

/** The example's pipeline module, named 'word-count'. */
export const WORD_COUNT_PIPELINE = fileURLToPath(new URL('../examples/word-count-per-shard.ts', import.meta.url));

/** Options of {@link WordCountStack}. */
export interface WordCountStackProps extends StackProps {
  /**
   * Delete the table, the bucket and the stream with the stack, for a demo or an emulator.
   * @default false - they are retained, as a checkpoint and a WAL should be
   */
  readonly destroyData?: boolean;
}

/**
 * The example app: `examples/word-count-per-shard.ts` (until the processor runs pipelines with exchanges) on a one-shard stream, its dashboard URL and the names
 * `sluice push` and `sluice status` need as outputs.
 */
export class WordCountStack extends Stack {
  readonly processor: StreamProcessor;

  constructor(scope: Construct, id: string, props: WordCountStackProps = {}) {
    super(scope, id, props);
    this.processor = new StreamProcessor(this, 'WordCount', {
      appName: 'word-count',
      pipeline: WORD_COUNT_PIPELINE,
      ...(props.destroyData ? { removalPolicy: RemovalPolicy.DESTROY } : {}),
    });
    new CfnOutput(this, 'StreamName', { value: this.processor.stream.streamName, description: 'sluice push --stream <this>' });
    new CfnOutput(this, 'TableName', { value: this.processor.table.tableName, description: 'checkpoints, state, control' });
    new CfnOutput(this, 'BucketName', { value: this.processor.bucket.bucketName, description: 'WAL, quarantine, failed batches' });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.processor.monitoring.dashboard.dashboardName}`,
    });
  }
}
