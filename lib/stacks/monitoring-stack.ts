import {
  type aws_cloudwatch as cloudwatch,
  type aws_dynamodb as dynamodb,
  Stack,
  type StackProps,
  type aws_sns as sns,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type IngressMetrics, Monitoring } from '../constructs/monitoring';
import type { RegistryFunction } from '../constructs/registry-function';

export interface MonitoringStackProps extends StackProps {
  readonly stage: string;
  readonly topic: sns.ITopic;
  readonly alarmNamePrefix: string;
  readonly functions: readonly RegistryFunction[];
  readonly table: dynamodb.ITable;
  /** The webhook sender's DLQ. @default no alarm on it */
  readonly webhookDeadLetters?: sqs.IQueue;
  readonly ingress: IngressMetrics;
  readonly wafBlocked?: cloudwatch.IMetric;
  /** @default 10 */
  readonly authRejectedThreshold?: number;
  /** @default 500 */
  readonly tenantAuthRejectedThreshold?: number;
}

/** The alarms (to the data stack's topic) and the dashboard. */
export class MonitoringStack extends Stack {
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: props.stage,
      topic: props.topic,
      alarmNamePrefix: props.alarmNamePrefix,
      dashboardName: this.stackName,
      functions: props.functions,
      table: props.table,
      ...(props.webhookDeadLetters ? { webhookDeadLetters: props.webhookDeadLetters } : {}),
      ingress: props.ingress,
      ...(props.wafBlocked ? { wafBlocked: props.wafBlocked } : {}),
      ...(props.authRejectedThreshold === undefined
        ? {}
        : { authRejectedThreshold: props.authRejectedThreshold }),
      ...(props.tenantAuthRejectedThreshold === undefined
        ? {}
        : { tenantAuthRejectedThreshold: props.tenantAuthRejectedThreshold }),
    });
  }
}
