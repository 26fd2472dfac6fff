import { describe, expect, it } from 'vitest';
import { ConfigError, FencedError, SluiceError, ThrottledError } from '../../../lib/core/errors';
import { isTransientError } from '../../../lib/runtime/failures/is-transient-error';

const sdkError = (name: string, extra: Record<string, unknown>): Error => Object.assign(Object.assign(new Error(name), { name }), extra);

describe('isTransientError', () => {
  it.each([
    ['a throttle', new ThrottledError('slow down'), true],
    ['a retryable sluice error', new SluiceError('raced', { retryable: true }), true],
    ['an SDK 5xx', sdkError('InternalServerError', { $fault: 'server', $metadata: { httpStatusCode: 500 } }), true],
    ['an SDK 503 without $fault', sdkError('ServiceUnavailable', { $metadata: { httpStatusCode: 503 } }), true],
    ['an SDK error marked retryable', sdkError('ProvisionedThroughputExceededException', { $retryable: { throttling: true } }), true],
    ['a 429', sdkError('TooManyRequests', { $metadata: { httpStatusCode: 429 } }), true],
    ['a request timeout', sdkError('TimeoutError', {}), true],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    ['a user error', new Error('the sink refuses'), false],
    ['an SDK validation error', sdkError('ValidationException', { $fault: 'client', $metadata: { httpStatusCode: 400 } }), false],
    ['a configuration error', new ConfigError('x', 'bad'), false],
    ['a fenced commit', new FencedError('lost'), false],
    ['a thrown string', 'boom', false],
  ])('says %s is %s', (_what, error, transient) => {
    expect(isTransientError(error)).toBe(transient);
  });
});
