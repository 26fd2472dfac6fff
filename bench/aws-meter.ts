import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';

/** One request as the meter saw it on the wire. */
export interface MeteredCall {
  readonly service: 'dynamodb' | 's3';
  readonly command: string;
  /** Bytes of the HTTP request body sent. */
  readonly requestBytes: number;
  /** Bytes of the response body, from its content-length. */
  readonly responseBytes: number;
  /** Write request units DynamoDB charges for the call (0 for S3 and reads). */
  readonly wru: number;
  /** Read request units DynamoDB charges for the call (strongly consistent: 1 per 4 KB read). */
  readonly rru: number;
  /** When the request left and its response was read (performance.now()). */
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * List prices used by the benches (us-east-1, on-demand; the research notes have the sources):
 * DynamoDB $0.625 per million write request units and $0.125 per million read request units
 * (after the November 2024 cut); S3 $0.005 per 1,000 PUT/LIST and $0.0004 per 1,000 GET; Lambda
 * $0.20 per million requests and $0.0000166667 per GB-second (x86). Kinesis Data Streams: $0.014
 * per million PUT payload units (25 KB each, a record's data and partition key rounded up) in
 * provisioned mode; $0.08 per GB ingested in on-demand mode, each record rounded up to 1 KB.
 */
export const PRICES = {
  dynamoWru: 0.625 / 1e6,
  dynamoRru: 0.125 / 1e6,
  s3Put: 0.005 / 1e3,
  s3Get: 0.0004 / 1e3,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000166667,
  kinesisPutPayloadUnit: 0.014 / 1e6,
  kinesisOnDemandGb: 0.08,
} as const;

/**
 * Meters every request of a DynamoDB or S3 client: the bytes it sent and received, and for
 * DynamoDB the request units it costs, computed by DynamoDB's rules from the items written (item
 * size = attribute names + values; a write costs 1 WRU per KB, a transactional one 2) and the bytes
 * read (a consistent read costs 1 RRU per 4 KB).
 */
export function meter(client: DynamoDBClient | S3Client, service: MeteredCall['service'], calls: MeteredCall[]): void {
  (client.middlewareStack as { add: (mw: unknown, options: { step: string; name: string; priority?: string }) => void }).add(
    (
      next: (args: {
        request: { body?: unknown; headers: Record<string, string> };
        input: Record<string, unknown>;
      }) => Promise<{ response?: { headers?: Record<string, string>; body?: unknown } }>,
      context: { commandName?: string },
    ) =>
      async (args: { request: { body?: unknown; headers: Record<string, string> }; input: Record<string, unknown> }) => {
        const command = (context.commandName ?? '?').replace(/Command$/, '');
        const body = args.request.body;
        const requestBytes =
          typeof body === 'string'
            ? Buffer.byteLength(body)
            : body instanceof Uint8Array
              ? body.byteLength
              : Number(args.request.headers['content-length'] ?? 0);
        const startMs = performance.now();
        const out = await next(args);
        const endMs = performance.now();
        const responseBytes = Number(out.response?.headers?.['content-length'] ?? 0);
        calls.push({
          service,
          command,
          requestBytes,
          responseBytes,
          wru: service === 'dynamodb' ? writeUnits(command, args.input) : 0,
          rru: service === 'dynamodb' ? readUnits(command, responseBytes) : 0,
          startMs,
          endMs,
        });
        return out;
      },
    { step: 'finalizeRequest', name: 'sluiceBenchMeter', priority: 'low' },
  );
}

type AttributeValue = { S?: string; N?: string; B?: Uint8Array; BOOL?: boolean; L?: AttributeValue[]; M?: Record<string, AttributeValue> };

/** DynamoDB's item size: the UTF-8 bytes of every attribute name plus its value's size. */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let n = 0;
  for (const [name, value] of Object.entries(item)) n += Buffer.byteLength(name) + valueBytes(value);
  return n;
}

function valueBytes(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  // Numbers: about one byte per two significant digits, plus one.
  if (v.N !== undefined) return Math.ceil(v.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined) return 1;
  if (v.L !== undefined) return 3 + v.L.reduce((n, x) => n + 1 + valueBytes(x), 0);
  if (v.M !== undefined) return 3 + itemBytes(v.M);
  return 1;
}

function writeUnits(command: string, input: Record<string, unknown>): number {
  if (command === 'TransactWriteItems') {
    let wru = 0;
    for (const entry of input.TransactItems as Array<{ Put?: { Item: Record<string, AttributeValue> }; ConditionCheck?: unknown; Delete?: unknown }>) {
      // Each item of a transaction costs two units per KB (rounded up); checks and deletes at least one KB.
      wru += 2 * Math.max(1, Math.ceil((entry.Put === undefined ? 0 : itemBytes(entry.Put.Item)) / 1024));
    }
    return wru;
  }
  if (command === 'PutItem') return Math.max(1, Math.ceil(itemBytes(input.Item as Record<string, AttributeValue>) / 1024));
  // An UpdateItem of a small counter item: one unit.
  if (command === 'UpdateItem' || command === 'DeleteItem') return 1;
  return 0;
}

function readUnits(command: string, responseBytes: number): number {
  if (command !== 'Query' && command !== 'GetItem') return 0;
  return Math.max(1, Math.ceil(responseBytes / 4096));
}

/** Sums of a set of calls. */
export function totals(calls: readonly MeteredCall[]): {
  dynamoCalls: number;
  dynamoBytes: number;
  wru: number;
  rru: number;
  s3Puts: number;
  s3Gets: number;
  s3Lists: number;
  s3Deletes: number;
  s3PutBytes: number;
  s3GetBytes: number;
} {
  const t = { dynamoCalls: 0, dynamoBytes: 0, wru: 0, rru: 0, s3Puts: 0, s3Gets: 0, s3Lists: 0, s3Deletes: 0, s3PutBytes: 0, s3GetBytes: 0 };
  for (const c of calls) {
    if (c.service === 'dynamodb') {
      t.dynamoCalls++;
      t.dynamoBytes += c.requestBytes;
      t.wru += c.wru;
      t.rru += c.rru;
    } else if (c.command === 'PutObject') {
      t.s3Puts++;
      t.s3PutBytes += c.requestBytes;
    } else if (c.command === 'GetObject') {
      t.s3Gets++;
      t.s3GetBytes += c.responseBytes;
    } else if (c.command === 'ListObjectsV2') t.s3Lists++;
    else if (c.command === 'DeleteObject') t.s3Deletes++;
  }
  return t;
}

/** Milliseconds during which at least one of `calls` was in flight: the time a batch waited on the services. */
export function waitedMs(calls: readonly MeteredCall[]): number {
  const sorted = [...calls].sort((a, b) => a.startMs - b.startMs);
  let total = 0;
  let from = -Infinity;
  let to = -Infinity;
  for (const c of sorted) {
    if (c.startMs > to) {
      if (to > from) total += to - from;
      from = c.startMs;
      to = c.endMs;
    } else to = Math.max(to, c.endMs);
  }
  if (to > from) total += to - from;
  return total;
}
