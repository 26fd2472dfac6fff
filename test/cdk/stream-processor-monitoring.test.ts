import { Duration, type Stack } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import { insightsQuery, searchShards, SluiceMetrics } from '../../cdk/sluice-metrics';
import { logicalIdOf, synthesize, type Synthesized } from './stream-processor-fixture';

const TOP_K_GLOBAL = fileURLToPath(new URL('../../examples/top-k-global.ts', import.meta.url));
/** Three stages: the source, after `keyBy` (4 partitions), after `global`. */
const STAGED = { appName: 'top-k-global', pipeline: TOP_K_GLOBAL };

let base: Synthesized;
let staged: Synthesized;
beforeAll(() => {
  base = synthesize();
  staged = synthesize(STAGED);
});

describe('StreamProcessorMonitoring', () => {
  describe('dashboard', () => {
    it.each([
      ['records, summed over the shards', `SUM(${searchShards('word-count', SluiceMetrics.records, 'Sum', 60)})`],
      ['processing delay of each shard', searchShards('word-count', SluiceMetrics.processingMs, 'Maximum', 60)],
      ['scheduling delay of each shard', searchShards('word-count', SluiceMetrics.schedulingDelayMs, 'Maximum', 60)],
      ['quarantined records, summed over the shards', `SUM(${searchShards('word-count', SluiceMetrics.quarantined, 'Sum', 60)})`],
      ['rate limit each shard’s batches were cut under', searchShards('word-count', SluiceMetrics.rateLimit, 'Minimum', 60)],
    ])('graphs the %s', (_name, expression) => {
      // Prepare / Act
      const widgets = dashboardWidgets(base);
      // Assess
      expect(widgets.flatMap((widget) => widget.properties.metrics ?? []).flat()).toContainEqual(expect.objectContaining({ expression }));
    });

    it('graphs the processor’s iterator age', () => {
      // Prepare / Act
      const metrics = dashboardWidgets(base).flatMap((widget) => widget.properties.metrics ?? []);
      // Assess
      expect(metrics).toContainEqual(
        expect.arrayContaining(['AWS/Lambda', 'IteratorAge', 'FunctionName', { Ref: logicalIdOf(base.processor.processor.function) }]),
      );
    });

    it('charts the rates the controller publishes, from its log group', () => {
      // Prepare / Act
      const query = dashboardWidgets(base).find((widget) => widget.type === 'log');
      // Assess
      expect(query?.properties.query).toContain(`SOURCE '${JSON.stringify({ Ref: logicalIdOf(base.processor.controller.logGroup) })}'`);
      expect(query?.properties.query).toMatch(/filter message = "controller: rate published".*stats min\(rateLimit\).*by bin\(1m\)/s);
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

    it('fires on any quarantined record, in any shard', () => {
      base.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: [Match.objectLike({ Expression: insightsQuery('word-count', SluiceMetrics.quarantined, 'SUM'), Period: 300 })],
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

describe('StreamProcessorMonitoring of a pipeline with exchanges (top-k-global: three stages)', () => {
  /** Each stage's app, processor and controller refs, and the stream it reads. */
  const stagesOf = (s: Synthesized) =>
    s.processor.stages.map((stage, i) => ({
      app: stage.appName,
      processor: { Ref: logicalIdOf(stage.processor.function) },
      controller: { Ref: logicalIdOf(s.processor.controllers[i]!.function) },
      stream: { Ref: logicalIdOf(stage.stream) },
    }));

  it('gives every stage the five alarms of stage 0, on its own functions and metrics, each naming its stage app', () => {
    // Prepare
    const stages = stagesOf(staged);
    // Act
    const alarms = staged.template.findResources('AWS::CloudWatch::Alarm');
    // Assess
    expect(stages.map((s) => s.app)).toEqual(['top-k-global', 'top-k-global.s1', 'top-k-global.s2']);
    expect(Object.keys(alarms)).toHaveLength(15);
    expect(staged.processor.monitoring.stages.map((s) => s.appName)).toEqual(stages.map((s) => s.app));
    for (const { app, processor, controller } of stages) {
      const named = Match.stringLikeRegexp(`^${app.replaceAll('.', '\\.')}: `);
      const onFunction = (ref: object) => [{ Name: 'FunctionName', Value: ref }];
      staged.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: named,
        MetricName: 'IteratorAge',
        Dimensions: onFunction(processor),
        ComparisonOperator: 'GreaterThanThreshold',
      });
      staged.template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: named, MetricName: 'Errors', Dimensions: onFunction(processor) });
      staged.template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: named, MetricName: 'Errors', Dimensions: onFunction(controller) });
      staged.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp(`quarantine/${app.replaceAll('.', '\\.')}/`),
        Metrics: [Match.objectLike({ Expression: insightsQuery(app, SluiceMetrics.quarantined, 'SUM') })],
      });
      staged.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: named,
        MetricName: 'Invocations',
        Dimensions: onFunction(controller),
        TreatMissingData: 'breaching',
      });
    }
  });

  it('keeps stage 0’s alarms under the logical ids of a one-stage app, and exposes them as before', () => {
    // Prepare
    const ids = (s: Synthesized) => {
      const m = s.processor.monitoring;
      return [m.iteratorAgeAlarm, m.processorErrorsAlarm, m.controllerErrorsAlarm, m.quarantineAlarm, m.controllerNotRunningAlarm].map(logicalIdOf);
    };
    // Act
    const [single, first] = [ids(base), ids(staged)];
    // Assess
    // The ids deployed stacks hold: a change here replaces their alarms.
    expect(single).toEqual([
      'WordCountMonitoringIteratorAgeAlarm1BBE5806',
      'WordCountMonitoringProcessorErrorsAlarm735F8F41',
      'WordCountMonitoringControllerErrorsAlarmE9210040',
      'WordCountMonitoringQuarantineAlarm15382D9A',
      'WordCountMonitoringControllerNotRunningAlarmBECFFBB7',
    ]);
    expect(first).toEqual(single);
    expect(staged.processor.monitoring.stages[0]!.iteratorAgeAlarm).toBe(staged.processor.monitoring.iteratorAgeAlarm);
    expect(logicalIdOf(staged.processor.monitoring.stages[2]!.iteratorAgeAlarm)).toMatch(/^WordCountMonitoringIteratorAgeAlarmS2/);
  });

  it('draws each stage’s rows under a header naming the stage and the stream it reads', () => {
    // Prepare / Act
    const widgets = dashboardWidgets(staged);
    const metrics = widgets.flatMap((widget) => widget.properties.metrics ?? []);
    // Assess
    const headers = widgets.filter((widget) => widget.type === 'text').map((widget) => widget.properties.markdown);
    expect(headers).toHaveLength(3);
    for (const [i, { app, processor, stream }] of stagesOf(staged).entries()) {
      expect(headers[i]).toContain(`Stage ${i}: ${app}, reading ${JSON.stringify(stream)}`);
      expect(metrics).toContainEqual(expect.arrayContaining(['AWS/Lambda', 'IteratorAge', 'FunctionName', processor]));
      expect(metrics).toContainEqual(expect.arrayContaining(['AWS/Kinesis', 'IncomingRecords', 'StreamName', stream]));
      expect(metrics.flat()).toContainEqual(expect.objectContaining({ expression: searchShards(app, SluiceMetrics.processingMs, 'Maximum', 60) }));
      const log = widgets.filter((widget) => widget.type === 'log')[i];
      expect(log?.properties.query).toContain(`SOURCE '${JSON.stringify({ Ref: logicalIdOf(staged.processor.controllers[i]!.logGroup) })}'`);
    }
    // Puts throttled by an exchange stream's one shard per partition slow its sender down.
    for (const exchange of staged.processor.exchangeStreams) {
      expect(metrics).toContainEqual(
        expect.arrayContaining(['AWS/Kinesis', 'WriteProvisionedThroughputExceeded', 'StreamName', { Ref: logicalIdOf(exchange) }]),
      );
    }
  });

  it('sends every stage’s alarms and recoveries to alarmAction', () => {
    // Prepare
    let topic: Topic | undefined;
    // Act
    const { template } = synthesize((stack) => {
      topic = new Topic(stack, 'Alarms');
      return { ...STAGED, alarmAction: new SnsAction(topic) };
    });
    // Assess
    const topicRef = { Ref: logicalIdOf(topic!) };
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: Record<string, unknown> }>;
    expect(alarms).toHaveLength(15);
    expect(alarms.map((alarm) => [alarm.Properties.AlarmActions, alarm.Properties.OKActions])).toEqual(alarms.map(() => [[topicRef], [topicRef]]));
  });
});

/** A dashboard widget as CloudWatch reads it. */
interface Widget {
  readonly type: string;
  readonly properties: { metrics?: unknown[][]; query?: string; title?: string; markdown?: string };
}

/**
 * The dashboard's widgets. The body is a `Fn::Join` of JSON text and tokens (`{ Ref: id }`); a
 * token that is a whole JSON value is put back as itself, one inside a string as its JSON text.
 */
function dashboardWidgets(synthesized: Synthesized): Widget[] {
  const [dashboard] = Object.values(synthesized.template.findResources('AWS::CloudWatch::Dashboard')) as Array<{ Properties: { DashboardBody: unknown } }>;
  const tokens: unknown[] = [];
  const body = dashboard!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `@@token${tokens.push(part) - 1}@@`)).join('');
  const parsed = JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== 'string') return value;
    const whole = /^@@token(\d+)@@$/.exec(value);
    // A token inside a longer string (a log query's SOURCE) reads as its JSON.
    return whole ? tokens[Number(whole[1])] : value.replace(/@@token(\d+)@@/g, (_m, i: string) => JSON.stringify(tokens[Number(i)]));
  }) as { widgets: Widget[] };
  return parsed.widgets;
}
