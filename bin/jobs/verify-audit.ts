import { auditMonitor } from '../../shared/app';
import { logger } from '../../shared/observability/logger';
import {
  AUDIT_CHAIN_BROKEN_METRIC,
  AUDIT_EVENTS_VERIFIED_METRIC,
  emitMetric,
} from '../../shared/observability/metrics';
import type { VerifierReport } from '../../shared/services/audit-monitor';

/**
 * Scheduled Lambda: verifies every audit chain a turn at a time, moves checkpoints and expires
 * events past retention (shared/services/audit-monitor.ts). A broken link is one
 * `AuditChainBroken` metric line naming the chain and the event, which the stack alarms on.
 */
export async function handler(): Promise<VerifierReport> {
  const report = await auditMonitor().run();
  for (const chain of report.chains) {
    if (chain.ok) continue;
    emitMetric(AUDIT_CHAIN_BROKEN_METRIC, 1, {
      event: 'audit.chain_broken',
      chain: chain.chain,
      event_id: chain.event_id ?? null,
      reason: chain.reason,
    });
  }
  const checked = report.chains.reduce((n, c) => n + c.checked, 0);
  emitMetric(AUDIT_EVENTS_VERIFIED_METRIC, checked, { event: 'audit.verified' });
  logger.info('audit chains verified', {
    event: 'audit.verify_run',
    chains: report.chains.length,
    checked,
    broken: report.chains.filter((c) => !c.ok).length,
    checkpoints_moved: report.chains.filter((c) => c.checkpoint).length,
    expired: report.chains.reduce((n, c) => n + c.expired, 0),
    wrapped: report.wrapped,
  });
  return report;
}
