import { Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import { StorageKeys } from '../lib/runtime/protocol/storage-keys';
import { ON_FAILURE_PREFIX } from './bucket-on-failure';
import type { StreamProcessor } from './stream-processor';
import { WAL_PREFIX } from './wal-bucket';

/**
 * Acknowledges the cdk-nag AwsSolutions findings a {@link StreamProcessor} keeps on purpose, each
 * with its reason, so `AwsSolutionsChecks` passes and a reviewer reads why. Everything else the
 * pack checks (encryption, TLS-only bucket, PITR, managed policies, runtime) is met, not waived.
 *
 * Uses CDK's own `Validations.acknowledge` (what cdk-nag 3 reads): no dependency on cdk-nag here.
 */
export function suppressStreamProcessorFindings(processor: StreamProcessor): void {
  const stack = Stack.of(processor);
  const bucketArn = `<${stack.resolve(stack.getLogicalId(processor.bucket.node.defaultChild as CfnResource))}.Arn>`;
  // Each stage's processor writes under its own app's prefixes ({app}.s{i} past stage 0).
  for (const { appName: app, processor: stageProcessor } of processor.stages) {
    const objectWildcard = (keys: string, why: string): void =>
      Validations.of(stageProcessor.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${bucketArn}/${keys}]`,
        reason: `Object keys under ${keys} are not known before a batch runs: ${why}. The actions are listed (no wildcard) and the prefix is this app's own.`,
      });
    objectWildcard(`${WAL_PREFIX}${app}/*`, 'one create-only WAL object per shard and batch, wal/{app}/{shard}/{batchNo}, read back on a retry');
    objectWildcard(`${StorageKeys.quarantinePrefix(app)}*`, 'one create-only object per quarantined record, keyed by shard, batch and position');
    objectWildcard(
      `${StorageKeys.statePrefix(app)}*`,
      'one create-only state delta or snapshot per shard and batch, state/{app}/{shard}/{batchNo}.{delta|snapshot}, deleted once a newer snapshot supersedes it',
    );
    objectWildcard(
      `${ON_FAILURE_PREFIX}*`,
      'Lambda itself names the on-failure objects aws/lambda/{mapping UUID}/{shard}/{date}/..., and the mapping UUID cannot appear in the role it depends on',
    );
  }
  Validations.of(processor.bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'Only the processor role writes this bucket, once per batch, create-only; server access logs would add a log object per request. ' +
      'Audit access with CloudTrail S3 data events when an audit is required.',
  });
}
