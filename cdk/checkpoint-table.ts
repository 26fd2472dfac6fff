import type { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

/**
 * The checkpoint table: offsets, state buckets, control and stats of every shard, in the layout of
 * `DynamoDbCheckpointStore` (`pk` S hash key, `sk` S range key, see lib/runtime/protocol/storage-keys.ts).
 *
 * Named, so the CLI (`sluice push`, `sluice status`) finds it from the app name. On-demand capacity,
 * since load follows the stream and a commit is one short transaction; point-in-time recovery,
 * since this table *is* the checkpoint; encrypted with the AWS managed KMS key.
 */
export function checkpointTable(scope: Construct, id: string, tableName: string, removalPolicy: RemovalPolicy): Table {
  return new Table(scope, id, {
    tableName,
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    sortKey: { name: 'sk', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.AWS_MANAGED,
    removalPolicy,
  });
}
