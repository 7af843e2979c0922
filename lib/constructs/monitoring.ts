import {
  aws_cloudwatch_actions as actions,
  aws_cloudwatch as cloudwatch,
  Duration,
  type aws_dynamodb as dynamodb,
  type aws_logs as logs,
  aws_logs as logsLib,
  Stack,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { chunk } from '../routing';
import type { RegistryFunction } from './registry-function';

/** The CloudWatch namespace of the registry's own metrics. */
export const METRIC_NAMESPACE = 'TenantRegistry';
export const AUTH_REJECTED_METRIC = 'AuthRejected';
/**
 * Matches the one structured line the auth middleware writes per rejected credential
 * (shared/http/middleware/admin-auth.ts, `logRejection`) and nothing else.
 */
export const AUTH_REJECTED_PATTERN = logsLib.FilterPattern.stringValue('$.event', '=', 'auth.rejected');

/** Alarm metric math may reference at most 10 metrics. */
const MAX_METRICS_PER_ALARM = 10;

export type IngressMetrics =
  | {
      readonly kind: 'apigateway';
      readonly serverErrorRate: cloudwatch.IMetric;
      readonly requests: cloudwatch.IMetric;
    }
  | {
      readonly kind: 'alb';
      readonly serverErrorRate: cloudwatch.IMetric;
      readonly requests: cloudwatch.IMetric;
    };

export interface MonitoringProps {
  readonly functions: readonly RegistryFunction[];
  readonly table: dynamodb.ITable;
  readonly ingress: IngressMetrics;
  /** The web ACL's BlockedRequests, when WAF is on. */
  readonly wafBlocked?: cloudwatch.IMetric;
  /** Email that alarms notify. @default none: subscribe to the topic yourself */
  readonly alarmEmail?: string;
  /** Rejected credentials in one period that page. @default 10 */
  readonly authRejectedThreshold?: number;
  /** @default Duration.minutes(5) */
  readonly authRejectedPeriod?: Duration;
  /** 5xx share of requests (0..1) that pages. @default 0.05 */
  readonly serverErrorRateThreshold?: number;
  /** Requests WAF blocked in 5 minutes that page. @default 100 */
  readonly wafBlockedThreshold?: number;
}

/**
 * One metric filter pattern (`$.event = "auth.rejected"`) on every function's log group feeding
 * one metric, `TenantRegistry/AuthRejected`; alarms on it and on 5xx rate, function errors and
 * throttles, DynamoDB throttling and (with WAF) blocked requests, all to one SNS topic; and one
 * dashboard.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly authRejected: cloudwatch.Metric;
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  readonly dashboard: cloudwatch.Dashboard;
  /** The subscribed email, if any. */
  readonly alarmEmail?: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Tenant Registry alarms (${Stack.of(this).stackName})`,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.alarmEmail = props.alarmEmail;
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.topic);

    for (const [i, fn] of props.functions.entries()) {
      new logsLib.MetricFilter(this, `AuthRejectedFilter${i}`, {
        logGroup: fn.logGroup as logs.ILogGroup,
        filterPattern: AUTH_REJECTED_PATTERN,
        metricNamespace: METRIC_NAMESPACE,
        metricName: AUTH_REJECTED_METRIC,
        metricValue: '1',
      });
    }
    const period = props.authRejectedPeriod ?? Duration.minutes(5);
    this.authRejected = new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: AUTH_REJECTED_METRIC,
      statistic: 'Sum',
      period,
    });

    const alarms: Record<string, cloudwatch.Alarm> = {};
    const alarm = (name: string, alarmProps: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, name, alarmProps);
      a.addAlarmAction(notify);
      alarms[name] = a;
      return a;
    };

    alarm('AuthRejectedAlarm', {
      alarmDescription:
        'Rejected admin credentials (auth.rejected log lines) over the threshold: someone is trying tokens. Runbook: README "Deploy and operate".',
      metric: this.authRejected,
      threshold: props.authRejectedThreshold ?? 10,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('ServerErrorRateAlarm', {
      alarmDescription: `5xx share of ${props.ingress.kind} requests over the threshold for 10 of 15 minutes.`,
      metric: props.ingress.serverErrorRate,
      threshold: props.serverErrorRateThreshold ?? 0.05,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const errorSums: cloudwatch.IMetric[] = [];
    const throttleSums: cloudwatch.IMetric[] = [];
    // Errors and throttles summed over every function, 10 functions per alarm (metric math limit).
    for (const [i, group] of chunk(props.functions, MAX_METRICS_PER_ALARM).entries()) {
      const sum = (metric: 'Errors' | 'Throttles') =>
        new cloudwatch.MathExpression({
          expression: group.map((_, j) => `${metric.toLowerCase()}${i}x${j}`).join(' + '),
          usingMetrics: Object.fromEntries(
            group.map((fn, j) => [
              `${metric.toLowerCase()}${i}x${j}`,
              fn.function.metric(metric, { statistic: 'Sum', period: Duration.minutes(5) }),
            ]),
          ),
          label: `${metric} (functions ${i * MAX_METRICS_PER_ALARM + 1}-${i * MAX_METRICS_PER_ALARM + group.length})`,
          period: Duration.minutes(5),
        });
      const errors = sum('Errors');
      const throttles = sum('Throttles');
      errorSums.push(errors);
      throttleSums.push(throttles);
      alarm(`FunctionErrorsAlarm${i + 1}`, {
        alarmDescription: `Unhandled errors in functions ${group.map((f) => f.node.id).join(', ')}.`,
        metric: errors,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`FunctionThrottlesAlarm${i + 1}`, {
        alarmDescription: `Throttled invocations in functions ${group.map((f) => f.node.id).join(', ')} (account concurrency).`,
        metric: throttles,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }

    const tableThrottles = new cloudwatch.MathExpression({
      expression: 'r + w',
      usingMetrics: {
        r: props.table.metric('ReadThrottleEvents', { statistic: 'Sum', period: Duration.minutes(5) }),
        w: props.table.metric('WriteThrottleEvents', { statistic: 'Sum', period: Duration.minutes(5) }),
      },
      label: 'DynamoDB throttle events',
      period: Duration.minutes(5),
    });
    alarm('TableThrottlesAlarm', {
      alarmDescription: 'DynamoDB throttled reads or writes on the registry table.',
      metric: tableThrottles,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.wafBlocked) {
      alarm('WafBlockedAlarm', {
        alarmDescription:
          'WAF blocked many requests: probing from outside the allowlist, bad inputs or oversized bodies.',
        metric: props.wafBlocked,
        threshold: props.wafBlockedThreshold ?? 100,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    this.alarms = alarms;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}`,
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(alarms), width: 24 })],
        [
          new cloudwatch.GraphWidget({ title: 'Rejected credentials', left: [this.authRejected], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Requests', left: [props.ingress.requests], width: 8 }),
          new cloudwatch.GraphWidget({ title: '5xx share', left: [props.ingress.serverErrorRate], width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'DynamoDB throttles', left: [tableThrottles], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Function errors', left: errorSums, width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Function throttles', left: throttleSums, width: 8 }),
        ],
        [
          ...(props.wafBlocked
            ? [new cloudwatch.GraphWidget({ title: 'WAF blocked', left: [props.wafBlocked], width: 8 })]
            : []),
        ],
      ],
    });
  }
}
