import { type ApiKey, apiKeyView } from './api-key';
import type { AuditInput } from './audit';
import type { RegistryAction } from './audit-events';
import { tenantMetadataView } from './audit-projection';
import { type CatalogEntry, catalogView, type Entitlement, entitlementView } from './catalog';
import { shownInProfile, type Tenant, tenantView } from './tenant';

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
 * `data`, as they stay out of the tenant's profile, and an event's metadata is projected as the
 * tenant's audit list projects it (audit-projection.ts, the one place that decides).
 */
export function tenantEventView(event: RegistryEvent): RegistryEvent {
  const { metadata, ...rest } = event.data;
  const data: Record<string, unknown> = Object.fromEntries(
    Object.entries(rest).filter(([field]) => shownInProfile(field)),
  );
  if (metadata !== null && typeof metadata === 'object' && !Array.isArray(metadata)) {
    data.metadata = tenantMetadataView(
      event.type,
      metadata as Record<string, unknown>,
      rest.origin === 'tenant',
    );
  }
  return { ...event, data };
}

/**
 * The resource a change leaves behind, as the store that writes it knows it. The event's `data`
 * is made from it (`eventData`) and from nothing else.
 */
export type EventResource =
  | { readonly kind: 'tenant'; readonly tenant: Tenant }
  | { readonly kind: 'api_key'; readonly key: ApiKey }
  | { readonly kind: 'entitlement'; readonly entitlement: Entitlement; readonly now: Date }
  | { readonly kind: 'catalog_entry'; readonly entry: CatalogEntry }
  /** A webhook endpoint in its API shape (the webhook dispatcher's); secrets are dropped here too. */
  | { readonly kind: 'webhook'; readonly webhook: Readonly<Record<string, unknown>> };

/**
 * What each registry action's `data` is: the resource it changed, or (`event`) the event's own
 * public fields, for actions that change no resource of their own (a sales request, the
 * outcome of a provisioning). Typed over every action, so a new action must say what it carries.
 */
export const EVENT_DATA: { readonly [A in RegistryAction]: EventResource['kind'] | 'event' } = {
  'tenant.created': 'tenant',
  'tenant.updated': 'tenant',
  'tenant.activated': 'tenant',
  'tenant.cancelled': 'tenant',
  'tenant.retired': 'tenant',
  'alias.added': 'tenant',
  'alias.removed': 'tenant',
  'api_key.created': 'api_key',
  'api_key.revoked': 'api_key',
  'api_key.rolled': 'api_key',
  'entitlement.granted': 'entitlement',
  'entitlement.revoked': 'entitlement',
  'catalog.updated': 'catalog_entry',
  'catalog.requested': 'event',
  'trial.started': 'entitlement',
  'keycloak.provisioned': 'event',
  'keycloak.provision_failed': 'event',
  'webhook.created': 'webhook',
  'webhook.updated': 'webhook',
  'webhook.deleted': 'webhook',
  'webhook.secret_rotated': 'webhook',
  'webhook.disabled': 'webhook',
  'webhook.test': 'event',
};

/**
 * Field names that never leave in an event's `data`, at any depth: secrets and key material
 * (an API key's argon2id hash, a webhook's signing secret, a plaintext key). The views already
 * leave them out; this is the last guard, in one place, whatever a resource grows. A product's
 * metadata or a tenant's settings under these names are withheld too: an event is a broadcast.
 */
export const NEVER_PUBLISHED: ReadonlySet<string> = new Set([
  'secret',
  'secrets',
  'secret_hash',
  'signing_secret',
  'previous_secret',
  'plaintext',
  'password',
  'token',
]);

/** The audit chain's own fields: the event's integrity, not its content (top level). */
const CHAIN_FIELDS: ReadonlySet<string> = new Set(['hash', 'prev_hash', 'nonce']);

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([field, v]) => v !== undefined && !NEVER_PUBLISHED.has(field))
      .map(([field, v]) => [field, withoutSecrets(v)]),
  );
}

/** The public fields of an event itself: who did what to what, and its metadata. */
const EVENT_FIELDS = [
  'tenant_id',
  'project_id',
  'actor_id',
  'actor_name',
  'actor_type',
  'target_id',
  'target_type',
  'target_name',
  'product',
  'origin',
  'metadata',
] as const;

function eventFields(event: AuditInput): Record<string, unknown> {
  const source = event as unknown as Record<string, unknown>;
  return Object.fromEntries(EVENT_FIELDS.filter((f) => source[f] !== undefined).map((f) => [f, source[f]]));
}

function resourceView(resource: EventResource): Record<string, unknown> {
  switch (resource.kind) {
    case 'tenant':
      return tenantView(resource.tenant);
    case 'api_key':
      return { ...apiKeyView(resource.key) };
    case 'entitlement':
      return { ...entitlementView(resource.entitlement, resource.now) };
    case 'catalog_entry':
      return { ...catalogView(resource.entry) };
    case 'webhook':
      return { ...resource.webhook };
  }
}

/**
 * The `data` of an event: the resource after the change in its public shape (the API's view of
 * it) when the action declares that resource and the store wrote one; otherwise the event's own
 * public fields (products' appended events, actions without a resource). Never a secret, hash
 * or plaintext, at any depth.
 */
export function eventData(event: AuditInput, resource?: EventResource): Record<string, unknown> {
  const declared = Object.hasOwn(EVENT_DATA, event.action)
    ? EVENT_DATA[event.action as RegistryAction]
    : 'event';
  const data =
    resource !== undefined && declared === resource.kind ? resourceView(resource) : eventFields(event);
  const top = Object.fromEntries(Object.entries(data).filter(([field]) => !CHAIN_FIELDS.has(field)));
  return withoutSecrets(top) as Record<string, unknown>;
}

/**
 * The event an outbox item holds (a stored audit event item, as the table's stream shows it
 * after the change, unmarshalled), or undefined for any other item: another entity, or an event
 * written before the outbox (no `sequence`, no `data`), which was never meant to be published.
 * Pure; the stream's filter already passes only inserted audit event items.
 */
export function eventFromOutboxItem(item: Readonly<Record<string, unknown>>): RegistryEvent | undefined {
  if (item.entity !== 'audit_event') return undefined;
  const { id, action, created_at, tenant_id, sequence, data } = item;
  if (typeof id !== 'number' && typeof id !== 'string') return undefined;
  if (typeof action !== 'string' || typeof created_at !== 'string') return undefined;
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 1) return undefined;
  if (typeof data !== 'string') return undefined;
  const parsed: unknown = JSON.parse(data);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  return {
    id: String(id),
    type: action,
    created_at,
    ...(typeof tenant_id === 'string' ? { tenant_id } : {}),
    sequence,
    data: parsed as Record<string, unknown>,
  };
}
