import { createHash } from 'node:crypto';
import type { TenantStatus } from '../../domain/tenant';

/**
 * Every key of the table, built here and nowhere else. Parts are labelled (`TENANT#<uuid>`);
 * ids are UUIDs, slugs match the slug pattern and chains are UUIDs or `global`, so the `#`
 * delimiter can never occur inside a part. Free-form parts (idempotency keys) are hashed.
 * The access patterns these keys serve are listed in docs/storage.md.
 */

export interface Key {
  readonly PK: string;
  readonly SK: string;
}

/** 16 digits hold every audit id below 2^53 and sort like numbers. */
const padId = (id: number): string => id.toString().padStart(16, '0');

export const TENANT_LIST = 'TENANTS';
export const SLUG_LIST = 'SLUGS';
export const CATALOG_LIST = 'CATALOG';
/** Sort-key prefix of a tenant's entitlements, for `begins_with`. */
export const ENTITLEMENT_PREFIX = 'ENTITLEMENT#';

export const keys = {
  tenant: (id: string): Key => ({ PK: `TENANT#${id}`, SK: 'PROFILE' }),
  slugClaim: (slug: string): Key => ({ PK: `SLUG#${slug}`, SK: 'CLAIM' }),
  auditHead: (chain: string): Key => ({ PK: `AUDIT#${chain}`, SK: 'HEAD' }),
  /** Sort keys of a chain's events: `EVENT#` and the 16-digit id. */
  auditEvent: (chain: string, id: number): Key => ({ PK: `AUDIT#${chain}`, SK: `EVENT#${padId(id)}` }),
  /** The newest event of the chain that may expire: where verification starts (docs/storage.md). */
  auditCheckpoint: (chain: string): Key => ({ PK: `AUDIT#${chain}`, SK: 'CHECKPOINT' }),
  /** How far the scheduled verifier got on the chain. */
  auditVerifyProgress: (chain: string): Key => ({ PK: `AUDIT#${chain}`, SK: 'VERIFIED' }),
  /** Where the scheduled verifier's last run stopped in the list of chains. */
  auditVerifierRun: (): Key => ({ PK: 'AUDITRUN#verify', SK: 'CURSOR' }),
  /** Claims an audit id across every chain, so ids (and id cursors) are unique log-wide. */
  auditId: (id: number): Key => ({ PK: `AUDITID#${padId(id)}`, SK: 'CLAIM' }),
  /** Catalog keys match the identifier pattern, so they never hold `#`. */
  catalogEntry: (key: string): Key => ({ PK: `CATALOG#${key}`, SK: 'ENTRY' }),
  /** In the tenant's partition: one Query lists a tenant's entitlements, one GetItem reads one. */
  entitlement: (tenantId: string, product: string): Key => ({
    PK: `TENANT#${tenantId}`,
    SK: `${ENTITLEMENT_PREFIX}${product}`,
  }),
  /** Written once, never removed: "one trial per product per tenant, ever" by a conditional put. */
  trialMarker: (tenantId: string, product: string): Key => ({
    PK: `TENANT#${tenantId}`,
    SK: `TRIAL#${product}`,
  }),
  idempotency: (scope: string, key: string): Key => ({
    PK: `IDEMPOTENCY#${scope}#${createHash('sha256').update(key).digest('hex')}`,
    SK: 'RECORD',
  }),
  /** One GetItem from the id part of a presented key. */
  apiKey: (id: string): Key => ({ PK: `APIKEY#${id}`, SK: 'KEY' }),
  /** A webhook endpoint; its secrets and deliveries share its partition. */
  webhook: (id: string): Key => ({ PK: `WEBHOOK#${id}`, SK: 'ENDPOINT' }),
  /** Apart from the endpoint, so no read of the API (GetItem, list) ever loads a secret. */
  webhookSecrets: (id: string): Key => ({ PK: `WEBHOOK#${id}`, SK: 'SECRETS' }),
  /** One per (endpoint, event): the conditional put that makes a redelivered event a no-op. */
  webhookDelivery: (endpointId: string, eventId: number): Key => ({
    PK: `WEBHOOK#${endpointId}`,
    SK: `${DELIVERY_PREFIX}${padId(eventId)}`,
  }),
  /** How many endpoints an owner (a tenant id, or `global`) has: the limit, by a conditional update. */
  webhookCount: (owner: string): Key => ({ PK: `${WEBHOOK_LIST}#${owner}`, SK: 'COUNT' }),
} as const;

export const WEBHOOK_LIST = 'WEBHOOKS';
/** Sort-key prefix of an endpoint's deliveries, for `begins_with`. */
export const DELIVERY_PREFIX = 'DELIVERY#';
export const deliveryIdOf = (sk: string): string => String(Number(sk.slice(DELIVERY_PREFIX.length)));

/** Sort key shared by both tenant-list indexes: newest first when read backwards. */
export const tenantListSort = (createdAt: string, id: string): string => `${createdAt}#${id}`;
export const TENANT_LIST_SORT_PATTERN =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)#([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** Generic secondary index attributes, per entity. */
export const indexes = {
  /** GSI1: every tenant, by creation time. */
  tenantList: (createdAt: string, id: string) => ({
    GSI1PK: TENANT_LIST,
    GSI1SK: tenantListSort(createdAt, id),
  }),
  /** GSI2: tenants of one status, by creation time. */
  tenantsByStatus: (status: TenantStatus, createdAt: string, id: string) => ({
    GSI2PK: `${TENANT_LIST}#STATUS#${status}`,
    GSI2SK: tenantListSort(createdAt, id),
  }),
  /** GSI1: every slug claim, for the reconciler. */
  slugList: (slug: string) => ({ GSI1PK: SLUG_LIST, GSI1SK: slug }),
  /** GSI1: every catalog entry, by key. */
  catalogList: (key: string) => ({ GSI1PK: CATALOG_LIST, GSI1SK: key }),
  /** GSI1: one tenant's API keys, by creation time. */
  tenantApiKeys: (tenantId: string, createdAt: string, id: string) => ({
    GSI1PK: `TENANT#${tenantId}#KEYS`,
    GSI1SK: tenantListSort(createdAt, id),
  }),
  /** GSI1: the endpoints of one owner (a tenant id, or `global`), by creation time. */
  webhooksOf: (owner: string, createdAt: string, id: string) => ({
    GSI1PK: `${WEBHOOK_LIST}#${owner}`,
    GSI1SK: tenantListSort(createdAt, id),
  }),
  /** GSI2: every endpoint, by creation time (the operators' list). */
  webhookList: (createdAt: string, id: string) => ({
    GSI2PK: WEBHOOK_LIST,
    GSI2SK: tenantListSort(createdAt, id),
  }),
} as const;

export const KEY_ATTRIBUTES = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK', 'entity'] as const;

/** The item without its key and bookkeeping attributes. */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const copy: Record<string, unknown> = { ...item };
  for (const k of KEY_ATTRIBUTES) delete copy[k];
  return copy as T;
}

/**
 * Audit listings. Every combination of the four filters below is its own partition, so one Query
 * with a sort-key range (`since`/`until`/cursor on the id) serves it at a cost bounded by the page.
 * Tenant only is the chain itself (table, `AUDIT#<tenant>` / `EVENT#<id>`); every other
 * combination has a sparse GSI: no filter GSI3, then mask + 2 for the mask of the filters
 * present (tenant 1, product 2, actor 4, action 8), so GSI4..GSI17. An event appears in the
 * index of each combination of the filters it carries. Free-form values (actor, action) are
 * hashed, so a `#` inside them cannot make two partitions collide.
 *
 * Who wrote an event (`origin`, `key_id`) would double that (DynamoDB allows 20 GSIs), so it
 * has three partitions of its own: origin (GSI18), tenant + origin (GSI19) and the writing key
 * (GSI20; a key belongs to one tenant and writes as origin `tenant`). Any other combination
 * that includes them is served by one partition plus a filter on the rest (`auditListPlan`).
 */
export const AUDIT_FILTERS = ['tenant_id', 'product', 'actor_id', 'action'] as const;
export type AuditFilters = { readonly [F in (typeof AUDIT_FILTERS)[number]]?: string } & {
  readonly origin?: string;
  readonly key_id?: string;
};

const AUDIT_LABEL = { tenant_id: 'T', product: 'P', actor_id: 'U', action: 'A' } as const;
const auditPart = (filter: (typeof AUDIT_FILTERS)[number], value: string): string =>
  filter === 'actor_id' || filter === 'action' ? createHash('sha256').update(value).digest('hex') : value;
const auditMask = (filters: AuditFilters): number =>
  AUDIT_FILTERS.reduce((mask, f, bit) => (filters[f] === undefined ? mask : mask | (1 << bit)), 0);
const idOfPadded = (sk: string): number => Number(sk);

/** Where a filter combination lives: the key attribute names, the partition, the sort key of an id. */
export interface AuditListKey {
  readonly index?: string;
  readonly pkName: string;
  readonly skName: string;
  readonly pk: string;
  readonly sk: (id: number) => string;
  /** The id a sort key of this place names. */
  readonly id: (sk: string) => number;
}

/** The partition of a combination of the four filters (origin and key ignored). */
export function auditListKey(filters: AuditFilters): AuditListKey {
  const mask = auditMask(filters);
  if (mask === 1 && filters.tenant_id !== undefined) {
    const pk = keys.auditEvent(filters.tenant_id, 0).PK;
    return {
      pkName: 'PK',
      skName: 'SK',
      pk,
      sk: (id) => keys.auditEvent(filters.tenant_id ?? '', id).SK,
      id: (sk) => Number(sk.slice(sk.indexOf('#') + 1)),
    };
  }
  const parts = AUDIT_FILTERS.flatMap((f) => {
    const value = filters[f];
    return value === undefined ? [] : [`${AUDIT_LABEL[f]}=${auditPart(f, value)}`];
  });
  return auditIndexKey(mask === 0 ? 3 : mask + 2, parts.length === 0 ? 'ALL' : parts.join('#'));
}

const auditIndexKey = (n: number, partition: string): AuditListKey => ({
  index: `GSI${n}`,
  pkName: `GSI${n}PK`,
  skName: `GSI${n}SK`,
  pk: `AUDIT#${partition}`,
  sk: padId,
  id: idOfPadded,
});

/** The events of one origin (GSI18), or of one origin on one tenant's chain (GSI19). */
export function auditOriginKey(origin: string, tenantId?: string): AuditListKey {
  return tenantId === undefined
    ? auditIndexKey(18, `O=${origin}`)
    : auditIndexKey(19, `T=${tenantId}#O=${origin}`);
}

/** The events one API key wrote (GSI20). Key ids are UUIDs: no `#`. */
export function auditWriterKey(keyId: string): AuditListKey {
  return auditIndexKey(20, `K=${keyId}`);
}

/**
 * How a listing is served: the partition to Query, and the filters (attribute = value) that
 * the Query's FilterExpression applies to what it reads there, if the combination has no
 * partition of its own. The writing key is the narrowest partition (one key's writes), then
 * origin with at most a tenant; with product, actor or action, their partition is the narrower
 * (origin has four values) and origin is the filter.
 */
export interface AuditListPlan {
  readonly key: AuditListKey;
  readonly residual: Readonly<Record<string, string>>;
}

export function auditListPlan(filters: AuditFilters): AuditListPlan {
  const present: Record<string, string> = {};
  for (const f of [...AUDIT_FILTERS, 'origin', 'key_id'] as const) {
    const value = filters[f];
    if (value !== undefined) present[f] = value;
  }
  const { origin, key_id, ...rest } = present;
  if (key_id !== undefined) {
    const { key_id: _k, ...residual } = present;
    return { key: auditWriterKey(key_id), residual };
  }
  if (origin === undefined) return { key: auditListKey(present), residual: {} };
  const { tenant_id, ...others } = rest;
  if (Object.keys(others).length === 0) return { key: auditOriginKey(origin, tenant_id), residual: {} };
  return { key: auditListKey(rest), residual: { origin } };
}

/**
 * The index attributes of an event: one partition per combination of the filters it carries.
 * Each filter's key part (actor and action hashed) is made once per event, not once per
 * combination: a batch of 99 events would otherwise hash each actor and action up to 8 times.
 */
export function auditIndexAttributes(event: AuditFilters & { readonly id: number }): Record<string, string> {
  const parts = AUDIT_FILTERS.map((f) => {
    const value = event[f];
    return value === undefined ? undefined : `${AUDIT_LABEL[f]}=${auditPart(f, value)}`;
  });
  const out: Record<string, string> = {};
  const place = (key: AuditListKey) => {
    if (!key.index) return;
    out[key.pkName] = key.pk;
    out[key.skName] = key.sk(event.id);
  };
  for (let mask = 0; mask < 1 << AUDIT_FILTERS.length; mask++) {
    const chosen = parts.filter((_, bit) => mask & (1 << bit));
    // Tenant alone is the chain itself (no index); a combination needs every filter it names.
    if (mask === 1 || chosen.includes(undefined)) continue;
    place(auditIndexKey(mask === 0 ? 3 : mask + 2, mask === 0 ? 'ALL' : chosen.join('#')));
  }
  if (event.origin !== undefined) {
    place(auditOriginKey(event.origin));
    if (event.tenant_id !== undefined) place(auditOriginKey(event.origin, event.tenant_id));
  }
  if (event.key_id !== undefined) place(auditWriterKey(event.key_id));
  return out;
}
