import type { Plane } from '../shared/contract/planes';

/** What a function may do with the table. */
export type TableAccess = 'none' | 'read' | 'write';
/** What a function may do with the published aliases (`<prefix>/aliases/*` in SSM). */
export type AliasAccess = 'none' | 'read' | 'write';

export interface OperationAccess {
  readonly table: TableAccess;
  readonly aliases: AliasAccess;
}

/**
 * Least privilege per operation, keyed by operationId. Every operation of openapi.yaml must have
 * an entry (the stack refuses to synthesize otherwise, and test/infra checks both directions),
 * so a new operation starts with a decision, not with an inherited grant.
 *
 * - `read` on the table is GetItem, BatchGetItem and Query (no Scan: no request path scans);
 *   `write` adds PutItem, UpdateItem, DeleteItem, BatchWriteItem and ConditionCheckItem (what a
 *   TransactWriteItems needs).
 * - Only the alias writers may put or delete parameters, and only under `<prefix>/aliases/`.
 * - The admin-token secret is not in this map: the gate of every non-public operation reads it,
 *   and `getReadyz` checks it is reachable (see `readsAdminSecret`).
 */
export const OPERATION_ACCESS: Readonly<Record<string, OperationAccess>> = Object.freeze({
  getHealthz: { table: 'none', aliases: 'none' },
  getReadyz: { table: 'read', aliases: 'read' },
  getVersion: { table: 'none', aliases: 'none' },
  createTenant: { table: 'write', aliases: 'write' },
  listTenants: { table: 'read', aliases: 'none' },
  getTenantBySlug: { table: 'read', aliases: 'read' },
  getTenant: { table: 'read', aliases: 'none' },
  updateTenant: { table: 'write', aliases: 'none' },
  retireTenant: { table: 'write', aliases: 'write' },
  activateTenant: { table: 'write', aliases: 'none' },
  cancelTenant: { table: 'write', aliases: 'none' },
  listAliases: { table: 'read', aliases: 'none' },
  addAlias: { table: 'write', aliases: 'write' },
  removeAlias: { table: 'write', aliases: 'write' },
  grantEntitlement: { table: 'write', aliases: 'none' },
  revokeEntitlement: { table: 'write', aliases: 'none' },
  listEntitlements: { table: 'read', aliases: 'none' },
  listCatalog: { table: 'read', aliases: 'none' },
  putCatalogEntry: { table: 'write', aliases: 'none' },
  requestProduct: { table: 'write', aliases: 'none' },
  requestTrial: { table: 'write', aliases: 'none' },
  listApiKeys: { table: 'read', aliases: 'none' },
  createApiKey: { table: 'write', aliases: 'none' },
  revokeApiKey: { table: 'write', aliases: 'none' },
  // Like createApiKey (a new key) plus the old key's expiry: both in the one audited transaction.
  rollApiKey: { table: 'write', aliases: 'none' },
  // Writes `last_used_at` (at most once a minute per key), hence not read-only.
  verifyApiKey: { table: 'write', aliases: 'none' },
  // `tenant_slug` lookups read the slug claim in the table (the source of truth), not SSM.
  resolveClaims: { table: 'read', aliases: 'none' },
  appendAuditEvent: { table: 'write', aliases: 'none' },
  // PutItem of its batch blocks' id claims, then one TransactWriteItems; GetItem of heads and tenants.
  appendAuditBatch: { table: 'write', aliases: 'none' },
  listAuditEvents: { table: 'read', aliases: 'none' },
  verifyAuditChain: { table: 'read', aliases: 'none' },
  // The tenant plane. Every operation verifies the caller's API key first, which may write the
  // key's `last_used_at` (as verifyApiKey does), and resolves a `{tenant}` slug through the
  // cached resolver straight on the table's slug claims, not SSM (docs/tenant-plane.md): table
  // `write` (even for the GETs) and no alias access, all twelve alike.
  getTenantProfile: { table: 'write', aliases: 'none' },
  getTenantEntitlements: { table: 'write', aliases: 'none' },
  requestTenantProduct: { table: 'write', aliases: 'none' },
  requestTenantTrial: { table: 'write', aliases: 'none' },
  listTenantAuditEvents: { table: 'write', aliases: 'none' },
  appendTenantAuditEvent: { table: 'write', aliases: 'none' },
  appendTenantAuditBatch: { table: 'write', aliases: 'none' },
  listTenantApiKeys: { table: 'write', aliases: 'none' },
  createTenantApiKey: { table: 'write', aliases: 'none' },
  revokeTenantApiKey: { table: 'write', aliases: 'none' },
  rollTenantApiKey: { table: 'write', aliases: 'none' },
  getTenantSwagger: { table: 'write', aliases: 'none' },
});

/** The access of one operation; throws for an operation the map does not know. */
export function accessOf(operationId: string): OperationAccess {
  const access = Object.hasOwn(OPERATION_ACCESS, operationId) ? OPERATION_ACCESS[operationId] : undefined;
  if (!access) {
    throw new Error(
      `no permissions for operation ${operationId}: add it to OPERATION_ACCESS in lib/permissions.ts`,
    );
  }
  return access;
}

/**
 * The gate of every non-public operation reads the admin token (the tenant plane's too: it stays
 * 404 until a token is configured); readiness checks the secret answers.
 */
export function readsAdminSecret(operationId: string, plane: Plane): boolean {
  return plane !== 'public' || operationId === 'getReadyz';
}

/** Table actions per access level; `write` includes `read`. */
export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] as const;
export const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
] as const;
export const ALIAS_READ_ACTIONS = ['ssm:GetParameter'] as const;
export const ALIAS_WRITE_ACTIONS = ['ssm:PutParameter', 'ssm:DeleteParameter'] as const;

/** Memory and timeout where an operation needs more than the defaults. */
export interface OperationSizing {
  readonly memorySize?: number;
  readonly timeoutSeconds?: number;
}

export const OPERATION_SIZING: Readonly<Record<string, OperationSizing>> = Object.freeze({
  // argon2id at m = 19 MiB: Lambda CPU scales with memory, and hashing is CPU bound.
  verifyApiKey: { memorySize: 1024 },
  createApiKey: { memorySize: 1024 },
  rollApiKey: { memorySize: 1024 },
  // Walks a whole hash chain.
  verifyAuditChain: { memorySize: 1024, timeoutSeconds: 29 },
  // The tenant plane: the first verification of a key in a container is argon2id (m = 19 MiB,
  // CPU bound; later requests with that key hit the key cache), as for verifyApiKey above.
  getTenantProfile: { memorySize: 1024 },
  getTenantEntitlements: { memorySize: 1024 },
  requestTenantProduct: { memorySize: 1024 },
  requestTenantTrial: { memorySize: 1024 },
  listTenantAuditEvents: { memorySize: 1024 },
  appendTenantAuditEvent: { memorySize: 1024 },
  appendTenantAuditBatch: { memorySize: 1024 },
  listTenantApiKeys: { memorySize: 1024 },
  createTenantApiKey: { memorySize: 1024 },
  revokeTenantApiKey: { memorySize: 1024 },
  rollTenantApiKey: { memorySize: 1024 },
  getTenantSwagger: { memorySize: 1024 },
});
