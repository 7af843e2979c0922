import type { AuditEvent, AuditInput } from '../domain/audit';
import type { IdempotencyClaim, IdempotencyRecord } from '../domain/idempotency';
import type { Tenant, TenantStatus } from '../domain/tenant';

/** Who holds a slug, as the table (the source of truth) records it. */
export interface SlugClaim {
  readonly slug: string;
  readonly tenant_id: string;
  readonly retired_at?: string;
  readonly quarantine_until?: string;
}

/**
 * A change of slug ownership inside a commit. `claim` succeeds only if the slug is free, its
 * quarantine is over, or it is this tenant's own retired alias; `release` retires the claim
 * and starts its quarantine.
 */
export type SlugChange =
  | { readonly kind: 'claim'; readonly slug: string }
  | { readonly kind: 'release'; readonly slug: string; readonly quarantine_until: string };

/**
 * Everything one state change writes. The store commits it in a single transaction together
 * with the audit event, sealed onto the event's chain: all of it or none of it.
 */
export interface UnitOfWork {
  /** The tenant's next state; `expectedVersion` 'new' for a create. */
  readonly tenant?: { readonly next: Tenant; readonly expectedVersion: number | 'new' };
  readonly slugs?: readonly SlugChange[];
  readonly audit: AuditInput;
  readonly idempotency?: IdempotencyRecord;
  /** Replaces the stored response of an earlier idempotent create (same key and body). */
  readonly idempotentResponse?: IdempotencyClaim & { readonly body: unknown };
  /**
   * `performance.now()` when the change began: the write budget runs from there across every
   * re-read and retry of the change, so a busy tenant never holds a request past it.
   */
  readonly since?: number;
}

export interface TenantPage {
  readonly items: readonly Tenant[];
  readonly next_cursor?: string;
}

/**
 * The reads a request path needs: by id, by slug, and an Idempotency-Key's first response.
 * Functions that change nothing depend on this alone, so their bundles carry no writer.
 */
export interface TenantReader {
  /** Strongly consistent: a change is visible to every later read. */
  getTenant(id: string): Promise<Tenant | undefined>;
  getSlugClaim(slug: string): Promise<SlugClaim | undefined>;
  getIdempotencyRecord(scope: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** Cheap round trip for readiness. */
  ping(): Promise<void>;
}

/** The reads and the audited commit: what a function that changes tenants needs, without the lists. */
export interface TenantWriter extends TenantReader {
  commit(unit: UnitOfWork): Promise<AuditEvent>;
}

/** Tenants, slug claims, idempotency records and the audit chain heads, in one table. */
export interface TenantStore extends TenantWriter {
  /** Newest first. `cursor` is opaque; a cursor this store did not issue is a ValidationError. */
  listTenants(query: { status?: TenantStatus; limit: number; cursor?: string }): Promise<TenantPage>;
  /** Every slug claim, active and retired, for the reconciler. */
  slugClaims(): AsyncIterable<SlugClaim>;
}
