import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClient } from './adapters/aws-clients';
import { DynamoApiKeyReader, DynamoApiKeyStore } from './adapters/dynamodb/api-key-store';
import { DynamoAuditLog } from './adapters/dynamodb/audit-log';
import { DynamoAuditRetentionStore } from './adapters/dynamodb/audit-retention-store';
import { DynamoCatalogReader, DynamoCatalogStore } from './adapters/dynamodb/catalog-store';
import { DynamoTenantReader, DynamoTenantStore, DynamoTenantWriter } from './adapters/dynamodb/tenant-store';
import { DynamoWebhookStore } from './adapters/dynamodb/webhook-store';
import { StaticSecretSource } from './adapters/environment/static-secret-source';
import { HttpWebhookTransport } from './adapters/http/webhook-transport';
import { KeycloakIdentityProvider } from './adapters/keycloak/identity-provider';
import { InProcessDeliveryQueue } from './adapters/memory/delivery-queue';
import { SecretsManagerSecretSource } from './adapters/secrets-manager/secret-source';
import { SqsDeliveryQueue } from './adapters/sqs/delivery-queue';
import { SsmAliasRegistry, SsmListedAliasRegistry } from './adapters/ssm/alias-registry';
import { config, keycloakConfig, tenantSelectionConfig } from './config/env';
import { KeyHasher } from './domain/key-hash';
import { type Clock, systemClock } from './ports/clock';
import type { DeliveryQueue } from './ports/delivery-queue';
import { AdminTokens } from './services/admin-tokens';
import { AliasLookup } from './services/alias-lookup';
import { AliasReconciler } from './services/alias-reconciler';
import { AliasResolver } from './services/alias-resolver';
import { AliasAddition, AliasRemoval, TenantCreation, TenantRetirement } from './services/aliases';
import { ApiKeyAdmin, ApiKeyService, ApiKeyVerifier, KeyVerificationCache } from './services/api-keys';
import { AuditService } from './services/audit';
import { AuditMonitor } from './services/audit-monitor';
import { CatalogService } from './services/catalog';
import { ClaimsService } from './services/claims';
import { OrganizationProvisioning } from './services/organizations';
import { TenantAccess } from './services/tenant-access';
import { TenantSwagger } from './services/tenant-swagger';
import { TenantService } from './services/tenants';
import { WebhookDispatcher, WebhookSender } from './services/webhook-delivery';
import { WebhookSends, WebhookService } from './services/webhooks';

/**
 * The wiring: adapters and services built on first use and kept at module scope, so a warm
 * container reuses clients and caches. One getter per piece, so a bundle holds only the
 * clients its handler reaches (the SDK clients are side-effect free and tree-shake).
 */

const resets: (() => void)[] = [];

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  resets.push(() => {
    value = undefined;
  });
  return () => {
    value ??= make();
    return value;
  };
}

let currentClock: Clock = systemClock;
export const clock: Clock = { now: () => currentClock.now() };

export const dynamodb = /* @__PURE__ */ once(() => awsClient(DynamoDBClient, {}));
export const ssm = /* @__PURE__ */ once(() => awsClient(SSMClient, {}));
export const secretsManager = /* @__PURE__ */ once(() => awsClient(SecretsManagerClient, {}));

/** Every audited write retries a lost race for its chain's head within one budget. */
const writerOptions = () => ({ budgetMs: config().writeBudgetMs });

/** Reads only: what a function that changes no tenant needs, without the audited writer. */
export const tenantReader = /* @__PURE__ */ once(
  () => new DynamoTenantReader(dynamodb(), config().tableName, clock),
);
/** Reads and the audited commit, without the lists: the alias writers' and provisioning's. */
export const tenantWriter = /* @__PURE__ */ once(
  () => new DynamoTenantWriter(dynamodb(), config().tableName, clock, writerOptions()),
);
export const tenantStore = /* @__PURE__ */ once(
  () => new DynamoTenantStore(dynamodb(), config().tableName, clock, writerOptions()),
);
export const aliasRegistry = /* @__PURE__ */ once(() => new SsmAliasRegistry(ssm(), config().ssmPrefix));
/**
 * Slug -> tenant id, cached per container on the app's clock: over the published SSM map when
 * given the registry (the operator plane's `by-slug`), else straight on the table's slug claims.
 */
const cachedResolver = (registry?: SsmAliasRegistry) => {
  const resolver = new AliasResolver(
    registry,
    tenantReader(),
    { ttlMs: config().aliasCacheTtlSeconds * 1000, maxEntries: config().aliasCacheSize },
    () => clock.now().getTime(),
  );
  builtResolvers().push(resolver);
  return resolver;
};
/** The slug caches this container has built (the local server: both), for the alias changes to evict. */
const builtResolvers = /* @__PURE__ */ once((): AliasResolver[] => []);
export const aliasResolver = /* @__PURE__ */ once(() => cachedResolver(aliasRegistry()));
/** `by-slug`: the SSM-backed resolver, then the table; no writer. */
export const aliasLookup = /* @__PURE__ */ once(() => new AliasLookup(aliasResolver(), tenantReader()));
/**
 * The tenant plane's: no SSM client in its bundles, no SSM quota shared by its many containers
 * (docs/tenant-plane.md).
 */
export const tableAliasResolver = /* @__PURE__ */ once(() => cachedResolver());

export const secretSource = /* @__PURE__ */ once(() => {
  const { apiTokenSecretId, apiToken } = config();
  return apiTokenSecretId
    ? new SecretsManagerSecretSource(secretsManager(), apiTokenSecretId)
    : new StaticSecretSource(apiToken);
});
export const adminTokens = /* @__PURE__ */ once(
  () =>
    new AdminTokens(
      secretSource(),
      { ttlMs: config().tokenCacheTtlSeconds * 1000, refreshMinMs: config().tokenRefreshMinSeconds * 1000 },
      clock,
    ),
);

export const tenants = /* @__PURE__ */ once(() => new TenantService(tenantStore(), clock));
/**
 * The changes of who holds a slug, one getter each (so each function bundles its own): the
 * table, the published map in SSM, and every resolver this container has built, which forgets
 * a slug it changed (one never built holds nothing, so the alias writers bundle no resolver);
 * other containers within the alias cache TTL.
 */
const aliasChange = <T>(Change: new (...args: ConstructorParameters<typeof TenantCreation>) => T): T =>
  new Change(
    tenantWriter(),
    aliasRegistry(),
    {
      forget: (slug) => {
        for (const resolver of builtResolvers()) resolver.forget(slug);
      },
    },
    clock,
    config().aliasQuarantineDays,
  );
export const tenantCreation = /* @__PURE__ */ once(() => aliasChange(TenantCreation));
export const tenantRetirement = /* @__PURE__ */ once(() => aliasChange(TenantRetirement));
export const aliasAddition = /* @__PURE__ */ once(() => aliasChange(AliasAddition));
export const aliasRemoval = /* @__PURE__ */ once(() => aliasChange(AliasRemoval));
/** Keycloak organization provisioning on create; undefined when no Keycloak URL is configured. */
export const organizations = /* @__PURE__ */ once(() => {
  const kc = keycloakConfig();
  if (!kc) return undefined;
  const secret = kc.clientSecretId
    ? new SecretsManagerSecretSource(secretsManager(), kc.clientSecretId)
    : new StaticSecretSource(kc.clientSecret);
  const idp = new KeycloakIdentityProvider({ ...kc, readSecret: () => secret.current() });
  return new OrganizationProvisioning(idp, tenantWriter());
});
/** Catalog reads only: the tenant plane's documents and claims, without the audited writer. */
export const catalogReader = /* @__PURE__ */ once(
  () => new DynamoCatalogReader(dynamodb(), config().tableName),
);
export const catalogStore = /* @__PURE__ */ once(
  () => new DynamoCatalogStore(dynamodb(), config().tableName, clock, writerOptions()),
);
export const catalog = /* @__PURE__ */ once(() => new CatalogService(tenantReader(), catalogStore(), clock));
export const claims = /* @__PURE__ */ once(() => new ClaimsService(tenantReader(), catalogReader(), clock));
export const auditLog = /* @__PURE__ */ once(
  () => new DynamoAuditLog(dynamodb(), config().tableName, clock, { writer: writerOptions() }),
);
export const audit = /* @__PURE__ */ once(() => new AuditService(auditLog(), clock));
/**
 * The scheduled verifier: each chain's turn walks at most a minute, and a run starts turns for
 * ten minutes (the job's timeout is fifteen: a turn under way finishes).
 */
export const auditMonitor = /* @__PURE__ */ once(
  () =>
    new AuditMonitor(
      audit(),
      new DynamoAuditRetentionStore(dynamodb(), config().tableName),
      tenantStore(),
      clock,
      { defaultRetentionDays: config().auditRetentionDays, chainBudgetMs: 60_000, runBudgetMs: 600_000 },
    ),
);

export const apiKeyStore = /* @__PURE__ */ once(
  () => new DynamoApiKeyStore(dynamodb(), config().tableName, clock, writerOptions()),
);
/** Shared by both key services, so a revocation evicts at once what verify cached here. */
export const keyVerificationCache = /* @__PURE__ */ once(
  () =>
    new KeyVerificationCache(clock, {
      ttlMs: config().keyCacheTtlSeconds * 1000,
      maxEntries: config().keyCacheSize,
      failureLimit: config().keyFailureLimit,
      failureWindowMs: config().keyFailureWindowSeconds * 1000,
      concurrency: config().keyVerifyConcurrency,
      touchedEntries: config().keyCacheSize,
    }),
);
/**
 * Verification only (the service plane's verify, the tenant plane's admission): the key reads
 * and bookkeeping writes, no audited writer. With `apiKeys`, the only getters that bring argon2
 * (hash-wasm) into a bundle; both share the container's verification state.
 */
export const apiKeyVerifier = /* @__PURE__ */ once(
  () =>
    new ApiKeyVerifier(
      new DynamoApiKeyReader(dynamodb(), config().tableName),
      tenantReader(),
      new KeyHasher(),
      clock,
      keyVerificationCache(),
    ),
);
/** Create, roll and verify. */
export const apiKeys = /* @__PURE__ */ once(
  () =>
    new ApiKeyService(
      apiKeyStore(),
      tenantReader(),
      new KeyHasher(),
      clock,
      { prefix: config().keyPrefix, maxLifetimeDays: config().keyMaxLifetimeDays },
      keyVerificationCache(),
    ),
);
/** List and revoke. */
export const apiKeyAdmin = /* @__PURE__ */ once(
  () => new ApiKeyAdmin(apiKeyStore(), tenantReader(), clock, keyVerificationCache()),
);
export const aliasReconciler = /* @__PURE__ */ once(
  () => new AliasReconciler(tenantStore(), new SsmListedAliasRegistry(ssm(), config().ssmPrefix)),
);

/** The tenant plane's admission: API key, named tenant, scope (shared/services/tenant-access.ts). */
export const tenantAccess = /* @__PURE__ */ once(
  () => new TenantAccess(apiKeyVerifier(), tableAliasResolver(), tenantReader(), tenantSelectionConfig()),
);
export const tenantSwagger = /* @__PURE__ */ once(() => new TenantSwagger(catalogReader(), clock));

/* ---- Webhooks (docs/webhooks.md) ---- */

export const sqs = /* @__PURE__ */ once(() => awsClient(SQSClient, {}));
export const webhookStore = /* @__PURE__ */ once(
  () => new DynamoWebhookStore(dynamodb(), config().tableName, clock),
);
/**
 * SQS when the stack names a queue; otherwise, in local mode and tests (which start with
 * `resetApp`), the in-process queue consumed by this process's sender. The in-process queue is
 * reached from `resetApp` only, so no function's bundle carries it and the sender; a function
 * without the queue URL that reaches the queue fails instead of queueing in memory.
 */
export const deliveryQueue = /* @__PURE__ */ once((): DeliveryQueue => {
  const url = config().webhookQueueUrl;
  if (url) return new SqsDeliveryQueue(sqs(), url);
  if (!localDeliveryQueue) {
    throw new Error('TENANT_REGISTRY_WEBHOOK_QUEUE_URL is not set: the webhook delivery queue is unknown');
  }
  return localDeliveryQueue();
});
let localDeliveryQueue: (() => DeliveryQueue) | undefined;
function inProcessDeliveryQueue(): InProcessDeliveryQueue {
  const queue = new InProcessDeliveryQueue();
  queue.consume((message) => webhookSender().handle(message));
  return queue;
}
/** Endpoints and their deliveries, without the delivery queue (so without SQS). */
export const webhooks = /* @__PURE__ */ once(
  () =>
    new WebhookService(webhookStore(), tenantReader(), clock, {
      allowLocal: config().webhookAllowLocal,
      maxEndpoints: config().webhookMaxEndpoints,
    }),
);
/** A test event and a retry: the API's only sends onto the delivery queue. */
export const webhookSends = /* @__PURE__ */ once(
  () => new WebhookSends(webhookStore(), deliveryQueue(), clock),
);
/** The webhook EventSink: the stream consumer hands it every batch (`webhookSink`). */
export const webhookDispatcher = /* @__PURE__ */ once(
  () => new WebhookDispatcher(webhookStore(), deliveryQueue(), clock),
);
export const webhookSender = /* @__PURE__ */ once(
  () =>
    new WebhookSender(
      webhookStore(),
      deliveryQueue(),
      new HttpWebhookTransport({ allowLocal: config().webhookAllowLocal }),
      clock,
      { retryScale: config().webhookRetryScale },
    ),
);
/** For the stream consumer's sinks (local mode and the consumer function alike). */
export const webhookSink = (): WebhookDispatcher => webhookDispatcher();

/** Tests and the local server: rebuild everything from the current environment. */
export function resetApp(options: { clock?: Clock } = {}): void {
  currentClock = options.clock ?? systemClock;
  localDeliveryQueue = inProcessDeliveryQueue;
  for (const reset of resets) reset();
}
