import * as z from 'zod/mini';
import { LOG_LEVELS, type LogLevel } from '../observability/log-levels';

/**
 * The environment, parsed once against a schema. Nothing else reads `process.env`.
 * Every variable is documented in the README ("Environment").
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
      if (/^(\/[A-Za-z0-9_.-]+)+$/.test(path)) return path;
      ctx.issues.push({
        code: 'custom',
        message: 'must be a parameter path like /tenant-registry',
        input: v,
      });
      return z.NEVER;
    }),
  ),
  TENANT_REGISTRY_ALIAS_QUARANTINE_DAYS: int(30, 0, 3650),
  TENANT_REGISTRY_ALIAS_CACHE_TTL_SECONDS: int(60, 0, 86_400),
  TENANT_REGISTRY_ALIAS_CACHE_SIZE: int(10_000, 1, 1_000_000),
  TENANT_REGISTRY_TOKEN_CACHE_TTL_SECONDS: int(300, 1, 86_400),
  TENANT_REGISTRY_TOKEN_REFRESH_MIN_SECONDS: int(30, 0, 86_400),
  TENANT_REGISTRY_MAX_BODY_BYTES: int(65_536, 1024, 6_000_000),
  TENANT_REGISTRY_CODE_VERSION: optionalText,
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
  maxBodyBytes: number;
  codeVersion: string | undefined;
  logLevel: LogLevel;
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(source: Readonly<Record<string, string | undefined>>): Config {
  const result = z.safeParse(EnvSchema, source);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${problems}`);
  }
  const e = result.data;
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
    maxBodyBytes: e.TENANT_REGISTRY_MAX_BODY_BYTES,
    codeVersion: e.TENANT_REGISTRY_CODE_VERSION,
    logLevel: e.TENANT_REGISTRY_LOG_LEVEL,
  };
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Forget the parsed configuration (tests and the local server change the environment). */
export function reloadConfig(): Config {
  cached = undefined;
  return config();
}

/** Local mode only (`npm start`, `npm run reconcile`): where to serve and where to keep data. */
export interface LocalConfig {
  readonly port: number;
  readonly dataDir: string;
  /** Endpoints the environment already names; local mode starts stand-ins for the others. */
  readonly endpoints: { readonly dynamodb?: string; readonly ssm?: string; readonly secretsManager?: string };
}

export function parseLocalConfig(
  source: Readonly<Record<string, string | undefined>> = process.env,
): LocalConfig {
  const port = source.PORT === undefined || source.PORT === '' ? 8090 : Number(source.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError('PORT must be a port number');
  const endpoint = (v: string | undefined) => (v === undefined || v === '' ? {} : { value: v });
  const ddb = endpoint(source.AWS_ENDPOINT_URL_DYNAMODB);
  const ssm = endpoint(source.AWS_ENDPOINT_URL_SSM);
  const sm = endpoint(source.AWS_ENDPOINT_URL_SECRETS_MANAGER);
  return {
    port,
    dataDir: source.TENANT_REGISTRY_DATA_DIR || '.data',
    endpoints: {
      ...('value' in ddb ? { dynamodb: ddb.value } : {}),
      ...('value' in ssm ? { ssm: ssm.value } : {}),
      ...('value' in sm ? { secretsManager: sm.value } : {}),
    },
  };
}
