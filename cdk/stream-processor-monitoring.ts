import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  Metric,
  TreatMissingData,
  type IAlarmAction,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SluiceMetrics } from './sluice-metrics';

/** Options of {@link StreamProcessorMonitoring}. */
export interface StreamProcessorMonitoringProps {
  readonly appName: string;
  readonly stream: IStream;
  readonly processor: IFunction;
  readonly controller: IFunction;
  /** Processor iterator age (the age of a batch's last record) above which the alarm fires. */
  readonly iteratorAgeAlarmThreshold: Duration;
  /** @default - no action */
  readonly alarmAction?: IAlarmAction;
}

/** Period of the dashboard's graphs and of the fast alarms. */
const PERIOD = Duration.minutes(1);
/** Window of the alarms on rare events: one quarantined record or failed batch in it fires. */
const ALARM_WINDOW = Duration.minutes(5);

/**
 * The dashboard of one app (records, processing and scheduling delay, rate, iterator age,
 * quarantine) and its alarms. Each alarm watches one promise: the processor keeps up (iterator
 * age), runs without failing (errors), loses no record silently (quarantine) and is steered
 * (the controller runs every minute; if it stops, the pipeline keeps the last rate — fail-static).
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
    const app = (metricName: string, statistic: string, label: string): Metric =>
      new Metric({ namespace: SluiceMetrics.NAMESPACE, metricName, dimensionsMap: { [SluiceMetrics.SERVICE_DIMENSION]: props.appName }, statistic, period: PERIOD, label });
    const iteratorAge = props.processor.metric('IteratorAge', { statistic: 'Maximum', period: PERIOD, label: 'processor iterator age (max)' });
    const quarantined = app(SluiceMetrics.QUARANTINED_RECORDS, 'Sum', 'quarantined records');

    this.iteratorAgeAlarm = new Alarm(this, 'IteratorAgeAlarm', {
      alarmDescription: `${props.appName}: the processor is more than ${props.iteratorAgeAlarmThreshold.toHumanString()} behind the stream.`,
      metric: iteratorAge,
      threshold: props.iteratorAgeAlarmThreshold.toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      // No data means no batch: an idle stream is not a late one.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.processorErrorsAlarm = this.atLeastOne('ProcessorErrorsAlarm', props.processor.metricErrors({ period: ALARM_WINDOW }),
      `${props.appName}: processor invocations failed; the mapping retries and bisects, then sends the batch to the bucket's on-failure prefix.`);
    this.controllerErrorsAlarm = this.atLeastOne('ControllerErrorsAlarm', props.controller.metricErrors({ period: ALARM_WINDOW }),
      `${props.appName}: controller invocations failed; the pipeline keeps running at the last published rate.`);
    this.quarantineAlarm = this.atLeastOne('QuarantineAlarm', quarantined.with({ period: ALARM_WINDOW }),
      `${props.appName}: records were quarantined (see quarantine/${props.appName}/ in the bucket).`);
    this.controllerNotRunningAlarm = new Alarm(this, 'ControllerNotRunningAlarm', {
      alarmDescription: `${props.appName}: the controller did not run for ${ALARM_WINDOW.toHumanString()}; rates stay as last published.`,
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

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      graph('Records per minute', [app(SluiceMetrics.RECORDS, 'Sum', 'processed'), props.stream.metricIncomingRecords({ statistic: 'Sum', period: PERIOD, label: 'pushed to the stream' })]),
      graph('Processing and scheduling delay (ms)', [
        app(SluiceMetrics.PROCESSING_DELAY, 'Average', 'processing (avg)'),
        app(SluiceMetrics.PROCESSING_DELAY, 'Maximum', 'processing (max)'),
        app(SluiceMetrics.SCHEDULING_DELAY, 'Average', 'scheduling (avg)'),
        app(SluiceMetrics.SCHEDULING_DELAY, 'Maximum', 'scheduling (max)'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Rate limit (records/s per shard)', [app(SluiceMetrics.RATE_LIMIT, 'Minimum', 'lowest published rate'), app(SluiceMetrics.RATE_LIMIT, 'Average', 'average rate')]),
      graph('Iterator age (ms)', [iteratorAge, props.stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period: PERIOD, label: 'stream GetRecords iterator age (max)' })]),
    );
    this.dashboard.addWidgets(
      graph('Quarantined records', [quarantined]),
      new AlarmStatusWidget({ title: 'Alarms', alarms, width: 12 }),
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
