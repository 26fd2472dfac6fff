import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import wordCount from '../../../examples/word-count-per-shard';
import { CrashInjector, deliverAll, sweepCrashPoints } from '../../helpers/crash-injector';
import { countWords, recordsOf, sampleLines } from '../../helpers/word-records';
import { eventOf } from '../../unit/functions/fixtures';
import { TestAwsApp, uniqueName } from './aws-app';

const app = new TestAwsApp(inject('awsEndpoint'));

beforeAll(async () => {
  await app.create();
});

afterAll(async () => {
  await app.destroy();
});

const lines = sampleLines(60, 7);
const all = recordsOf(lines, 1, Date.now());
/** Three deliveries whose boundaries overlap, as ESM retries after a partial failure would bring. */
const deliveries = [all.slice(0, 25), all.slice(20, 45), all.slice(40, 60)].map((records) => eventOf(records));

describe('createProcessorHandler', () => {
  describe('handler after a crash', () => {
    it('recovers exact counts after a crash before or after every DynamoDB and S3 call', async () => {
      // Prepare: count the port calls of a clean run, to crash at each one.
      const probe = new CrashInjector(Number.MAX_SAFE_INTEGER, 'before');
      const probeApp = uniqueName('crash-probe');
      await deliverAll(
        app.handler(wordCount, probeApp, { checkpoints: probe.checkpoints(app.checkpoints), objects: probe.objects(app.objects) }),
        () => app.handler(wordCount, probeApp),
        deliveries,
      );
      expect(probe.calls).toBeGreaterThanOrEqual(9); // read, WAL put, commit per delivery
      for (const when of ['before', 'after'] as const) {
        const swept = await sweepCrashPoints(when, async (crash, crashAt) => {
          const appName = uniqueName(`crash-${when}-${crashAt}`);
          // Act
          const crashes = await deliverAll(
            app.handler(wordCount, appName, { checkpoints: crash.checkpoints(app.checkpoints), objects: crash.objects(app.objects) }),
            () => app.handler(wordCount, appName),
            deliveries,
          );
          // Assess
          expect(await app.state(wordCount, appName), `crash ${when} call ${crashAt}`).toEqual(countWords(lines));
          return crashes;
        });
        expect(swept).toBeGreaterThanOrEqual(9);
      }
    });
  });
});
