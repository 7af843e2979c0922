import { aliasReconciler } from '../../shared/app';
import { logger } from '../../shared/observability/logger';
import type { ReconcileReport } from '../../shared/services/alias-reconciler';

/** Scheduled Lambda: repairs drift between the table's aliases and SSM, and logs what it fixed. */
export async function handler(): Promise<ReconcileReport> {
  const report = await aliasReconciler().reconcile();
  logger.info('aliases reconciled', {
    event: 'aliases.reconciled',
    checked: report.checked,
    published: report.published,
    corrected: report.corrected,
    removed: report.removed,
  });
  return report;
}
