import { encodeKey } from '../state/key-codec';
import { fnv1a } from '../util/fnv1a';
import type { ChunkOrigin } from './exchange-receiver';

/**
 * Chunk payloads stay under one Kinesis PUT payload unit (25 KB) when they can: a record is billed
 * per started 25 KB, so many small elements share one unit instead of paying one each.
 */
export const CHUNK_TARGET_BYTES = 24_000;

/**
 * The most bytes of JSON one element may take to cross an exchange: a Kinesis record holds 1 MiB
 * (data and partition key), less room for the chunk's header. The same everywhere, so a pipeline
 * behaves alike in local mode and on AWS.
 */
export const MAX_ELEMENT_BYTES = 1_048_576 - 4_096;

/** An element too big to cross the exchange: set aside (docs/decisions/0015). */
export interface OversizedElement {
  readonly partition: number;
  /** Its index among its partition's elements of the batch. */
  readonly index: number;
  readonly json: string;
  readonly bytes: number;
}

/**
 * Splits a batch's elements for each partition into those that fit in a chunk and those that do
 * not ({@link MAX_ELEMENT_BYTES}): an element is at fault, not the system, so it is set aside with
 * the reason rather than failing its batch again and again.
 */
export function withoutOversized(perPartition: readonly (readonly TimedElement[])[]): { fit: TimedElement[][]; oversized: OversizedElement[] } {
  const oversized: OversizedElement[] = [];
  const fit = perPartition.map((elements, partition) =>
    elements.filter((e, index) => {
      const json = jsonOf(e);
      // Characters first: a string of at most MAX / 4 characters cannot exceed MAX bytes of UTF-8.
      if (json.length <= MAX_ELEMENT_BYTES / 4) return true;
      const bytes = encoder.encode(json).length;
      if (bytes <= MAX_ELEMENT_BYTES) return true;
      oversized.push({ partition, index, json, bytes });
      return false;
    }),
  );
  return { fit, oversized };
}

/** One element crossing the exchange, with the time it carries (its record's arrival, or a window's end). */
export type TimedElement = readonly [element: unknown, timeMs: number];

/** A chunk as it travels: its origin and its elements. */
export interface ExchangeChunk extends ChunkOrigin {
  readonly elements: readonly TimedElement[];
}

/** The partition of `key` among `partitions`: a stable hash, the same in every process and stage. */
export function partitionOf(key: unknown, partitions: number): number {
  if (partitions === 1) return 0;
  return fnv1a(encodeKey(key)) % partitions;
}

/**
 * Cuts one batch's elements for each partition into chunks, in order, each with its index and the
 * count. A partition with no elements gets one empty chunk when `progress` is set (time flows
 * through the exchange, docs/decisions/0015), and none otherwise.
 */
export function buildChunks(input: {
  origin: string;
  batchNo: number;
  watermarkMs: number | null;
  /** The origin's event progress, for an event-time window after the exchange; undefined otherwise. */
  eventMs?: number | null;
  perPartition: readonly (readonly TimedElement[])[];
  progress: boolean;
  end?: boolean;
  /** With `end`: the children of a closed shard. */
  children?: readonly string[];
  targetBytes?: number;
}): ExchangeChunk[][] {
  const target = input.targetBytes ?? CHUNK_TARGET_BYTES;
  const partitions = input.perPartition.length;
  return input.perPartition.map((elements, partition) => {
    const groups: TimedElement[][] = [];
    let group: TimedElement[] = [];
    let bytes = 0;
    for (const e of elements) {
      const size = jsonOf(e).length + 1;
      if (group.length > 0 && bytes + size > target) {
        groups.push(group);
        group = [];
        bytes = 0;
      }
      group.push(e);
      bytes += size;
    }
    if (group.length > 0 || (groups.length === 0 && (input.progress || input.end === true))) groups.push(group);
    return groups.map((g, index) => ({
      origin: input.origin,
      batchNo: input.batchNo,
      index,
      count: groups.length,
      watermarkMs: input.watermarkMs,
      ...(input.end === true ? { end: true } : {}),
      ...(input.end === true && input.children !== undefined && input.children.length > 0 ? { children: input.children } : {}),
      ...(input.eventMs === undefined ? {} : { eventMs: input.eventMs }),
      partition: [partition, partitions] as const,
      elements: g,
    }));
  });
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A chunk's bytes: JSON, deterministic for deterministic elements (a re-run sends the same bytes). */
export function encodeChunk(chunk: ExchangeChunk): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      v: 1,
      o: chunk.origin,
      b: chunk.batchNo,
      i: chunk.index,
      n: chunk.count,
      w: chunk.watermarkMs,
      ...(chunk.end === true ? { x: 1 } : {}),
      ...(chunk.children === undefined ? {} : { c: chunk.children }),
      ...(chunk.eventMs === undefined ? {} : { t: chunk.eventMs }),
      ...(chunk.partition === undefined ? {} : { p: chunk.partition }),
      e: chunk.elements,
    }),
  );
}

/** Reads a chunk, or says why it is not one (it is then quarantined). */
export function decodeChunk(bytes: Uint8Array): ExchangeChunk | string {
  let x: unknown;
  try {
    x = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    return `not an exchange chunk: ${(error as Error).message}`;
  }
  const c = x as {
    v?: unknown;
    o?: unknown;
    b?: unknown;
    i?: unknown;
    n?: unknown;
    w?: unknown;
    x?: unknown;
    c?: unknown;
    t?: unknown;
    p?: unknown;
    e?: unknown;
  };
  const valid =
    c !== null &&
    typeof c === 'object' &&
    c.v === 1 &&
    typeof c.o === 'string' &&
    Number.isSafeInteger(c.b) &&
    (c.b as number) >= 1 &&
    Number.isSafeInteger(c.n) &&
    (c.n as number) >= 1 &&
    Number.isSafeInteger(c.i) &&
    (c.i as number) >= 0 &&
    (c.i as number) < (c.n as number) &&
    (c.w === null || (typeof c.w === 'number' && Number.isFinite(c.w))) &&
    (c.x === undefined || c.x === 1) &&
    (c.c === undefined || (c.x === 1 && Array.isArray(c.c) && c.c.every((child) => typeof child === 'string'))) &&
    (c.t === undefined || c.t === null || (typeof c.t === 'number' && Number.isFinite(c.t))) &&
    (c.p === undefined || isPartition(c.p)) &&
    Array.isArray(c.e) &&
    c.e.every((p) => Array.isArray(p) && p.length === 2 && typeof p[1] === 'number' && Number.isFinite(p[1]));
  if (!valid) return 'not an exchange chunk: missing or invalid fields (v, o, b, i, n, w, e)';
  return {
    origin: c.o as string,
    batchNo: c.b as number,
    index: c.i as number,
    count: c.n as number,
    watermarkMs: c.w as number | null,
    ...(c.x === 1 ? { end: true } : {}),
    ...(c.c === undefined ? {} : { children: c.c as string[] }),
    ...(c.t === undefined ? {} : { eventMs: c.t as number | null }),
    ...(c.p === undefined ? {} : { partition: c.p as [number, number] }),
    elements: c.e as TimedElement[],
  };
}

function isPartition(p: unknown): boolean {
  return Array.isArray(p) && p.length === 2 && Number.isSafeInteger(p[0]) && Number.isSafeInteger(p[1]) && p[0] >= 0 && p[0] < p[1];
}

function jsonOf(x: unknown): string {
  return JSON.stringify(x) ?? 'null';
}
