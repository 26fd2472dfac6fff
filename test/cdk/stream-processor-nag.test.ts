import { App, Stack, Validations } from 'aws-cdk-lib';
import { StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WordCountStack } from '../../cdk/word-count-stack';
import { synthesize } from './stream-processor-fixture';

/** Every AwsSolutions finding left in `scope`, as `rule at construct path`. */
function unacknowledgedFindings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((violation) => violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`));
}

/** The acknowledgments recorded in `scope`: rule id → reason. */
function acknowledgments(scope: IConstruct): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) found.set(id.replace(/^annotation::/i, ''), reason);
    }
  }
  return found;
}

describe('StreamProcessor', () => {
  describe('cdk-nag AwsSolutions', () => {
    it('leaves no finding unacknowledged with the default props', () => {
      expect(unacknowledgedFindings(synthesize().stack)).toEqual([]);
    });

    it('leaves no finding unacknowledged for a pipeline with exchanges (a processor per stage, an exchange stream per exchange)', () => {
      const staged = synthesize({ appName: 'top-k-global', pipeline: fileURLToPath(new URL('../../examples/top-k-global.ts', import.meta.url)) });
      expect(staged.processor.stages).toHaveLength(3);
      expect(unacknowledgedFindings(staged.stack)).toEqual([]);
    });

    it('leaves no finding unacknowledged in the example app', () => {
      // Prepare
      const stack = new WordCountStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'SluiceWordCount');
      // Act / Assess
      expect(unacknowledgedFindings(stack)).toEqual([]);
    });

    it('leaves no finding unacknowledged with an on-demand stream and a versioned bucket', () => {
      expect(unacknowledgedFindings(synthesize({ streamMode: StreamMode.ON_DEMAND, bucketVersioned: true }).stack)).toEqual([]);
    });

    it('acknowledges only the object-prefix wildcards and the bucket’s access logs', () => {
      // Prepare / Act
      const ids = [...acknowledgments(synthesize().stack).keys()];
      // Assess
      expect(ids.map((id) => id.replace(/<[A-Za-z0-9]+\.Arn>/, '<bucket>')).sort()).toEqual([
        'AwsSolutions-IAM5[Resource::<bucket>/aws/lambda/*]',
        'AwsSolutions-IAM5[Resource::<bucket>/quarantine/word-count/*]',
        'AwsSolutions-IAM5[Resource::<bucket>/state/word-count/*]',
        'AwsSolutions-IAM5[Resource::<bucket>/wal/word-count/*]',
        'AwsSolutions-S1',
      ]);
    });

    it('gives every acknowledgment a reason of its own', () => {
      // Prepare / Act
      const reasons = [...acknowledgments(synthesize().stack).values()];
      // Assess
      expect(reasons.filter((reason) => reason.length < 40)).toEqual([]);
      expect(new Set(reasons).size).toBe(reasons.length);
    });

    it('reports a bucket without the construct’s acknowledgment, so the checks above can fail', () => {
      // Prepare
      const stack = new Stack(new App(), 'Bare');
      new Bucket(stack, 'Bucket', { enforceSSL: true });
      // Act / Assess
      expect(unacknowledgedFindings(stack)).toEqual(['AwsSolutions-S1 at Bare/Bucket/Resource']);
    });
  });
});
