import { shownInProfile } from './tenant';

/**
 * Lifecycle events (docs/events.md): every committed audit event is one event, published from
 * the table's stream (the audit event item is the outbox), delivered at least once to the
 * EventBridge bus and to matching webhook subscriptions. `id` is the idempotency key consumers
 * dedupe on; `sequence` counts the events of one chain (one tenant, or the global chain) from 1
 * with no gaps, so a consumer can detect a gap and reorder.
 */
export interface RegistryEvent {
  /** The audit event's id, as a decimal string. */
  readonly id: string;
  /** The audit action: `tenant.created`, `api_key.revoked`, ... or a product's own action. */
  readonly type: string;
  readonly created_at: string;
  /** Absent for global events. */
  readonly tenant_id?: string;
  readonly sequence: number;
  /** The resource after the change, in its public shape: never a secret, hash or plaintext. */
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * What a tenant-facing delivery carries: the operators' private profile fields stay out of
 * `data`, as they stay out of the tenant's profile and audit trail.
 */
export function tenantEventView(event: RegistryEvent): RegistryEvent {
  return {
    ...event,
    data: Object.fromEntries(Object.entries(event.data).filter(([field]) => shownInProfile(field))),
  };
}
