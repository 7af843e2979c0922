import {
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cw_actions,
  Duration,
  type aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  aws_lambda as lambda,
  type aws_logs as logs,
  type aws_sns as sns,
  aws_lambda_event_sources as sources,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EVENT_PUBLISH_ACTIONS, jobAccessOf, STREAM_READ_ACTIONS } from '../permissions';
import { jobFunction } from './job-function';
import type { RegistryData } from './registry-data';
import { PROJECT_ROOT, type RegistryFunction } from './registry-function';

export interface EventPipelineProps {
  readonly stage: string;
  /** The registry table, with its stream (NEW_IMAGE) enabled. */
  readonly table: dynamodb.ITable;
  /** The registry's data: the consumer's grants of JOB_ACCESS `StreamConsumer` (table, queue). */
  readonly data: RegistryData;
  readonly topic: sns.ITopic;
  /** Every alarm of the registry is named `<alarmNamePrefix><name>`. */
  readonly alarmNamePrefix: string;
  /**
   * Days the bus's archive keeps events for replay; 0 keeps them indefinitely.
   * @default 90
   */
  readonly archiveRetentionDays?: number;
  /**
   * Stream retries of a failed batch (bisected on error) before its records go to the DLQ.
   * @default 10
   */
  readonly retryAttempts?: number;
  /** The consumer's iterator age that pages: how far behind the stream it may fall. @default 5 minutes */
  readonly iteratorAgeThreshold?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Publishing from the outbox (docs/events.md): the table's stream, filtered to inserted audit
 * event items, feeds the stream consumer, which puts each event on the stage's bus (and, through
 * `eventSinks`, on every other sink). Failed records are reported one by one (partial batch
 * responses), a failing batch is bisected to isolate its bad record, and what still fails after
 * the retries lands in an SQS on-failure queue (the record's stream coordinates, for replay from
 * the archive or the table). Alarms: anything in that queue, and a consumer falling behind.
 */
export class EventPipeline extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  readonly consumer: RegistryFunction;
  readonly deadLetters: sqs.Queue;
  readonly alarms: Readonly<Record<'EventsDeadLetters' | 'EventsIteratorAge', cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: EventPipelineProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: `tenant-registry-${props.stage}` });
    this.archive = this.bus.archive('Archive', {
      description: `Every Tenant Registry event of stage ${props.stage}, for replay`,
      eventPattern: { source: ['tenant-registry'] },
      retention: Duration.days(props.archiveRetentionDays ?? 90),
    });

    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS keeps a message: the runbook has two weeks to replay it.
      retentionPeriod: Duration.days(14),
    });

    this.consumer = jobFunction(this, 'StreamConsumer', props.data, {
      entry: `${PROJECT_ROOT}bin/jobs/stream-consumer.ts`,
      description: 'Tenant Registry stream consumer: outbox events to EventBridge (and webhooks)',
      timeout: Duration.seconds(60),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    });
    if (jobAccessOf('StreamConsumer').eventBus) this.grantPutEvents(this.consumer.function);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('the table has no stream: enable NEW_IMAGE on it');
    this.consumer.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...STREAM_READ_ACTIONS], resources: [streamArn] }),
    );
    // An event source mapping built from a Table would grant dynamodb:ListStreams on `*`; by ARN,
    // the statement above (the one stream) is all the function holds.
    this.consumer.function.addEventSourceMapping('TableStream', {
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? 10,
      reportBatchItemFailures: true,
      onFailure: new sources.SqsDlq(this.deadLetters),
      // Only inserted audit event items (the outbox): every other write never invokes the consumer.
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.isEqual('INSERT'),
          dynamodb: { NewImage: { entity: { S: lambda.FilterRule.isEqual('audit_event') } } },
        }),
      ],
    });
    this.deadLetters.grantSendMessages(this.consumer.function);

    const notify = new cw_actions.SnsAction(props.topic);
    const alarm = (name: 'EventsDeadLetters' | 'EventsIteratorAge', alarmProps: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, `${name}Alarm`, alarmProps);
      a.addAlarmAction(notify);
      return a;
    };
    this.alarms = {
      EventsDeadLetters: alarm('EventsDeadLetters', {
        alarmName: `${props.alarmNamePrefix}EventsDeadLetters`,
        alarmDescription:
          'Stream records the consumer could not publish after every retry: events not yet on the bus or a webhook queue. Runbook: docs/operations.md "EventsDeadLetters".',
        metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      EventsIteratorAge: alarm('EventsIteratorAge', {
        alarmName: `${props.alarmNamePrefix}EventsIteratorAge`,
        alarmDescription:
          'The stream consumer is falling behind: events reach the bus late, and records older than 24 h leave the stream. Runbook: docs/operations.md "EventsIteratorAge".',
        metric: this.consumer.function.metric('IteratorAge', {
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: (props.iteratorAgeThreshold ?? Duration.minutes(5)).toMilliseconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };
  }

  /** events:PutEvents on this bus only; sets TENANT_REGISTRY_EVENT_BUS_NAME. */
  grantPutEvents(fn: lambda.Function): void {
    fn.addEnvironment('TENANT_REGISTRY_EVENT_BUS_NAME', this.bus.eventBusName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...EVENT_PUBLISH_ACTIONS], resources: [this.bus.eventBusArn] }),
    );
  }
}
