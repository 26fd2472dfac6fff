import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../lib/core/errors';
import { openLocalAwsApp } from '../../../../lib/compose/local-aws-app';

describe('openLocalAwsApp', () => {
  it('rejects a missing endpoint where resources would be created (sluice dev)', () => {
    expect(() => openLocalAwsApp({ app: 'wc', requireEndpoint: true }, {})).toThrow(ConfigError);
    expect(() => openLocalAwsApp({ app: 'wc', requireEndpoint: true }, {})).toThrow(/--endpoint: required/);
  });

  it('opens deployed resources without an endpoint (push, status), taking the region from the environment', () => {
    const app = openLocalAwsApp({ app: 'wc' }, { AWS_REGION: 'eu-west-1' });
    expect(app.region).toBe('eu-west-1');
    expect(app.tableName).toBe('sluice-wc');
  });
});
