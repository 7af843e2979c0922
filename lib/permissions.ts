import { AUDIT_FILTERS, type AuditFilters, auditListPlan } from '../shared/adapters/dynamodb/keys';
import type { Plane } from '../shared/contract/planes';

/**
 * A DynamoDB action on the table's items. A TransactWriteItems is authorized item by item as the
 * PutItem, UpdateItem, DeleteItem or ConditionCheckItem it holds, so those are what a role needs;
 * there is no IAM action for the transaction itself.
 */
export type TableAction =
  | 'GetItem'
  | 'Query'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem';
/**
 * An action on the published aliases: on each parameter `<prefix>/aliases/<slug>`, or for
 * GetParametersByPath on the path `<prefix>/aliases` itself (Parameter Store authorizes it there).
 */
export type AliasAction = 'GetParameter' | 'PutParameter' | 'DeleteParameter' | 'GetParametersByPath';
/** One of the table's generic indexes (`GSI_NUMBERS`). */
export type IndexName = `GSI${number}`;

/** What one function may do; everything left out is nothing. */
export interface OperationAccess {
  /** Actions on the table itself (its ARN). @default none */
  readonly table?: readonly TableAction[];
  /**
   * The indexes it queries, each by name (`<table ARN>/index/<name>`, no wildcard):
   * `dynamodb:Query` is the only thing anything does with an index. @default none
   */
  readonly indexes?: readonly IndexName[];
  /** Actions on the published aliases (`<prefix>/aliases/*`, or the path). @default none */
  readonly aliases?: readonly AliasAction[];
  /**
   * Its writes reach only items whose partition key matches one of these patterns
   * (`dynamodb:LeadingKeys`, `StringLike`); reads stay unconditioned. @default any item
   */
  readonly writeKeys?: readonly string[];
  /** Sends to the webhook delivery queue (sqs:SendMessage on that queue only). @default false */
  readonly webhookQueue?: boolean;
  /** Puts events on the stage's event bus (events:PutEvents on that bus only). @default false */
  readonly eventBus?: boolean;
}

/**
 * Every audited change: the chain head read (GetItem) and one TransactWriteItems that puts the
 * changed record, the event, the chain head and the event's id claim (PutItem each).
 */
const AUDITED: readonly TableAction[] = ['GetItem', 'PutItem'];
/**
 * The tenant plane's admission: the API key read (GetItem, as are slugs and the tenant) and its
 * `last_used_at`, written at most once a minute per key (UpdateItem). Every tenant operation,
 * the GETs included, verifies its caller's key first.
 */
const KEY_CHECK: readonly TableAction[] = ['GetItem', 'UpdateItem'];

/** Every filter an audit listing can carry, each naming its own partition or narrowing one. */
const AUDIT_LIST_FILTERS = [...AUDIT_FILTERS, 'origin', 'key_id'] as const;

/**
 * The indexes of the audit listings (shared/adapters/dynamodb/keys.ts `auditListPlan`): for every
 * combination of filters, the partition it reads (one index per combination of the four, origin
 * GSI18 and GSI19, the writing key GSI20), but tenant alone, which is the chain itself on the
 * table. A tenant's listing always carries its tenant.
 */
function auditIndexes(tenantScoped: boolean): IndexName[] {
  const out = new Set<IndexName>();
  for (let mask = 0; mask < 1 << AUDIT_LIST_FILTERS.length; mask++) {
    if (tenantScoped && !(mask & 1)) continue;
    const filters: Record<string, string> = {};
    AUDIT_LIST_FILTERS.forEach((f, bit) => {
      if (mask & (1 << bit)) filters[f] = 'x';
    });
    const index = auditListPlan(filters as AuditFilters).key.index;
    if (index) out.add(index as IndexName);
  }
  return [...out].sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
}

/**
 * Least privilege per operation, keyed by operationId: exactly the actions its code sends,
 * which test/integration/least-privilege.test.ts proves against the synthesized roles by
 * recording every SDK call of every operation (docs/permissions.md). Every operation of
 * openapi.yaml must have an entry (the stack refuses to synthesize otherwise, and test/infra
 * checks both directions), so a new operation starts with a decision, not an inherited grant.
 *
 * - No BatchGetItem, BatchWriteItem or Scan: nothing sends them. No DeleteItem: records are
 *   replaced or marked, never deleted (idempotency records expire by TTL).
 * - Only the alias writers may put or delete parameters, and only under `<prefix>/aliases/`.
 * - The admin-token secret is not in this map: the gate of every non-public operation reads it,
 *   and `getReadyz` checks it is reachable (see `readsAdminSecret`).
 */
export const OPERATION_ACCESS: Readonly<Record<string, OperationAccess>> = Object.freeze({
  getHealthz: {},
  // One GetItem, one GetParameter (of a probe name): both stores answer.
  getReadyz: { table: ['GetItem'], aliases: ['GetParameter'] },
  getVersion: {},
  createTenant: {
    // UpdateItem: with Keycloak configured, the invite URL is written into the idempotency
    // record of a create that carried an Idempotency-Key.
    table: [...AUDITED, 'UpdateItem'],
    aliases: ['PutParameter'],
  },
  // GSI1 every tenant, GSI2 the tenants of one status.
  listTenants: { indexes: ['GSI1', 'GSI2'] },
  // The published alias first (cached), the table's slug claim when SSM does not know it.
  getTenantBySlug: { table: ['GetItem'], aliases: ['GetParameter'] },
  getTenant: { table: ['GetItem'] },
  updateTenant: { table: AUDITED },
  // UpdateItem: each alias's slug claim goes into quarantine. An alias is unpublished only
  // while SSM still names this tenant (GetParameter first).
  retireTenant: { table: [...AUDITED, 'UpdateItem'], aliases: ['GetParameter', 'DeleteParameter'] },
  activateTenant: { table: AUDITED },
  cancelTenant: { table: AUDITED },
  listAliases: { table: ['GetItem'] },
  addAlias: { table: AUDITED, aliases: ['PutParameter'] },
  removeAlias: { table: [...AUDITED, 'UpdateItem'], aliases: ['GetParameter', 'DeleteParameter'] },
  // ConditionCheckItem: the tenant is not archived, checked in the grant's transaction.
  grantEntitlement: { table: [...AUDITED, 'ConditionCheckItem'] },
  revokeEntitlement: { table: AUDITED },
  listEntitlements: { table: ['GetItem', 'Query'] },
  listCatalog: { indexes: ['GSI1'] },
  putCatalogEntry: { table: AUDITED },
  requestProduct: { table: AUDITED },
  // ConditionCheckItem: the tenant is still on the plan the decision saw.
  requestTrial: { table: [...AUDITED, 'ConditionCheckItem'] },
  listApiKeys: { table: ['GetItem'], indexes: ['GSI1'] },
  createApiKey: { table: AUDITED },
  // UpdateItem: the key record is marked revoked in the audited transaction.
  revokeApiKey: { table: [...AUDITED, 'UpdateItem'] },
  // Like createApiKey (the new key) plus UpdateItem: the old key's expiry, in the same audited
  // transaction.
  rollApiKey: { table: [...AUDITED, 'UpdateItem'] },
  // UpdateItem: `last_used_at`, at most once a minute per key.
  verifyApiKey: { table: KEY_CHECK },
  // `tenant_slug` lookups read the slug claim in the table (the source of truth), not SSM.
  resolveClaims: { table: ['GetItem', 'Query'] },
  appendAuditEvent: { table: AUDITED },
  // PutItem of its batch blocks' id claims, then one transaction of heads, events and the
  // idempotency record (PutItem); GetItem of heads, tenants and an idempotency replay.
  appendAuditBatch: { table: AUDITED },
  // Tenant alone is its chain (the table); every other combination of filters has its index.
  // GetItem: an empty page with a tenant_id checks that the tenant exists (404 otherwise).
  listAuditEvents: { table: ['GetItem', 'Query'], indexes: auditIndexes(false) },
  verifyAuditChain: { table: ['GetItem', 'Query'] },
  // Pages of the listing's partition, oldest first, as the listing reads them; writes nothing.
  exportAuditEvents: { table: ['GetItem', 'Query'], indexes: auditIndexes(false) },
  // Webhooks: endpoints are `WEBHOOK#<id>` items, listed per owner on GSI1 and all together on
  // GSI2; a change commits with its audit event. Test and retry also send to the delivery queue.
  listWebhooks: { indexes: ['GSI1', 'GSI2'] },
  // UpdateItem: the owner's endpoint count (ADD), in the audited transaction.
  createWebhook: { table: [...AUDITED, 'UpdateItem'] },
  getWebhook: { table: ['GetItem'] },
  updateWebhook: { table: AUDITED },
  // DeleteItem: the endpoint and its secrets; UpdateItem: the owner's endpoint count.
  deleteWebhook: { table: [...AUDITED, 'UpdateItem', 'DeleteItem'] },
  // ConditionCheckItem: the endpoint still exists, checked in the audited transaction.
  rotateWebhookSecret: { table: [...AUDITED, 'ConditionCheckItem'] },
  testWebhook: { table: [...AUDITED, 'ConditionCheckItem'], webhookQueue: true },
  listWebhookDeliveries: { table: ['GetItem', 'Query'] },
  retryWebhookDelivery: { table: ['GetItem', 'UpdateItem'], webhookQueue: true },
  // The tenant plane: KEY_CHECK first, then the operation's own work. Slugs resolve through the
  // cached resolver straight on the table's slug claims, not SSM (docs/tenant-plane.md).
  getTenantProfile: { table: KEY_CHECK },
  getTenantEntitlements: { table: [...KEY_CHECK, 'Query'] },
  requestTenantProduct: { table: [...KEY_CHECK, 'PutItem'] },
  requestTenantTrial: { table: [...KEY_CHECK, 'PutItem', 'ConditionCheckItem'] },
  listTenantAuditEvents: { table: [...KEY_CHECK, 'Query'], indexes: auditIndexes(true) },
  appendTenantAuditEvent: { table: [...KEY_CHECK, 'PutItem'] },
  appendTenantAuditBatch: { table: [...KEY_CHECK, 'PutItem'] },
  exportTenantAuditEvents: { table: [...KEY_CHECK, 'Query'], indexes: auditIndexes(true) },
  listTenantApiKeys: { table: KEY_CHECK, indexes: ['GSI1'] },
  createTenantApiKey: { table: [...KEY_CHECK, 'PutItem'] },
  // The key record is marked revoked (an UpdateItem, as KEY_CHECK's).
  revokeTenantApiKey: { table: [...KEY_CHECK, 'PutItem'] },
  // The new key (PutItem) and the old key's expiry (an UpdateItem, as KEY_CHECK's).
  rollTenantApiKey: { table: [...KEY_CHECK, 'PutItem'] },
  // The catalog entries of the tenant's active components.
  getTenantSwagger: { table: [...KEY_CHECK, 'Query'] },
  listTenantWebhooks: { table: KEY_CHECK, indexes: ['GSI1'] },
  createTenantWebhook: { table: [...KEY_CHECK, 'PutItem'] },
  getTenantWebhook: { table: KEY_CHECK },
  updateTenantWebhook: { table: [...KEY_CHECK, 'PutItem'] },
  deleteTenantWebhook: { table: [...KEY_CHECK, 'PutItem', 'DeleteItem'] },
  rotateTenantWebhookSecret: { table: [...KEY_CHECK, 'PutItem', 'ConditionCheckItem'] },
  testTenantWebhook: { table: [...KEY_CHECK, 'PutItem', 'ConditionCheckItem'], webhookQueue: true },
  listTenantWebhookDeliveries: { table: [...KEY_CHECK, 'Query'] },
  retryTenantWebhookDelivery: { table: KEY_CHECK, webhookQueue: true },
});

/**
 * Least privilege of every function that is not an operation (a job: the alias reconciler now;
 * a stream consumer, a webhook sender, an audit export next), keyed by the function's construct
 * id. Create such a function with `jobFunction` (lib/constructs/job-function.ts): it takes the
 * grants from here, and test/integration/least-privilege.test.ts compares its role with what
 * its code is seen to send, like every operation's (docs/permissions.md, "Adding a function").
 * The admin-token rotation is not here: its grants are the Secrets Manager rotation contract's
 * (lib/constructs/registry-data.ts), proved by the same test.
 */
export const JOB_ACCESS = Object.freeze({
  // bin/jobs/reconcile-aliases.ts: every slug claim from GSI1, the published map by path, and
  // its repairs (put a missing alias, delete a stray one).
  AliasReconciler: {
    indexes: ['GSI1'],
    aliases: ['GetParametersByPath', 'PutParameter', 'DeleteParameter'],
  },
  // bin/jobs/verify-audit.ts: reads chains (Query on the table, GetItem of heads, checkpoints and
  // progress) and the tenant list (GSI1); writes only what it owns: its checkpoint, progress and
  // run-cursor items (PutItem) and the TTL of events and id claims (UpdateItem). No DeleteItem
  // (TTL deletes), and only on audit items: it can never touch a tenant, a key or an alias.
  AuditVerifier: {
    table: ['GetItem', 'Query', 'PutItem', 'UpdateItem'],
    indexes: ['GSI1'],
    writeKeys: ['AUDIT#*', 'AUDITID#*', 'AUDITRUN#*'],
  },
  // bin/jobs/stream-consumer.ts: the table's stream (granted with its event source mapping,
  // lib/constructs/event-pipeline.ts), every event onto the bus, and the webhook dispatcher's
  // fan-out: the subscribed endpoints of the event's owners (GSI1), one pending delivery per
  // endpoint (a conditional PutItem on `WEBHOOK#<id>` only), each sent to the delivery queue.
  StreamConsumer: {
    table: ['PutItem'],
    indexes: ['GSI1'],
    writeKeys: ['WEBHOOK#*'],
    webhookQueue: true,
    eventBus: true,
  },
  // bin/jobs/send-webhooks.ts: the endpoint, its secrets and the delivery (GetItem), the
  // delivery's result (UpdateItem), and, disabling an endpoint, its audited change (the chain
  // head, the event and its id claim: PutItem); retries go back onto the delivery queue.
  WebhookSender: {
    table: ['GetItem', 'PutItem', 'UpdateItem'],
    webhookQueue: true,
  },
} satisfies Record<string, OperationAccess>);
export type JobName = keyof typeof JOB_ACCESS;

/** The access of one job, defaults filled in; throws for a job the map does not know. */
export function jobAccessOf(name: string): Required<OperationAccess> {
  const access: OperationAccess | undefined = Object.hasOwn(JOB_ACCESS, name)
    ? JOB_ACCESS[name as JobName]
    : undefined;
  if (!access) throw new Error(`no permissions for job ${name}: add it to JOB_ACCESS in lib/permissions.ts`);
  return filled(access);
}

/** The access of one operation, defaults filled in; throws for an operation the map does not know. */
export function accessOf(operationId: string): Required<OperationAccess> {
  const access = Object.hasOwn(OPERATION_ACCESS, operationId) ? OPERATION_ACCESS[operationId] : undefined;
  if (!access) {
    throw new Error(
      `no permissions for operation ${operationId}: add it to OPERATION_ACCESS in lib/permissions.ts`,
    );
  }
  return filled(access);
}

function filled(access: OperationAccess): Required<OperationAccess> {
  return {
    table: [...new Set(access.table ?? [])],
    indexes: [...new Set(access.indexes ?? [])],
    aliases: [...new Set(access.aliases ?? [])],
    writeKeys: [...new Set(access.writeKeys ?? [])],
    webhookQueue: access.webhookQueue ?? false,
    eventBus: access.eventBus ?? false,
  };
}

/**
 * The gate of every non-public operation reads the admin token (the tenant plane's too: it stays
 * 404 until a token is configured); readiness checks the secret answers.
 */
export function readsAdminSecret(operationId: string, plane: Plane): boolean {
  return plane !== 'public' || operationId === 'getReadyz';
}

/** Table actions that change state. */
export const TABLE_WRITE_ACTIONS: readonly TableAction[] = [
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'ConditionCheckItem',
];
/** Alias actions that change the published map. */
export const ALIAS_WRITE_ACTIONS: readonly AliasAction[] = ['PutParameter', 'DeleteParameter'];

/**
 * The scheduled audit verifier: reads (GetItem, Query; the tenant list on GSI1), and writes only
 * what it owns: PutItem of its checkpoint, progress and run-cursor items, UpdateItem of the TTL of
 * events and id claims. No DeleteItem (TTL deletes), no transaction, and only on items whose
 * partition key starts with `AUDIT` (`dynamodb:LeadingKeys`): it can never touch a tenant, a key
 * or an alias.
 */

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
  // Streamed through API Gateway, which keeps a streamed response open up to 15 minutes: an
  // export of any size has that long (memory stays flat: one store page at a time).
  exportAuditEvents: { memorySize: 1024, timeoutSeconds: 900 },
  exportTenantAuditEvents: { memorySize: 1024, timeoutSeconds: 900 },
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
  listTenantWebhooks: { memorySize: 1024 },
  createTenantWebhook: { memorySize: 1024 },
  getTenantWebhook: { memorySize: 1024 },
  updateTenantWebhook: { memorySize: 1024 },
  deleteTenantWebhook: { memorySize: 1024 },
  rotateTenantWebhookSecret: { memorySize: 1024 },
  testTenantWebhook: { memorySize: 1024 },
  listTenantWebhookDeliveries: { memorySize: 1024 },
  retryTenantWebhookDelivery: { memorySize: 1024 },
});

/**
 * The stream consumer (lib/constructs/event-pipeline.ts): reads the table's stream, puts events on
 * the stage's bus and sends what fails for good to its on-failure queue; it never touches the table.
 */
// As the DynamoDB Developer Guide's "IAM policy to allow an AWS Lambda function to access
// DynamoDB stream records" grants them: these four, on the table's stream only.
export const STREAM_READ_ACTIONS = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
] as const;
export const EVENT_PUBLISH_ACTIONS = ['events:PutEvents'] as const;
