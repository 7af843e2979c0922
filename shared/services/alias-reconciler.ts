import type { ListedAliasRegistry } from '../ports/alias-registry';
import type { TenantStore } from '../ports/tenant-store';

export interface ReconcileReport {
  /** Active in the table, missing from SSM: published. */
  readonly published: string[];
  /** In SSM with the wrong tenant: corrected. */
  readonly corrected: string[];
  /** In SSM but not active in the table (retired, quarantined or unknown): removed. */
  readonly removed: string[];
  /** Active aliases checked. */
  readonly checked: number;
}

/**
 * Makes the published alias map in SSM equal the table's active slug claims, both ways.
 * The table is the source of truth; safe to run at any time and any number of times.
 */
export class AliasReconciler {
  constructor(
    private readonly store: TenantStore,
    private readonly registry: ListedAliasRegistry,
  ) {}

  async reconcile(): Promise<ReconcileReport> {
    const wanted = new Map<string, string>();
    for await (const claim of this.store.slugClaims()) {
      if (claim.retired_at === undefined) wanted.set(claim.slug, claim.tenant_id);
    }
    const published = new Map<string, string>();
    for await (const entry of this.registry.entries()) published.set(entry.slug, entry.tenant_id);

    const report: ReconcileReport = { published: [], corrected: [], removed: [], checked: wanted.size };
    for (const [slug, tenantId] of published) {
      const want = wanted.get(slug);
      if (want === undefined) {
        await this.registry.unpublish(slug);
        report.removed.push(slug);
      } else if (want !== tenantId) {
        await this.registry.publish(slug, want);
        report.corrected.push(slug);
      }
    }
    for (const [slug, tenantId] of wanted) {
      if (published.has(slug)) continue;
      await this.registry.publish(slug, tenantId);
      report.published.push(slug);
    }
    return report;
  }
}
