import {
  aws_cloudwatch_actions as actions,
  aws_cloudwatch as cloudwatch,
  Duration,
  type aws_dynamodb as dynamodb,
  aws_logs as logs,
  type aws_sns as sns,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Plane } from '../../shared/contract/planes';
// Written by the verifier as an EMF line per broken chain per run (the line names the chain and event).
import { AUDIT_CHAIN_BROKEN_METRIC } from '../../shared/observability/metrics';
import { chunk } from '../routing';
import type { RegistryFunction } from './registry-function';

/** The CloudWatch namespace of the registry's own metrics. */
export const METRIC_NAMESPACE = 'TenantRegistry';
/** Rejected operator and service credentials (admin token): the seed's alarm, pages at a low threshold. */
export const AUTH_REJECTED_METRIC = 'AuthRejected';
/** Rejected tenant-plane credentials (API keys): the plane faces the internet, scanners count here. */
export const TENANT_AUTH_REJECTED_METRIC = 'TenantAuthRejected';
/** Every registry metric carries the stage, so two stages in one account never count each other. */
export const STAGE_DIMENSION = 'Stage';

/** Which rejection metric a plane's rejections feed; the public plane rejects nothing. */
export type RejectionGroup = 'admin' | 'tenant';

export function rejectionGroupOf(plane: Plane): RejectionGroup | undefined {
  if (plane === 'operator' || plane === 'service') return 'admin';
  if (plane === 'tenant') return 'tenant';
  return undefined;
}

const rejected = logs.FilterPattern.stringValue('$.event', '=', 'auth.rejected');
/**
 * Match the one structured line the auth middlewares write per rejected credential
 * (shared/http/middleware/admin-auth.ts, `logRejection`: `event`, `plane`, `stage`, ...) of the
 * group's planes, and nothing else.
 */
export const AUTH_REJECTED_PATTERNS: Readonly<Record<RejectionGroup, logs.IFilterPattern>> = Object.freeze({
  admin: logs.FilterPattern.all(
    rejected,
    logs.FilterPattern.any(
      logs.FilterPattern.stringValue('$.plane', '=', 'operator'),
      logs.FilterPattern.stringValue('$.plane', '=', 'service'),
    ),
  ),
  tenant: logs.FilterPattern.all(rejected, logs.FilterPattern.stringValue('$.plane', '=', 'tenant')),
});

export const AUTH_REJECTED_METRICS: Readonly<Record<RejectionGroup, string>> = Object.freeze({
  admin: AUTH_REJECTED_METRIC,
  tenant: TENANT_AUTH_REJECTED_METRIC,
});

/**
 * The metric filter counting a function's rejected credentials, beside its log group (the
 * function's stack). The `Stage` dimension comes from the line's own `stage` field (a metric
 * filter's dimension values are fields of the log event), which the stack sets through
 * TENANT_REGISTRY_STAGE. None for the public plane.
 */
export function addAuthRejectedFilter(fn: RegistryFunction, plane: Plane): logs.MetricFilter | undefined {
  const group = rejectionGroupOf(plane);
  if (!group) return undefined;
  return new logs.MetricFilter(fn, 'AuthRejectedFilter', {
    logGroup: fn.logGroup,
    filterPattern: AUTH_REJECTED_PATTERNS[group],
    metricNamespace: METRIC_NAMESPACE,
    metricName: AUTH_REJECTED_METRICS[group],
    metricValue: '1',
    dimensions: { [STAGE_DIMENSION]: '$.stage' },
  });
}

export function authRejectedMetric(
  group: RejectionGroup,
  stage: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: AUTH_REJECTED_METRICS[group],
    dimensionsMap: { [STAGE_DIMENSION]: stage },
    statistic: 'Sum',
    period,
  });
}

/** Alarm metric math may reference at most 10 metrics. */
const MAX_METRICS_PER_ALARM = 10;

export interface IngressMetrics {
  readonly kind: 'apigateway' | 'alb';
  readonly serverErrorRate: cloudwatch.IMetric;
  readonly requests: cloudwatch.IMetric;
}

export interface MonitoringProps {
  /** The stage: the `Stage` dimension of the registry's metrics. */
  readonly stage: string;
  /** The topic every alarm notifies (the data stack's). */
  readonly topic: sns.ITopic;
  /** Every alarm is named `<alarmNamePrefix><name>`: the topic lets only those publish. */
  readonly alarmNamePrefix: string;
  readonly dashboardName: string;
  readonly functions: readonly RegistryFunction[];
  readonly table: dynamodb.ITable;
  /** The webhook sender's DLQ: any message in it pages. @default no such alarm */
  readonly webhookDeadLetters?: sqs.IQueue;
  readonly ingress: IngressMetrics;
  /** The web ACL's BlockedRequests, when WAF is on. */
  readonly wafBlocked?: cloudwatch.IMetric;
  /** Rejected operator/service credentials in one period that page. @default 10 */
  readonly authRejectedThreshold?: number;
  /** Rejected tenant-plane credentials in one period that page. @default 500 */
  readonly tenantAuthRejectedThreshold?: number;
  /** @default Duration.minutes(5) */
  readonly authRejectedPeriod?: Duration;
  /** 5xx share of requests (0..1) that pages. @default 0.05 */
  readonly serverErrorRateThreshold?: number;
  /** Requests WAF blocked in 5 minutes that page. @default 100 */
  readonly wafBlockedThreshold?: number;
}

/**
 * The alarms, each named `<prefix><name>` and notifying the alarm topic: rejected operator and
 * service credentials (the seed's alarm), rejected tenant-plane keys (own metric, higher
 * threshold), 5xx rate, function errors and throttles, DynamoDB throttling and (with WAF) blocked
 * requests; and one dashboard.
 */
export class Monitoring extends Construct {
  readonly authRejected: cloudwatch.Metric;
  readonly tenantAuthRejected: cloudwatch.Metric;
  readonly alarms: Readonly<Record<string, cloudwatch.Alarm>>;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const notify = new actions.SnsAction(props.topic);
    const period = props.authRejectedPeriod ?? Duration.minutes(5);
    this.authRejected = authRejectedMetric('admin', props.stage, period);
    this.tenantAuthRejected = authRejectedMetric('tenant', props.stage, period);

    const alarms: Record<string, cloudwatch.Alarm> = {};
    const alarm = (name: string, alarmProps: Omit<cloudwatch.AlarmProps, 'alarmName'>) => {
      const a = new cloudwatch.Alarm(this, `${name}Alarm`, {
        ...alarmProps,
        alarmName: `${props.alarmNamePrefix}${name}`,
      });
      a.addAlarmAction(notify);
      alarms[name] = a;
      return a;
    };

    const minutes = period.toMinutes();
    alarm('AuthRejected', {
      alarmDescription: `Rejected operator or service credentials (admin token; auth.rejected lines of plane operator or service, metric ${METRIC_NAMESPACE}/${AUTH_REJECTED_METRIC}, ${STAGE_DIMENSION}=${props.stage}) at or over the threshold in ${minutes} minutes: these planes sit behind the allowlist, so someone allowed in is trying tokens. Runbook: docs/operations.md "AuthRejected".`,
      metric: this.authRejected,
      threshold: props.authRejectedThreshold ?? 10,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('TenantAuthRejected', {
      alarmDescription: `Rejected tenant-plane API keys (auth.rejected lines of plane tenant, metric ${METRIC_NAMESPACE}/${TENANT_AUTH_REJECTED_METRIC}, ${STAGE_DIMENSION}=${props.stage}) at or over the threshold in ${minutes} minutes: the plane faces the internet and scanners are expected below it; above it, a key is being guessed or a client keeps using a revoked key. Runbook: docs/operations.md "TenantAuthRejected".`,
      metric: this.tenantAuthRejected,
      threshold: props.tenantAuthRejectedThreshold ?? 500,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('ServerErrorRate', {
      alarmDescription: `5xx share of ${props.ingress.kind} requests over the threshold for 10 of 15 minutes. Runbook: docs/operations.md "ServerErrorRate".`,
      metric: props.ingress.serverErrorRate,
      threshold: props.serverErrorRateThreshold ?? 0.05,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // Any broken link pages: the log's integrity is the product's promise. A period as long as
    // the verifier's schedule, so the alarm stays in ALARM between runs that keep finding it.
    const auditChainBroken = new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: AUDIT_CHAIN_BROKEN_METRIC,
      dimensionsMap: { [STAGE_DIMENSION]: props.stage },
      statistic: 'Sum',
      period: Duration.hours(1),
    });
    alarm('AuditChainBroken', {
      alarmDescription: `The scheduled audit verifier found a broken link in an audit chain (metric ${METRIC_NAMESPACE}/${AUDIT_CHAIN_BROKEN_METRIC}, ${STAGE_DIMENSION}=${props.stage}; the audit.chain_broken log line names the chain and the event): an event was changed, deleted or inserted outside the registry. Runbook: docs/operations.md "AuditChainBroken".`,
      metric: auditChainBroken,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
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
      alarm(`FunctionErrors${i + 1}`, {
        alarmDescription: `Unhandled errors in functions ${group.map((f) => f.node.id).join(', ')}. Runbook: docs/operations.md "FunctionErrors".`,
        metric: errors,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`FunctionThrottles${i + 1}`, {
        alarmDescription: `Throttled invocations in functions ${group.map((f) => f.node.id).join(', ')} (reserved or account concurrency exhausted). Runbook: docs/operations.md "FunctionThrottles".`,
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
    alarm('TableThrottles', {
      alarmDescription:
        'DynamoDB throttled reads or writes on the registry table. Runbook: docs/operations.md "TableThrottles".',
      metric: tableThrottles,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.webhookDeadLetters) {
      alarm('WebhookDeadLetters', {
        alarmDescription:
          'Webhook delivery messages the sender failed on five times are in the DLQ (the table out of reach, or a bug; a receiver that fails is retried, never dead-lettered). Runbook: docs/operations.md "WebhookDeadLetters".',
        metric: props.webhookDeadLetters.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    if (props.wafBlocked) {
      alarm('WafBlocked', {
        alarmDescription:
          'WAF blocked many requests: probing from outside the allowlist, the tenant plane rate limit per IP, bad inputs or oversized bodies. Runbook: docs/operations.md "WafBlocked".',
        metric: props.wafBlocked,
        threshold: props.wafBlockedThreshold ?? 100,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    this.alarms = alarms;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(alarms), width: 24 })],
        [
          new cloudwatch.GraphWidget({
            title: 'Rejected credentials',
            left: [this.authRejected],
            right: [this.tenantAuthRejected],
            width: 8,
          }),
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
