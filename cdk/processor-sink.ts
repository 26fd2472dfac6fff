import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

/** Options every {@link ProcessorSink} takes. */
export interface ProcessorSinkOptions {
  /**
   * A variable of the processor's environment set to the resource's name (a queue's URL), for the
   * pipeline to read, e.g. `process.env.TOTALS_TABLE`.
   * @default - none
   */
  readonly environmentVariable?: string;
}

/** What a sink needs on the processor: its statements and its environment. */
export interface ProcessorSinkBinding {
  readonly statements: readonly PolicyStatement[];
  readonly environment: Record<string, string>;
}

/**
 * A destination of one of the pipeline's `sluice/sinks`, passed to the `StreamProcessor` construct
 * (`sinks`), which grants the processor exactly the actions that sink calls, on that resource only,
 * and can hand its name to the pipeline through an environment variable.
 *
 * @example
 * new StreamProcessor(stack, 'Words', { appName: 'words', pipeline: 'src/words.ts',
 *   sinks: [ProcessorSink.dynamoDb(totals, { mode: 'upsert', environmentVariable: 'TOTALS_TABLE' })] });
 */
export class ProcessorSink {
  /**
   * `dynamoDbSink`: `BatchWriteItem` (mode `put`) or `UpdateItem` (mode `upsert`) on the table; with
   * a customer-managed key, `kms:Decrypt` and `kms:GenerateDataKey` on it.
   */
  static dynamoDb(table: ITable, options: ProcessorSinkOptions & { readonly mode?: 'put' | 'upsert' } = {}): ProcessorSink {
    return new ProcessorSink(() => ({
      statements: [
        new PolicyStatement({ actions: [options.mode === 'upsert' ? 'dynamodb:UpdateItem' : 'dynamodb:BatchWriteItem'], resources: [table.tableArn] }),
        ...(table.encryptionKey === undefined
          ? []
          : [new PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [table.encryptionKey.keyArn] })]),
      ],
      environment: env(options, table.tableName),
    }));
  }

  /**
   * `s3Sink`: `PutObject` on the app's keys under `prefix` only; with a customer-managed key,
   * `kms:GenerateDataKey` on it.
   */
  static s3(bucket: IBucket, options: ProcessorSinkOptions & { readonly prefix?: string } = {}): ProcessorSink {
    return new ProcessorSink((app) => ({
      statements: [
        new PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${options.prefix ?? ''}${app}/*`)] }),
        ...(bucket.encryptionKey === undefined ? [] : [new PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [bucket.encryptionKey.keyArn] })]),
      ],
      environment: env(options, bucket.bucketName),
    }));
  }

  /** `kinesisSink`: `PutRecords` on the stream; with a customer-managed key, `kms:GenerateDataKey` on it. */
  static kinesis(stream: IStream, options: ProcessorSinkOptions = {}): ProcessorSink {
    return new ProcessorSink(() => ({
      statements: [
        new PolicyStatement({ actions: ['kinesis:PutRecords'], resources: [stream.streamArn] }),
        ...(stream.encryptionKey === undefined ? [] : [new PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [stream.encryptionKey.keyArn] })]),
      ],
      environment: env(options, stream.streamName),
    }));
  }

  /**
   * `sqsSink`: `SendMessage` (which authorizes `SendMessageBatch`) on the queue; with a
   * customer-managed key, `kms:Decrypt` and `kms:GenerateDataKey` on it. The variable gets the URL.
   */
  static sqs(queue: IQueue, options: ProcessorSinkOptions = {}): ProcessorSink {
    return new ProcessorSink(() => ({
      statements: [
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
        ...(queue.encryptionMasterKey === undefined
          ? []
          : [new PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [queue.encryptionMasterKey.keyArn] })]),
      ],
      environment: env(options, queue.queueUrl),
    }));
  }

  private constructor(private readonly make: (app: string) => ProcessorSinkBinding) {}

  /** @internal Adds the sink's statements to `grantee`'s policy; returns its environment. */
  _bind(grantee: IGrantable, app: string): Record<string, string> {
    const { statements, environment } = this.make(app);
    for (const statement of statements) grantee.grantPrincipal.addToPrincipalPolicy(statement);
    return environment;
  }
}

function env(options: ProcessorSinkOptions, value: string): Record<string, string> {
  const name = options.environmentVariable;
  if (name === undefined) return {};
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new Error(`ProcessorSink.environmentVariable must be a variable name (letters, digits, '_'; given ${JSON.stringify(name)})`);
  return { [name]: value };
}
