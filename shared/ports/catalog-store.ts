import type { AuditEvent, AuditInput } from '../domain/audit';
import type { CatalogEntry, Entitlement } from '../domain/catalog';

/** What a trial decision assumed about its tenant. */
export interface TrialGuard {
  readonly plan: string;
}

/** The version a write expects to replace: `new` when nothing may exist yet. */
export type Expected = number | 'new';

/** The catalog's reads: what a function that changes nothing in it needs, without the writer. */
export interface CatalogReader {
  /** Strongly consistent. */
  getEntry(key: string): Promise<CatalogEntry | undefined>;
  /** Every entry, by key (served by an index: may lag a write by a moment). */
  listEntries(): Promise<CatalogEntry[]>;
  /** Strongly consistent. */
  getEntitlement(tenantId: string, product: string): Promise<Entitlement | undefined>;
  /** A tenant's entitlements by product; one Query of the tenant's partition, strongly consistent. */
  listEntitlements(tenantId: string): Promise<Entitlement[]>;
}

/**
 * Catalog entries, entitlements and trial markers, in the one table. Every change commits with
 * its audit event in one transaction; a write whose expected version no longer holds fails with
 * ConcurrentUpdateError, and the caller re-reads.
 */
export interface CatalogStore extends CatalogReader {
  putEntry(entry: CatalogEntry, expected: Expected, audit: AuditInput): Promise<AuditEvent>;
  /** `tenantNotArchived`: the write fails with `tenant_inactive` if the tenant is archived by then. */
  putEntitlement(
    entitlement: Entitlement,
    expected: Expected,
    audit: AuditInput,
    options?: { readonly tenantNotArchived?: boolean },
  ): Promise<AuditEvent>;
  /**
   * Starts a trial: the tenant's trial marker for the product (written once, ever: a second one
   * is `trial_used`) and the trial entitlement, which may replace only a missing, revoked or
   * expired entitlement (`already_entitled` otherwise), with the audit event, all or nothing.
   * The tenant must still be live and on `tenant.plan` (ConcurrentUpdateError otherwise).
   */
  startTrial(entitlement: Entitlement, tenant: TrialGuard, audit: AuditInput): Promise<AuditEvent>;
  /** An audit event and nothing else (a product request for sales). */
  record(audit: AuditInput): Promise<AuditEvent>;
}
