import { Duration, Stack } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { SluiceMetrics } from '../../cdk/sluice-metrics';
import { logicalIdOf, synthesize, type Synthesized } from './stream-processor-fixture';

let base: Synthesized;
beforeAll(() => {
  base = synthesize();
});

describe('StreamProcessorMonitoring', () => {
  describe('dashboard', () => {
    it.each([
      ['records', SluiceMetrics.RECORDS],
      ['processing delay', SluiceMetrics.PROCESSING_DELAY],
      ['scheduling delay', SluiceMetrics.SCHEDULING_DELAY],
      ['rate', SluiceMetrics.RATE_LIMIT],
      ['quarantined records', SluiceMetrics.QUARANTINED_RECORDS],
      ['processor iterator age', 'IteratorAge'],
    ])('graphs the %s', (_name, metricName) => {
      // Prepare / Act
      const body = dashboardBody(base);
      // Assess
      expect(body).toContain(`"${metricName}"`);
    });

    it('reads the app’s metrics by namespace and service dimension', () => {
      // Prepare / Act
      const body = dashboardBody(base);
      // Assess
      expect(body).toContain(`"${SluiceMetrics.NAMESPACE}","${SluiceMetrics.RECORDS}","${SluiceMetrics.SERVICE_DIMENSION}","word-count"`);
    });
  });

  describe('alarms', () => {
    it('fires when the processor’s iterator age exceeds iteratorAgeAlarmThreshold (5 minutes by default)', () => {
      base.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'IteratorAge',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(base.processor.processor.function) } }],
        Threshold: Duration.minutes(5).toMilliseconds(),
        ComparisonOperator: 'GreaterThanThreshold',
      });
    });

    it('fires on any processor error', () => {
      base.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(base.processor.processor.function) } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('fires on any controller error', () => {
      base.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(base.processor.controller.function) } }],
        Threshold: 1,
      });
    });

    it('fires on any quarantined record', () => {
      base.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: SluiceMetrics.NAMESPACE,
        MetricName: SluiceMetrics.QUARANTINED_RECORDS,
        Dimensions: [{ Name: SluiceMetrics.SERVICE_DIMENSION, Value: 'word-count' }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('fires when the controller was not invoked for five minutes, counting no data as not running', () => {
      base.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(base.processor.controller.function) } }],
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
    });

    it('has no action unless alarmAction is given', () => {
      // Prepare / Act
      const alarms = Object.values(base.template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: Record<string, unknown> }>;
      // Assess
      expect(alarms.length).toBe(5);
      expect(alarms.filter((alarm) => 'AlarmActions' in alarm.Properties || 'OKActions' in alarm.Properties)).toEqual([]);
    });

    it('sends every alarm and recovery to alarmAction', () => {
      // Prepare
      let topic: Topic | undefined;
      const withTopic = (stack: Stack) => {
        topic = new Topic(stack, 'Alarms');
        return { alarmAction: new SnsAction(topic) };
      };
      // Act
      const { template } = synthesize(withTopic);
      // Assess
      const topicRef = { Ref: logicalIdOf(topic!) };
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: Record<string, unknown> }>;
      expect(alarms.map((alarm) => [alarm.Properties.AlarmActions, alarm.Properties.OKActions])).toEqual(alarms.map(() => [[topicRef], [topicRef]]));
    });
  });
});

/** The dashboard body with its `Fn::Join` flattened, so metric arrays read as JSON text. */
function dashboardBody(synthesized: Synthesized): string {
  const [dashboard] = Object.values(synthesized.template.findResources('AWS::CloudWatch::Dashboard')) as Array<{ Properties: { DashboardBody: unknown } }>;
  const body = dashboard!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  return body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
}
