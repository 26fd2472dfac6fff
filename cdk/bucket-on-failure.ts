import type { DlqDestinationConfig, IEventSourceDlq } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';

/**
 * Where Lambda writes a Kinesis batch that exhausted its retries, records included:
 * `aws/lambda/{mapping UUID}/{shard id}/YYYY/MM/DD/...` (the key layout is Lambda's, not ours).
 */
export const ON_FAILURE_PREFIX = 'aws/lambda/';

/**
 * The bucket as the event source mapping's on-failure destination, so a batch the processor could
 * not commit after its retries is kept (metadata and records) instead of discarded.
 *
 * Unlike the CDK's `S3OnFailureDestination`, it grants nothing: that one grants read and write
 * with wildcard actions on the whole bucket, where Lambda needs only `s3:PutObject` under
 * {@link ON_FAILURE_PREFIX} and `s3:ListBucket`, which the caller grants.
 */
export function bucketOnFailure(bucket: IBucket): IEventSourceDlq {
  return {
    bind: (): DlqDestinationConfig => ({ destination: bucket.bucketArn }),
  };
}
