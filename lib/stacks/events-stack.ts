import {
  type aws_dynamodb as dynamodb,
  type aws_logs as logs,
  Stack,
  type StackProps,
  type aws_sns as sns,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EventPipeline } from '../constructs/event-pipeline';
import type { RegistryData } from '../constructs/registry-data';

export interface EventsStackProps extends StackProps {
  readonly stage: string;
  readonly table: dynamodb.ITable;
  /** The consumer's grants (JOB_ACCESS `StreamConsumer`): the table and the webhook queue. */
  readonly data: RegistryData;
  readonly topic: sns.ITopic;
  readonly alarmNamePrefix: string;
  /** Days the bus's archive keeps events; 0 = indefinitely. @default 90 */
  readonly archiveRetentionDays?: number;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Lifecycle events (docs/events.md): the stage's bus and its archive, the stream consumer with
 * its on-failure queue, and their alarms (to the data stack's topic). Reads the data stack only.
 */
export class EventsStack extends Stack {
  readonly pipeline: EventPipeline;

  constructor(scope: Construct, id: string, props: EventsStackProps) {
    super(scope, id, props);
    this.pipeline = new EventPipeline(this, 'Events', {
      stage: props.stage,
      table: props.table,
      data: props.data,
      topic: props.topic,
      alarmNamePrefix: props.alarmNamePrefix,
      ...(props.archiveRetentionDays === undefined
        ? {}
        : { archiveRetentionDays: props.archiveRetentionDays }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    });
  }
}
