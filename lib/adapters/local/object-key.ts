import { SluiceError } from '../../core/errors';

/** Prefix of the temp files a {@link DiskObjectStore} writes before linking them into place. */
export const TEMP_FILE_PREFIX = '.sluice-tmp-';

/**
 * Checks that an object key maps to exactly one file under a root directory and splits it into
 * path segments. Keys are `/`-separated; a segment may not be empty (no leading, trailing or
 * doubled `/`), `.` or `..` (no escaping the root, no aliases), start with the temp-file prefix
 * (listing hides those) or contain NUL.
 *
 * The memory store applies the same rules so tests catch keys the disk store would refuse.
 *
 * @throws SluiceError naming the key and the rule it breaks.
 */
export function objectKeySegments(key: string): string[] {
  const reject = (rule: string): never => {
    throw new SluiceError(`invalid object key ${JSON.stringify(key)}: ${rule}`);
  };
  if (key === '') reject('the key is empty');
  if (key.includes('\0')) reject('keys may not contain NUL');
  if (key.startsWith('/')) reject('keys are relative; remove the leading "/"');
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '') reject('a segment is empty (trailing or doubled "/")');
    if (segment === '.' || segment === '..') reject(`"${segment}" segments are not allowed`);
    if (segment.startsWith(TEMP_FILE_PREFIX)) reject(`segments may not start with "${TEMP_FILE_PREFIX}" (reserved for temp files)`);
  }
  return segments;
}
