import type { ObjectStore } from '../../ports/object-store';
import { compareCodePoints } from './compare-code-points';
import { objectKeySegments } from './object-key';

/**
 * An {@link ObjectStore} in a Map, for tests and simulations. Same semantics as the disk and S3
 * backends (it passes the same contract); keys follow the disk store's rules so a key that works
 * here works on disk.
 *
 * Bodies are copied in and out: a caller reusing or mutating a buffer cannot change a stored
 * object, as with real storage.
 */
export class MemoryObjectStore implements ObjectStore {
  readonly #objects = new Map<string, Uint8Array>();

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    objectKeySegments(key);
    // Check and set with no await in between, so concurrent creators of one key see one winner.
    if (this.#objects.has(key)) return false;
    // new Uint8Array copies; Buffer#slice would share the caller's memory.
    this.#objects.set(key, new Uint8Array(body));
    return true;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    objectKeySegments(key);
    const body = this.#objects.get(key);
    return body === undefined ? undefined : new Uint8Array(body);
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | undefined> {
    objectKeySegments(key);
    const body = this.#objects.get(key);
    return body === undefined ? undefined : body.slice(start, end);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.#objects.keys()].filter((key) => key.startsWith(prefix)).sort(compareCodePoints);
  }

  async delete(key: string): Promise<void> {
    objectKeySegments(key);
    this.#objects.delete(key);
  }
}
