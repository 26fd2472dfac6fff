import { SluiceError } from '../../../core/errors';

/**
 * Parses the `afterSeq` a driver passes to a local source: those sources number records 1, 2, 3…
 * so every seq they produce is a safe integer. `undefined` means "from the start", i.e. 0.
 */
export function parseLocalSeq(afterSeq: string | undefined, source: string): number {
  if (afterSeq === undefined) return 0;
  const value = Number(afterSeq);
  if (!/^\d+$/.test(afterSeq) || !Number.isSafeInteger(value)) {
    throw new SluiceError(`${source} source: afterSeq ${afterSeq} is not a sequence number it produced`);
  }
  return value;
}
