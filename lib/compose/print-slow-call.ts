import type { SlowCall } from '../adapters/aws/aws-clients';

/**
 * Says on stderr, as one line, that a command waits for AWS or its emulator, and on what: a stalled
 * endpoint otherwise leaves `sluice dev`, `push`, `status` or `state dump` silent.
 */
export function printSlowCall(call: SlowCall): void {
  const where = call.endpoint ?? `AWS${call.region === undefined ? '' : ` (${call.region})`}`;
  process.stderr.write(
    `sluice: waiting for ${call.service} ${call.operation} at ${where}: no answer for ${Math.round(call.waitedMs / 1000)} s; still trying (Ctrl-C to stop)\n`,
  );
}
