import * as z from 'zod/mini';
import { AUDIT_RETENTION_MAX_DAYS, AUDIT_RETENTION_MIN_DAYS } from '../domain/audit-retention';
import { isTenantName } from '../domain/tenant-selection';
import { LOG_LEVELS, type LogLevel } from '../observability/log-levels';

/**
 * The environment, parsed once against a schema. Nothing else reads `process.env`.
 * Every variable is documented in docs/configuration.md (test/contract/docs.test.ts checks it).
 */

const flag = z.pipe(
  z.optional(z.enum(['true', 'false', '1', '0', ''])),
  z.transform((v) => v === 'true' || v === '1'),
);
const int = (fallback: number, min: number, max: number) =>
  z.pipe(
    z.optional(z.string()),
    z.transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = /^\d{1,10}$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.issues.push({ code: 'custom', message: `must be an integer from ${min} to ${max}`, input: v });
        return z.NEVER;
      }
      return n;
    }),
  );
const text = (fallback: string) =>
  z.pipe(
    z.optional(z.string()),
    z.transform((v) => (v === undefined || v === '' ? fallback : v)),
  );
const optionalText = z.pipe(
  z.optional(z.string()),
  z.transform((v) => (v === undefined || v === '' ? undefined : v)),
);

/**
 * Why an SSM parameter path cannot hold the published aliases (`<prefix>/aliases/<slug>`), or
 * undefined when it can. Parameter Store refuses names beginning with `aws` or `ssm` in any case
 * (`/aws/...`, `/SSM-x/...`, `/awsome/...`: "A parameter name can't be prefixed with aws or ssm
 * (case-insensitive)", PutParameter in the SSM API reference). One rule for the functions'
 * environment and the CDK context (`ssmPrefix`), so a prefix every write would fail on is
 * refused before anything runs.
 */
export function ssmPrefixProblem(path: string): string | undefined {
  if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(path)) return 'must be a parameter path like /tenant-registry';
  if (/^\/(aws|ssm)/i.test(path)) {
    return 'must not begin with aws or ssm (in any case): Parameter Store reserves those names';
  }
  return undefined;
}

/** Headers the tenant header may not be: credentials, bodies and what proxies rewrite. */
const HEADERS_IN_USE = [
  'authorization',
  'x-api-key',
  'content-type',
  'content-length',
  'host',
  'cookie',
  'x-forwarded-for',
  'idempotency-key',
  'if-match',
];

const EnvSchema = z.object({
  TENANT_REGISTRY_API_ENABLED: flag,
  /** Local use only: the admin token itself. */
  TENANT_REGISTRY_API_TOKEN: optionalText,
  /** The Secrets Manager secret holding the admin token (wins over TENANT_REGISTRY_API_TOKEN). */
  TENANT_REGISTRY_API_TOKEN_SECRET_ID: optionalText,
  TENANT_REGISTRY_TABLE_NAME: text('tenant-registry'),
  /** SSM prefix: aliases live at `<prefix>/aliases/<slug>`. */
  TENANT_REGISTRY_SSM_PREFIX: z.pipe(
    text('/tenant-registry'),
    z.transform((v, ctx) => {
      const path = `/${v.replace(/^\/+|\/+$/g, '')}`;
      const problem = ssmPrefixProblem(path);
      if (problem === undefined) return path;
      ctx.issues.push({ code: 'custom', message: problem, input: v });
      return z.NEVER;
    }),
  ),
  TENANT_REGISTRY_ALIAS_QUARANTINE_DAYS: int(30, 0, 3650),
  TENANT_REGISTRY_ALIAS_CACHE_TTL_SECONDS: int(60, 0, 86_400),
  TENANT_REGISTRY_ALIAS_CACHE_SIZE: int(10_000, 1, 1_000_000),
  TENANT_REGISTRY_TOKEN_CACHE_TTL_SECONDS: int(300, 1, 86_400),
  TENANT_REGISTRY_TOKEN_REFRESH_MIN_SECONDS: int(30, 0, 86_400),
  /** What new API keys start with: 2-16 of a-z0-9, starting with a letter (no `_`: the key's delimiter). */
  TENANT_REGISTRY_KEY_PREFIX: z.pipe(
    text('trk'),
    z.transform((v, ctx) => {
      if (/^[a-z][a-z0-9]{1,15}$/.test(v)) return v;
      ctx.issues.push({
        code: 'custom',
        message: 'must be 2-16 of a-z, 0-9, starting with a letter',
        input: v,
      });
      return z.NEVER;
    }),
  ),
  /** The longest a key revoked (or a tenant frozen) elsewhere still verifies in a container. */
  TENANT_REGISTRY_KEY_CACHE_TTL_SECONDS: int(30, 0, 3600),
  TENANT_REGISTRY_KEY_CACHE_SIZE: int(10_000, 1, 1_000_000),
  /** The longest a new key may live; also the expiry of a key created without one. */
  TENANT_REGISTRY_KEY_MAX_LIFETIME_DAYS: int(365, 1, 3650),
  /** Wrong secrets per key id per window that run argon2 in a container; past it, no argon2 until the window ends. */
  TENANT_REGISTRY_KEY_FAILURE_LIMIT: int(5, 1, 1000),
  TENANT_REGISTRY_KEY_FAILURE_WINDOW_SECONDS: int(60, 1, 3600),
  /** Uncached key verifications at once per container (others wait); cached keys never wait. */
  TENANT_REGISTRY_KEY_VERIFY_CONCURRENCY: int(1, 1, 64),
  TENANT_REGISTRY_MAX_BODY_BYTES: int(65_536, 1024, 6_000_000),
  /** How long an audited write retries a lost race for its chain's head before it answers 503 (ms). */
  TENANT_REGISTRY_WRITE_BUDGET_MS: int(5000, 100, 25_000),
  /**
   * Days audit events are kept where a tenant sets no `audit_retention_days` (and on the global
   * chain); empty keeps them forever. Read by the scheduled verifier, which expires them.
   */
  TENANT_REGISTRY_AUDIT_RETENTION_DAYS: z.pipe(
    optionalText,
    z.transform((v, ctx) => {
      if (v === undefined) return undefined;
      const n = /^\d{1,4}$/.test(v) ? Number(v) : Number.NaN;
      if (n >= AUDIT_RETENTION_MIN_DAYS && n <= AUDIT_RETENTION_MAX_DAYS) return n;
      ctx.issues.push({
        code: 'custom',
        message: `must be an integer from ${AUDIT_RETENTION_MIN_DAYS} to ${AUDIT_RETENTION_MAX_DAYS}, or empty (forever)`,
        input: v,
      });
      return z.NEVER;
    }),
  ),
  TENANT_REGISTRY_CODE_VERSION: optionalText,
  /** The deployment stage (the stack sets it): the `stage` of auth.rejected lines, the alarms' `Stage` dimension. */
  TENANT_REGISTRY_STAGE: z.pipe(
    text('local'),
    z.transform((v, ctx) => {
      if (/^[a-z][a-z0-9-]{0,19}$/.test(v)) return v;
      ctx.issues.push({
        code: 'custom',
        message: 'must be 1-20 of a-z, 0-9 and -, starting with a letter',
        input: v,
      });
      return z.NEVER;
    }),
  ),
  /** Webhooks to http://127.0.0.1 / localhost (and loopback addresses); local mode turns it on. */
  TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL: flag,
  /** Multiplies every wait of the webhook retry schedule (tests: 0.0001 runs it in milliseconds). */
  TENANT_REGISTRY_WEBHOOK_RETRY_SCALE: z.pipe(
    z.optional(z.string()),
    z.transform((v, ctx) => {
      if (v === undefined || v === '') return 1;
      const n = /^\d{1,6}(\.\d{1,9})?$/.test(v) ? Number(v) : Number.NaN;
      if (!(n > 0 && n <= 1)) {
        ctx.issues.push({ code: 'custom', message: 'must be a number above 0 and at most 1', input: v });
        return z.NEVER;
      }
      return n;
    }),
  ),
  /** Webhook endpoints per owner (a tenant, or the operators' global set). */
  TENANT_REGISTRY_WEBHOOK_MAX_ENDPOINTS: int(20, 1, 1000),
  /** The SQS queue of webhook deliveries (the stack sets it); unset: the in-process queue (local mode). */
  TENANT_REGISTRY_WEBHOOK_QUEUE_URL: optionalText,
  TENANT_REGISTRY_LOG_LEVEL: z.pipe(
    z.optional(z.string()),
    z.transform((v, ctx) => {
      const level = (v === undefined || v === '' ? 'INFO' : v.toUpperCase()) as LogLevel;
      if (LOG_LEVELS.includes(level)) return level;
      ctx.issues.push({ code: 'custom', message: `must be one of ${LOG_LEVELS.join(', ')}`, input: v });
      return z.NEVER;
    }),
  ),
});

export type Config = Readonly<{
  webhookAllowLocal: boolean;
  webhookRetryScale: number;
  webhookMaxEndpoints: number;
  webhookQueueUrl: string | undefined;
  apiEnabled: boolean;
  apiToken: string | undefined;
  apiTokenSecretId: string | undefined;
  tableName: string;
  ssmPrefix: string;
  aliasQuarantineDays: number;
  aliasCacheTtlSeconds: number;
  aliasCacheSize: number;
  tokenCacheTtlSeconds: number;
  tokenRefreshMinSeconds: number;
  keyPrefix: string;
  keyCacheTtlSeconds: number;
  keyCacheSize: number;
  keyMaxLifetimeDays: number;
  keyFailureLimit: number;
  keyFailureWindowSeconds: number;
  keyVerifyConcurrency: number;
  maxBodyBytes: number;
  writeBudgetMs: number;
  auditRetentionDays: number | undefined;
  codeVersion: string | undefined;
  stage: string;
  logLevel: LogLevel;
}>;

/** How `/tenant/...` names its tenant (seed 002). */
export type TenantSelectionConfig = Readonly<{
  /** As configured (messages name it); look it up lower-cased. */
  header: string;
  required: boolean;
  defaultTenant: string | undefined;
  /** Slugs or UUIDs; empty allows every tenant. */
  allowedTenants: readonly string[];
}>;

export type KeycloakConfig = Readonly<{
  url: string;
  realm: string;
  clientId: string;
  clientSecretId: string | undefined;
  clientSecret: string | undefined;
  /** Budget for the whole provisioning (token, organization, invite). */
  timeoutMs: number;
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parsed<T extends z.ZodMiniType>(
  schema: T,
  source: Readonly<Record<string, string | undefined>>,
): z.output<T> {
  const result = z.safeParse(schema, source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${problems}`);
  }
  return result.data;
}

export function parseConfig(source: Readonly<Record<string, string | undefined>>): Config {
  const e = parsed(EnvSchema, source);
  return {
    apiEnabled: e.TENANT_REGISTRY_API_ENABLED,
    apiToken: e.TENANT_REGISTRY_API_TOKEN,
    apiTokenSecretId: e.TENANT_REGISTRY_API_TOKEN_SECRET_ID,
    tableName: e.TENANT_REGISTRY_TABLE_NAME,
    ssmPrefix: e.TENANT_REGISTRY_SSM_PREFIX,
    aliasQuarantineDays: e.TENANT_REGISTRY_ALIAS_QUARANTINE_DAYS,
    aliasCacheTtlSeconds: e.TENANT_REGISTRY_ALIAS_CACHE_TTL_SECONDS,
    aliasCacheSize: e.TENANT_REGISTRY_ALIAS_CACHE_SIZE,
    tokenCacheTtlSeconds: e.TENANT_REGISTRY_TOKEN_CACHE_TTL_SECONDS,
    tokenRefreshMinSeconds: e.TENANT_REGISTRY_TOKEN_REFRESH_MIN_SECONDS,
    keyPrefix: e.TENANT_REGISTRY_KEY_PREFIX,
    keyCacheTtlSeconds: e.TENANT_REGISTRY_KEY_CACHE_TTL_SECONDS,
    keyCacheSize: e.TENANT_REGISTRY_KEY_CACHE_SIZE,
    keyMaxLifetimeDays: e.TENANT_REGISTRY_KEY_MAX_LIFETIME_DAYS,
    keyFailureLimit: e.TENANT_REGISTRY_KEY_FAILURE_LIMIT,
    keyFailureWindowSeconds: e.TENANT_REGISTRY_KEY_FAILURE_WINDOW_SECONDS,
    keyVerifyConcurrency: e.TENANT_REGISTRY_KEY_VERIFY_CONCURRENCY,
    maxBodyBytes: e.TENANT_REGISTRY_MAX_BODY_BYTES,
    writeBudgetMs: e.TENANT_REGISTRY_WRITE_BUDGET_MS,
    auditRetentionDays: e.TENANT_REGISTRY_AUDIT_RETENTION_DAYS,
    codeVersion: e.TENANT_REGISTRY_CODE_VERSION,
    stage: e.TENANT_REGISTRY_STAGE,
    logLevel: e.TENANT_REGISTRY_LOG_LEVEL,
    webhookAllowLocal: e.TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL,
    webhookRetryScale: e.TENANT_REGISTRY_WEBHOOK_RETRY_SCALE,
    webhookMaxEndpoints: e.TENANT_REGISTRY_WEBHOOK_MAX_ENDPOINTS,
    webhookQueueUrl: e.TENANT_REGISTRY_WEBHOOK_QUEUE_URL,
  };
}

/** Built on use, so only the tenant plane's bundles carry it. */
function tenantSelectionSchema() {
  return z.object({
    /** Tenant selection under `/tenant/...` (seed 002): the header naming the tenant. */
    TENANT_REGISTRY_TENANT_HEADER: z.pipe(
      text('X-Tenant-ID'),
      z.transform((v, ctx) => {
        if (/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/.test(v) && !HEADERS_IN_USE.includes(v.toLowerCase())) return v;
        ctx.issues.push({
          code: 'custom',
          message: 'must be a header name (letters, digits, -) not used for credentials or bodies',
          input: v,
        });
        return z.NEVER;
      }),
    ),
    /** Whether `/tenant/...` needs the header or query (default true); else the default tenant or the key's own. */
    TENANT_REGISTRY_TENANT_REQUIRED: z.pipe(
      z.optional(z.enum(['true', 'false', '1', '0', ''])),
      z.transform((v) => v !== 'false' && v !== '0'),
    ),
    TENANT_REGISTRY_DEFAULT_TENANT: z.pipe(
      optionalText,
      z.transform((v, ctx) => {
        if (v === undefined || isTenantName(v)) return v;
        ctx.issues.push({ code: 'custom', message: 'must be a tenant slug or UUID', input: v });
        return z.NEVER;
      }),
    ),
    /** Comma-separated slugs or UUIDs; empty allows every tenant. */
    TENANT_REGISTRY_ALLOWED_TENANTS: z.pipe(
      optionalText,
      z.transform((v, ctx) => {
        const names = (v ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        if (names.length <= 1000 && names.every(isTenantName)) return [...new Set(names)];
        ctx.issues.push({
          code: 'custom',
          message: 'must be at most 1000 comma-separated tenant slugs or UUIDs',
          input: v,
        });
        return z.NEVER;
      }),
    ),
  });
}

/**
 * How `/tenant/...` names its tenant (docs/tenant-plane.md). Apart from `config()`, so only the
 * tenant plane's bundles carry it (and the CDK app, which validates the stack's settings with it).
 */
export function parseTenantSelectionConfig(
  source: Readonly<Record<string, string | undefined>>,
): TenantSelectionConfig {
  const e = parsed(tenantSelectionSchema(), source);
  return {
    header: e.TENANT_REGISTRY_TENANT_HEADER,
    required: e.TENANT_REGISTRY_TENANT_REQUIRED,
    defaultTenant: e.TENANT_REGISTRY_DEFAULT_TENANT,
    allowedTenants: e.TENANT_REGISTRY_ALLOWED_TENANTS,
  };
}

/**
 * Keycloak organization provisioning (docs/keycloak.md), undefined without
 * `TENANT_REGISTRY_KEYCLOAK_URL`. Apart from `config()`, so only the bundle that provisions
 * (createTenant) carries it. With the URL, the realm, the client id and a secret are required.
 */
export function parseKeycloakConfig(
  source: Readonly<Record<string, string | undefined>>,
): KeycloakConfig | undefined {
  const v = (name: string) => source[`TENANT_REGISTRY_KEYCLOAK_${name}`] || undefined;
  const url = v('URL');
  if (!url) return undefined;
  const [realm, clientId, clientSecretId, clientSecret] = [
    'REALM',
    'CLIENT_ID',
    'CLIENT_SECRET_ID',
    'CLIENT_SECRET',
  ].map(v);
  const timeout = v('TIMEOUT_MS') ?? '4000';
  const timeoutMs = /^\d{1,5}$/.test(timeout) ? Number(timeout) : 0;
  if (!/^https?:\/\/[^\s?#]+$/.test(url) || !realm || !clientId || !(clientSecretId || clientSecret)) {
    throw new ConfigError(
      'invalid environment: TENANT_REGISTRY_KEYCLOAK_URL must be an http(s) URL and needs _REALM, _CLIENT_ID and _CLIENT_SECRET_ID or _CLIENT_SECRET',
    );
  }
  if (timeoutMs < 100 || timeoutMs > 8000) {
    throw new ConfigError(
      'invalid environment: TENANT_REGISTRY_KEYCLOAK_TIMEOUT_MS: must be an integer from 100 to 8000',
    );
  }
  return { url: url.replace(/\/+$/, ''), realm, clientId, clientSecretId, clientSecret, timeoutMs };
}

/** The process's Keycloak configuration (read when the provisioning is wired, once per container). */
export function keycloakConfig(): KeycloakConfig | undefined {
  return parseKeycloakConfig(process.env);
}

let cached: Config | undefined;
let cachedSelection: TenantSelectionConfig | undefined;

/** The process's configuration, parsed on first use. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** The process's tenant selection settings, parsed on first use. */
export function tenantSelectionConfig(): TenantSelectionConfig {
  cachedSelection ??= parseTenantSelectionConfig(process.env);
  return cachedSelection;
}

/** Forget the parsed configuration (tests and the local server change the environment). */
export function reloadConfig(): Config {
  cached = undefined;
  cachedSelection = undefined;
  return config();
}

/** Local mode only (`npm start`, `npm run reconcile`): where to serve and where to keep data. */
export interface LocalConfig {
  readonly port: number;
  readonly dataDir: string;
  /**
   * Endpoints the environment already names (`AWS_ENDPOINT_URL_<SERVICE>`, else the SDK's
   * `AWS_ENDPOINT_URL` for every service); local mode starts stand-ins for the others.
   */
  readonly endpoints: { readonly dynamodb?: string; readonly ssm?: string; readonly secretsManager?: string };
}

export function parseLocalConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): LocalConfig {
  const portText = source.PORT ?? '';
  const port = portText === '' ? 8090 : /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new ConfigError(
      `PORT must be a port number from 0 to 65535 (0 picks a free one), not ${JSON.stringify(portText)}`,
    );
  }
  const named = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  const everyService = named(source.AWS_ENDPOINT_URL);
  const dynamodb = named(source.AWS_ENDPOINT_URL_DYNAMODB) ?? everyService;
  const ssm = named(source.AWS_ENDPOINT_URL_SSM) ?? everyService;
  const secretsManager = named(source.AWS_ENDPOINT_URL_SECRETS_MANAGER) ?? everyService;
  return {
    port,
    dataDir: source.TENANT_REGISTRY_DATA_DIR || '.data',
    endpoints: {
      ...(dynamodb ? { dynamodb } : {}),
      ...(ssm ? { ssm } : {}),
      ...(secretsManager ? { secretsManager } : {}),
    },
  };
}

/** The outbox's publishing (docs/events.md): the stream consumer's sinks and local mode's poller. */
export type EventsConfig = Readonly<{
  /** The EventBridge bus; unset, no event goes to EventBridge (the stack sets it). */
  busName: string | undefined;
  /** Retries of a PutEvents entry EventBridge did not take, before the record is reported failed. */
  putRetries: number;
  /** Base of their full-jitter backoff: up to base * 2^attempt ms (tests set it near 0). */
  putRetryBaseMs: number;
  /** Local mode: how often the in-process poller reads DynamoDB Local's stream. */
  streamPollMs: number;
}>;

function eventsSchema() {
  return z.object({
    TENANT_REGISTRY_EVENT_BUS_NAME: z.pipe(
      optionalText,
      z.transform((v, ctx) => {
        if (v === undefined || /^[A-Za-z0-9._-]{1,256}$/.test(v)) return v;
        ctx.issues.push({
          code: 'custom',
          message: 'must be an event bus name (1-256 of A-Za-z0-9._-)',
          input: v,
        });
        return z.NEVER;
      }),
    ),
    TENANT_REGISTRY_EVENTS_PUT_RETRIES: int(3, 0, 10),
    TENANT_REGISTRY_EVENTS_PUT_RETRY_BASE_MS: int(100, 0, 10_000),
    TENANT_REGISTRY_STREAM_POLL_MS: int(250, 10, 60_000),
  });
}

/** Apart from `config()`, so only the stream consumer's bundle (and local mode) carries it. */
export function parseEventsConfig(source: Readonly<Record<string, string | undefined>>): EventsConfig {
  const e = parsed(eventsSchema(), source);
  return {
    busName: e.TENANT_REGISTRY_EVENT_BUS_NAME,
    putRetries: e.TENANT_REGISTRY_EVENTS_PUT_RETRIES,
    putRetryBaseMs: e.TENANT_REGISTRY_EVENTS_PUT_RETRY_BASE_MS,
    streamPollMs: e.TENANT_REGISTRY_STREAM_POLL_MS,
  };
}

/** The process's events configuration, read when the sinks are wired. */
export function eventsConfig(): EventsConfig {
  return parseEventsConfig(process.env);
}
