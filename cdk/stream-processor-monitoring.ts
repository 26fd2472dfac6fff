import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  MathExpression,
  TextWidget,
  TreatMissingData,
  type IAlarmAction,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { insightsQuery, searchShards, SluiceMetrics } from './sluice-metrics';

/** What the monitoring watches of one stage: its app, the stream it reads, its two functions. */
export interface MonitoredStage {
  /** The stage's app (`{app}.s{i}`, stage 0 the app itself): the `service` of its metrics. */
  readonly appName: string;
  /** The source stream for stage 0, the exchange stream the stage before puts to otherwise. */
  readonly stream: IStream;
  readonly processor: IFunction;
  readonly controller: IFunction;
  /** Where the controller logs each rate it publishes (`controller: rate published`, with `rateLimit`). */
  readonly controllerLogGroup: ILogGroup;
}

/** Options of {@link StreamProcessorMonitoring}: stage 0 (the app itself) and the stages after it, if any. */
export interface StreamProcessorMonitoringProps extends MonitoredStage {
  /** Processor iterator age (the age of a batch's last record) above which a stage's alarm fires. */
  readonly iteratorAgeAlarmThreshold: Duration;
  /** @default - no action */
  readonly alarmAction?: IAlarmAction;
  /**
   * Stages 1, 2, … of a pipeline with exchanges (docs/decisions/0015), in order; each gets stage 0's alarms and graphs.
   * @default - none: the pipeline is one stage
   */
  readonly laterStages?: readonly MonitoredStage[];
}

/** The alarms of one stage. */
export interface StageAlarms {
  readonly appName: string;
  readonly iteratorAgeAlarm: Alarm;
  readonly processorErrorsAlarm: Alarm;
  readonly controllerErrorsAlarm: Alarm;
  readonly quarantineAlarm: Alarm;
  readonly controllerNotRunningAlarm: Alarm;
}

/** Period of the dashboard's graphs and of the iterator-age alarm. */
const PERIOD = Duration.minutes(1);
/** Window of the alarms on rare events: one quarantined record or failed invocation in it fires. */
const ALARM_WINDOW = Duration.minutes(5);

/**
 * The dashboard of one app (records, processing and scheduling delay, rate, iterator age,
 * quarantine) and its alarms, for each of its stages. Each alarm watches one promise of a stage: its
 * processor keeps up (iterator age), runs without failing (errors), sets no record aside unseen
 * (quarantine) and is steered (its controller runs every minute; if it stops, the stage keeps the
 * last rate: fail-static). A later stage is an app of its own, with its own functions and metrics,
 * so stage 0's alarms say nothing about it. `StreamProcessor` creates one, as its `monitoring`.
 *
 * @example
 * const processor = new StreamProcessor(stack, 'Clicks', { appName: 'clicks', pipeline: 'src/clicks.ts' });
 * processor.monitoring.quarantineAlarm.addAlarmAction(new SnsAction(topic));
 * for (const stage of processor.monitoring.stages) stage.iteratorAgeAlarm.addAlarmAction(new SnsAction(pager));
 */
export class StreamProcessorMonitoring extends Construct {
  readonly dashboard: Dashboard;
  /** Every stage's alarms, stage 0 first: one entry for a pipeline without `keyBy`/`global`. */
  readonly stages: readonly StageAlarms[];
  /** Stage 0's alarms (also `stages[0]`). */
  readonly iteratorAgeAlarm: Alarm;
  readonly processorErrorsAlarm: Alarm;
  readonly controllerErrorsAlarm: Alarm;
  readonly quarantineAlarm: Alarm;
  readonly controllerNotRunningAlarm: Alarm;

  constructor(scope: Construct, id: string, props: StreamProcessorMonitoringProps) {
    super(scope, id);
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const stages = [props, ...(props.laterStages ?? [])];
    this.stages = stages.map((stage, i) => this.monitorStage(stage, i, stages.length > 1, props));
    const first = this.stages[0]!;
    this.iteratorAgeAlarm = first.iteratorAgeAlarm;
    this.processorErrorsAlarm = first.processorErrorsAlarm;
    this.controllerErrorsAlarm = first.controllerErrorsAlarm;
    this.quarantineAlarm = first.quarantineAlarm;
    this.controllerNotRunningAlarm = first.controllerNotRunningAlarm;
  }

  /**
   * Stage `index`'s alarms and dashboard rows. Stage 0's construct ids are those of a one-stage app,
   * so adding stages to a deployed app replaces none of its alarms; stage i's carry `S{i}`.
   */
  private monitorStage(stage: MonitoredStage, index: number, staged: boolean, props: StreamProcessorMonitoringProps): StageAlarms {
    const app = stage.appName;
    const suffix = index === 0 ? '' : `S${index}`;
    // Alarms take unlabelled metrics, so CloudFormation gets a plain metric rather than a query.
    const iteratorAge = stage.processor.metric('IteratorAge', { statistic: 'Maximum', period: PERIOD });

    const iteratorAgeAlarm = new Alarm(this, `IteratorAgeAlarm${suffix}`, {
      alarmDescription: `${app}: the processor is more than ${props.iteratorAgeAlarmThreshold.toHumanString()} behind the stream.`,
      metric: iteratorAge,
      threshold: props.iteratorAgeAlarmThreshold.toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      // No data means no batch: an idle stream is not a late one.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const processorErrorsAlarm = this.atLeastOne(
      `ProcessorErrorsAlarm${suffix}`,
      stage.processor.metricErrors({ period: ALARM_WINDOW }),
      `${app}: processor invocations failed; the event source mapping retries the batch, and committed records are dropped as redeliveries.`,
    );
    const controllerErrorsAlarm = this.atLeastOne(
      `ControllerErrorsAlarm${suffix}`,
      stage.controller.metricErrors({ period: ALARM_WINDOW }),
      `${app}: controller invocations failed; the pipeline keeps running at the last published rate.`,
    );
    // The metric has a series per shard; Metrics Insights sums them into the one series an alarm needs.
    const quarantineAlarm = this.atLeastOne(
      `QuarantineAlarm${suffix}`,
      new MathExpression({ expression: insightsQuery(app, SluiceMetrics.quarantined, 'SUM'), usingMetrics: {}, period: ALARM_WINDOW }),
      `${app}: records were quarantined (see quarantine/${app}/ in the bucket).`,
    );
    const controllerNotRunningAlarm = new Alarm(this, `ControllerNotRunningAlarm${suffix}`, {
      alarmDescription: `${app}: the controller did not run for ${ALARM_WINDOW.toHumanString()}; rates stay as last published.`,
      metric: stage.controller.metricInvocations({ period: ALARM_WINDOW }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // The schedule fires every minute, so a window without data is a controller that did not run.
      treatMissingData: TreatMissingData.BREACHING,
    });
    const alarms = { appName: app, iteratorAgeAlarm, processorErrorsAlarm, controllerErrorsAlarm, quarantineAlarm, controllerNotRunningAlarm };
    if (props.alarmAction !== undefined) {
      for (const alarm of [iteratorAgeAlarm, processorErrorsAlarm, controllerErrorsAlarm, quarantineAlarm, controllerNotRunningAlarm]) {
        alarm.addAlarmAction(props.alarmAction);
        alarm.addOkAction(props.alarmAction);
      }
    }

    const shards = (metricName: string, statistic: string, label: string, total = false): MathExpression => {
      const search = searchShards(app, metricName, statistic, PERIOD.toSeconds());
      return new MathExpression({ expression: total ? `SUM(${search})` : search, usingMetrics: {}, period: PERIOD, label });
    };
    // A one-stage app's dashboard is the app's; a staged one's has a header above each stage's rows.
    if (staged) {
      this.dashboard.addWidgets(
        new TextWidget({
          markdown: `### Stage ${index}: ${app}, reading ${stage.stream.streamName}${index === 0 ? '' : ' (its records are chunks of the exchange)'}`,
          width: 24,
          height: 1,
        }),
      );
    }
    const put = { statistic: 'Sum', period: PERIOD };
    this.dashboard.addWidgets(
      graph('Records per minute', [
        shards(SluiceMetrics.records, 'Sum', 'processed', true),
        stage.stream.metricIncomingRecords({ ...put, label: index === 0 ? 'pushed to the stream' : 'put to the exchange' }),
        // An exchange stream has one shard per partition: a sender it throttles retries, then fails its batch.
        ...(index === 0 ? [] : [stage.stream.metricWriteProvisionedThroughputExceeded({ ...put, label: 'puts throttled' })]),
      ]),
      graph('Processing and scheduling delay per shard (ms, max)', [
        shards(SluiceMetrics.processingMs, 'Maximum', 'processing'),
        shards(SluiceMetrics.schedulingDelayMs, 'Maximum', 'scheduling'),
      ]),
    );
    this.dashboard.addWidgets(
      new LogQueryWidget({
        title: 'Published rate (records/s per shard)',
        logGroupNames: [stage.controllerLogGroup.logGroupName],
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
    return alarms;
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
