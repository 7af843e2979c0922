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

export const keys = {
  tenant: (id: string): Key => ({ PK: `TENANT#${id}`, SK: 'PROFILE' }),
  slugClaim: (slug: string): Key => ({ PK: `SLUG#${slug}`, SK: 'CLAIM' }),
  auditHead: (chain: string): Key => ({ PK: `AUDIT#${chain}`, SK: 'HEAD' }),
  auditEvent: (chain: string, id: number): Key => ({ PK: `AUDIT#${chain}`, SK: `EVENT#${padId(id)}` }),
  idempotency: (scope: string, key: string): Key => ({
    PK: `IDEMPOTENCY#${scope}#${createHash('sha256').update(key).digest('hex')}`,
    SK: 'RECORD',
  }),
} as const;

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
} as const;

export const KEY_ATTRIBUTES = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK', 'entity'] as const;

/** The item without its key and bookkeeping attributes. */
export function stripKeys<T>(item: Record<string, unknown>): T {
  const copy: Record<string, unknown> = { ...item };
  for (const k of KEY_ATTRIBUTES) delete copy[k];
  return copy as T;
}
