import { describe, expect, inject, it } from 'vitest';
import { runCli } from '../../helpers/run-cli';

describe('sluice (AWS commands)', () => {
  it('prints one line, with a hint, when the app has no table on the endpoint', async () => {
    const result = await runCli(['state', 'dump', '--endpoint', inject('awsEndpoint'), '--stream', 'none', '--app', 'never-deployed']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^sluice: AWS ResourceNotFoundException: .*is the app deployed/)]);
  });
});
