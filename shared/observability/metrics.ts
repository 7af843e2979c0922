import { config } from '../config/env';

/** The CloudWatch namespace of the registry's own metrics (the same as lib/constructs/monitoring.ts). */
export const METRIC_NAMESPACE = 'TenantRegistry';
/** Broken links the scheduled verifier found: one per broken chain per run. */
export const AUDIT_CHAIN_BROKEN_METRIC = 'AuditChainBroken';
/** Events the scheduled verifier checked in a run. */
export const AUDIT_EVENTS_VERIFIED_METRIC = 'AuditEventsVerified';

/**
 * One metric line in CloudWatch's embedded metric format: Lambda's log line becomes the metric,
 * with no call to CloudWatch and no metric filter. The one dimension is the stage (as for
 * every registry metric); `fields` are searchable properties of the line, not dimensions, so a
 * chain id never multiplies the metric's cost.
 */
export function emitMetric(
  name: string,
  value: number,
  fields: Record<string, unknown> = {},
  now: Date = new Date(),
): void {
  const line = {
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        { Namespace: METRIC_NAMESPACE, Dimensions: [['Stage']], Metrics: [{ Name: name, Unit: 'Count' }] },
      ],
    },
    Stage: config().stage,
    [name]: value,
    ...fields,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
