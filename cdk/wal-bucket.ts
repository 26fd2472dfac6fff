import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** Options of {@link walBucket}. */
export interface WalBucketOptions {
  /** Days after which objects under `wal/` (and their old versions) expire. */
  readonly walRetentionDays: number;
  /** Keep old object versions. */
  readonly versioned: boolean;
  readonly removalPolicy: RemovalPolicy;
}

/** The key prefix the lifecycle rule expires: every WAL object, of every app (lib/runtime/protocol/storage-keys.ts). */
export const WAL_PREFIX = 'wal/';

/**
 * The bucket of the write-ahead log, quarantined records and the event source mapping's failed
 * batches. Encrypted (SSE-S3), no public access, TLS 1.2+ only, bucket-owner-enforced ownership.
 * Only `wal/` expires: quarantine and failed batches wait for a human to look at them.
 */
export function walBucket(scope: Construct, id: string, options: WalBucketOptions): Bucket {
  const expiry = Duration.days(options.walRetentionDays);
  return new Bucket(scope, id, {
    encryption: BucketEncryption.S3_MANAGED,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: options.versioned,
    lifecycleRules: [
      {
        id: 'expire-wal',
        prefix: WAL_PREFIX,
        expiration: expiry,
        // A versioned bucket keeps an expired object as a noncurrent version: expire those too.
        ...(options.versioned ? { noncurrentVersionExpiration: expiry } : {}),
      },
    ],
    removalPolicy: options.removalPolicy,
  });
}
