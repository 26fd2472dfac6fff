import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type BucketLocationConstraint,
  type S3Client,
} from '@aws-sdk/client-s3';
import { SluiceError, ThrottledError } from '../../core/errors';
import type { ObjectStore } from '../../ports/object-store';

/** Options of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /** A client the caller owns (see `createAwsClients`); the store never destroys it. */
  readonly client: S3Client;
  readonly bucket: string;
  /**
   * Folder inside the bucket under which every key lives; `/` is appended when missing.
   * @default '' (keys at the bucket root)
   */
  readonly prefix?: string;
  /**
   * Attempts of a create-only put that S3 answers with 409 ConditionalRequestConflict (a concurrent
   * write on the key), before re-checking whether the key exists.
   * @default 4
   */
  readonly conflictAttempts?: number;
  /** Waits between those attempts; tests pass a fake. @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** First backoff after a 409; doubled on each further conflict. */
const CONFLICT_BASE_DELAY_MS = 50;

/**
 * The object store on an S3 bucket. Create-only writes use `If-None-Match: *`, so of any number of
 * writers racing on a key exactly one creates it and the others get 412 — the WAL's allocation
 * record and the fence against zombie writers.
 *
 * @example
 * const store = new S3ObjectStore({ client: aws.s3, bucket: 'sluice-wal', prefix: 'wal' });
 */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly conflictAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    const prefix = options.prefix ?? '';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.conflictAttempts = options.conflictAttempts ?? 4;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Creates the bucket; an existing bucket owned by this account is fine. */
  static async createBucket(client: S3Client, bucket: string): Promise<void> {
    const region = await client.config.region();
    try {
      // us-east-1 is the one region that rejects an explicit LocationConstraint.
      await client.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      );
    } catch (error) {
      if (!(error instanceof Error && error.name === 'BucketAlreadyOwnedByYou')) throw error;
    }
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    let lastConflict: unknown;
    for (let attempt = 0; attempt < this.conflictAttempts; attempt++) {
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key), Body: body, IfNoneMatch: '*' }));
        return true;
      } catch (error) {
        if (statusOf(error) === 412) return false;
        if (statusOf(error) !== 409) throw translate(error);
        lastConflict = error;
        await this.sleep(CONFLICT_BASE_DELAY_MS * 2 ** attempt);
      }
    }
    // Conflicts all along: another writer kept the key busy. If it now exists, that writer won.
    if (await this.exists(key)) return false;
    throw new ThrottledError(`s3://${this.bucket}/${this.prefix}${key}: create-only put kept conflicting (409)`, { cause: lastConflict });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
      return Body === undefined ? new Uint8Array() : await Body.transformToByteArray();
    } catch (error) {
      if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
      throw translate(error);
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    if (end <= start) return new Uint8Array();
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key), Range: `bytes=${start}-${end - 1}` }));
      return Body === undefined ? new Uint8Array() : await Body.transformToByteArray();
    } catch (error) {
      if (error instanceof Error && error.name === 'NoSuchKey') return undefined;
      // A range that starts past the end of the object: nothing there.
      if (statusOf(error) === 416) return new Uint8Array();
      throw translate(error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) keys.push(object.Key.slice(this.prefix.length));
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (error) {
      throw translate(error);
    }
    // S3 already lists in UTF-8 byte order; sorting again keeps that order whatever an emulator does.
    return keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
    } catch (error) {
      throw translate(error);
    }
  }

  /** The object's S3 key. An empty key is refused: under a prefix it would name the folder itself. */
  private keyOf(key: string): string {
    if (key === '') throw new SluiceError(`s3://${this.bucket}/${this.prefix}: an object key must not be empty`);
    return this.prefix + key;
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw translate(error);
    }
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** S3 says "slow down" with 503 SlowDown once the SDK's own retries are spent. */
function translate(error: unknown): unknown {
  if (error instanceof Error && (error.name === 'SlowDown' || statusOf(error) === 503)) {
    return new ThrottledError(`S3 ${error.name}: ${error.message}`, { cause: error });
  }
  return error;
}
