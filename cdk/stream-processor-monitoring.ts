import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  MathExpression,
  TreatMissingData,
  type IAlarmAction,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { insightsQuery, searchShards, SluiceMetrics } from './sluice-metrics';

/** Options of {@link StreamProcessorMonitoring}. */
export interface StreamProcessorMonitoringProps {
  readonly appName: string;
  readonly stream: IStream;
  readonly processor: IFunction;
  readonly controller: IFunction;
  /** Where the controller logs each rate it publishes (`controller: rate published`, with `rateLimit`). */
  readonly controllerLogGroup: ILogGroup;
  /** Processor iterator age (the age of a batch's last record) above which the alarm fires. */
  readonly iteratorAgeAlarmThreshold: Duration;
  /** @default - no action */
  readonly alarmAction?: IAlarmAction;
}

/** Period of the dashboard's graphs and of the iterator-age alarm. */
const PERIOD = Duration.minutes(1);
/** Window of the alarms on rare events: one quarantined record or failed invocation in it fires. */
const ALARM_WINDOW = Duration.minutes(5);

/**
 * The dashboard of one app (records, processing and scheduling delay, rate, iterator age,
 * quarantine) and its alarms. Each alarm watches one promise: the processor keeps up (iterator
 * age), runs without failing (errors), sets no record aside unseen (quarantine) and is steered
 * (the controller runs every minute; if it stops, the pipeline keeps the last rate: fail-static).
 * `StreamProcessor` creates one, as its `monitoring`.
 *
 * @example
 * const processor = new StreamProcessor(stack, 'Clicks', { appName: 'clicks', pipeline: 'src/clicks.ts' });
 * processor.monitoring.quarantineAlarm.addAlarmAction(new SnsAction(topic));
 */
export class StreamProcessorMonitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly iteratorAgeAlarm: Alarm;
  readonly processorErrorsAlarm: Alarm;
  readonly controllerErrorsAlarm: Alarm;
  readonly quarantineAlarm: Alarm;
  readonly controllerNotRunningAlarm: Alarm;

  constructor(scope: Construct, id: string, props: StreamProcessorMonitoringProps) {
    super(scope, id);
    const app = props.appName;
    // Alarms take unlabelled metrics, so CloudFormation gets a plain metric rather than a query.
    const iteratorAge = props.processor.metric('IteratorAge', { statistic: 'Maximum', period: PERIOD });

    this.iteratorAgeAlarm = new Alarm(this, 'IteratorAgeAlarm', {
      alarmDescription: `${app}: the processor is more than ${props.iteratorAgeAlarmThreshold.toHumanString()} behind the stream.`,
      metric: iteratorAge,
      threshold: props.iteratorAgeAlarmThreshold.toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      // No data means no batch: an idle stream is not a late one.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.processorErrorsAlarm = this.atLeastOne(
      'ProcessorErrorsAlarm',
      props.processor.metricErrors({ period: ALARM_WINDOW }),
      `${app}: processor invocations failed; the event source mapping retries the batch, and committed records are dropped as redeliveries.`,
    );
    this.controllerErrorsAlarm = this.atLeastOne(
      'ControllerErrorsAlarm',
      props.controller.metricErrors({ period: ALARM_WINDOW }),
      `${app}: controller invocations failed; the pipeline keeps running at the last published rate.`,
    );
    // The metric has a series per shard; Metrics Insights sums them into the one series an alarm needs.
    this.quarantineAlarm = this.atLeastOne(
      'QuarantineAlarm',
      new MathExpression({ expression: insightsQuery(app, SluiceMetrics.quarantined, 'SUM'), usingMetrics: {}, period: ALARM_WINDOW }),
      `${app}: records were quarantined (see quarantine/${app}/ in the bucket).`,
    );
    this.controllerNotRunningAlarm = new Alarm(this, 'ControllerNotRunningAlarm', {
      alarmDescription: `${app}: the controller did not run for ${ALARM_WINDOW.toHumanString()}; rates stay as last published.`,
      metric: props.controller.metricInvocations({ period: ALARM_WINDOW }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // The schedule fires every minute, so a window without data is a controller that did not run.
      treatMissingData: TreatMissingData.BREACHING,
    });
    const alarms = [this.iteratorAgeAlarm, this.processorErrorsAlarm, this.controllerErrorsAlarm, this.quarantineAlarm, this.controllerNotRunningAlarm];
    if (props.alarmAction !== undefined) {
      for (const alarm of alarms) {
        alarm.addAlarmAction(props.alarmAction);
        alarm.addOkAction(props.alarmAction);
      }
    }

    const shards = (metricName: string, statistic: string, label: string, total = false): MathExpression => {
      const search = searchShards(app, metricName, statistic, PERIOD.toSeconds());
      return new MathExpression({ expression: total ? `SUM(${search})` : search, usingMetrics: {}, period: PERIOD, label });
    };
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      graph('Records per minute', [
        shards(SluiceMetrics.records, 'Sum', 'processed', true),
        props.stream.metricIncomingRecords({ statistic: 'Sum', period: PERIOD, label: 'pushed to the stream' }),
      ]),
      graph('Processing and scheduling delay per shard (ms, max)', [
        shards(SluiceMetrics.processingMs, 'Maximum', 'processing'),
        shards(SluiceMetrics.schedulingDelayMs, 'Maximum', 'scheduling'),
      ]),
    );
    this.dashboard.addWidgets(
      new LogQueryWidget({
        title: 'Published rate (records/s per shard)',
        logGroupNames: [props.controllerLogGroup.logGroupName],
        view: LogQueryVisualizationType.LINE,
        queryLines: ['filter message = "controller: rate published"', 'stats min(rateLimit) as lowest, max(rateLimit) as highest by bin(1m)'],
        width: 12,
      }),
      new GraphWidget({
        title: 'Iterator age (ms)',
        left: [iteratorAge.with({ label: 'processor iterator age (max)' }), shards(SluiceMetrics.millisBehind, 'Maximum', 'behind the shard tip')],
        leftAnnotations: [{ value: props.iteratorAgeAlarmThreshold.toMilliseconds(), label: 'alarm threshold' }],
        width: 12,
      }),
    );
    // No alarm status widget: it would reference the alarms, which moto's CloudFormation does not create.
    this.dashboard.addWidgets(
      graph('Quarantined records', [shards(SluiceMetrics.quarantined, 'Sum', 'quarantined', true)]),
      graph('Rate limit in force per shard (records/s, min)', [shards(SluiceMetrics.rateLimit, 'Minimum', 'rate limit')]),
    );
  }

  /** An alarm that fires when `metric` sums to 1 or more in its period; no data is no event. */
  private atLeastOne(id: string, metric: IMetric, description: string): Alarm {
    return new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 12 });
}
