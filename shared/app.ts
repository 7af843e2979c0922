import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoTenantStore } from './adapters/dynamodb/tenant-store';
import { StaticSecretSource } from './adapters/environment/static-secret-source';
import { SecretsManagerSecretSource } from './adapters/secrets-manager/secret-source';
import { SsmAliasRegistry } from './adapters/ssm/alias-registry';
import { config } from './config/env';
import { type Clock, systemClock } from './ports/clock';
import { AdminTokens } from './services/admin-tokens';
import { AliasReconciler } from './services/alias-reconciler';
import { AliasResolver } from './services/alias-resolver';
import { AliasService } from './services/aliases';
import { TenantService } from './services/tenants';

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

export const dynamodb = /* @__PURE__ */ once(() => new DynamoDBClient({}));
export const ssm = /* @__PURE__ */ once(() => new SSMClient({}));
export const secretsManager = /* @__PURE__ */ once(() => new SecretsManagerClient({}));

export const tenantStore = /* @__PURE__ */ once(
  () => new DynamoTenantStore(dynamodb(), config().tableName, clock),
);
export const aliasRegistry = /* @__PURE__ */ once(() => new SsmAliasRegistry(ssm(), config().ssmPrefix));
export const aliasResolver = /* @__PURE__ */ once(
  () =>
    new AliasResolver(aliasRegistry(), tenantStore(), {
      ttlMs: config().aliasCacheTtlSeconds * 1000,
      maxEntries: config().aliasCacheSize,
    }),
);

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
export const aliases = /* @__PURE__ */ once(
  () =>
    new AliasService(
      tenants(),
      tenantStore(),
      aliasRegistry(),
      aliasResolver(),
      clock,
      config().aliasQuarantineDays,
    ),
);
export const aliasReconciler = /* @__PURE__ */ once(
  () => new AliasReconciler(tenantStore(), aliasRegistry()),
);

/** Tests and the local server: rebuild everything from the current environment. */
export function resetApp(options: { clock?: Clock } = {}): void {
  currentClock = options.clock ?? systemClock;
  for (const reset of resets) reset();
}
