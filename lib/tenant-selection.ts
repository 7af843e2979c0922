import { ConfigError, parseTenantSelectionConfig, type TenantSelectionConfig } from '../shared/config/env';

/**
 * How `/tenant/...` names its tenant (seed 002), as the stack takes it. Each setting left out
 * keeps the functions' own default (shared/config/env.ts): header `X-Tenant-ID`, required, no
 * default tenant, every tenant allowed.
 */
export interface TenantSelection {
  /** The header naming the tenant. @default 'X-Tenant-ID' */
  readonly header?: string;
  /** Whether `/tenant/...` needs the header or `tenant_id` query. @default true */
  readonly required?: boolean;
  /** A slug or tenant UUID used when nothing names the tenant (and it is not required). */
  readonly defaultTenant?: string;
  /** Slugs or tenant UUIDs (a comma-separated string is accepted); empty allows every tenant. */
  readonly allowedTenants?: readonly string[] | string;
}

/** The CDK context key of each variable (lib/stage-config.ts), to name it in errors. */
export const TENANT_SELECTION_CONTEXT_KEYS = Object.freeze({
  TENANT_REGISTRY_TENANT_HEADER: 'tenantHeader',
  TENANT_REGISTRY_TENANT_REQUIRED: 'tenantRequired',
  TENANT_REGISTRY_DEFAULT_TENANT: 'defaultTenant',
  TENANT_REGISTRY_ALLOWED_TENANTS: 'allowedTenants',
} as const);

export class TenantSelectionError extends Error {
  override name = 'TenantSelectionError';
}

/**
 * The environment of the tenant-plane functions for `selection`: only the settings given, each
 * validated and normalized by the very parser the functions run (`parseTenantSelectionConfig` of
 * shared/config/env.ts), so a value the functions would refuse at cold start fails the synth
 * instead. Errors name the setting by its context key and its variable.
 */
export function tenantSelectionEnvironment(selection: TenantSelection = {}): Record<string, string> {
  const allowed =
    typeof selection.allowedTenants === 'string'
      ? selection.allowedTenants
      : selection.allowedTenants?.join(',');
  const raw: Record<string, string | undefined> = {
    TENANT_REGISTRY_TENANT_HEADER: selection.header,
    TENANT_REGISTRY_TENANT_REQUIRED:
      selection.required === undefined ? undefined : String(selection.required),
    TENANT_REGISTRY_DEFAULT_TENANT: selection.defaultTenant,
    TENANT_REGISTRY_ALLOWED_TENANTS: allowed,
  };
  let parsed: TenantSelectionConfig;
  try {
    parsed = parseTenantSelectionConfig(raw);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    let message = error.message.replace(/^invalid environment: /, '');
    for (const [name, key] of Object.entries(TENANT_SELECTION_CONTEXT_KEYS)) {
      message = message.replaceAll(name, `${key} (${name})`);
    }
    throw new TenantSelectionError(`tenant selection: ${message}`);
  }
  const env: Record<string, string> = {};
  if (selection.header !== undefined) env.TENANT_REGISTRY_TENANT_HEADER = parsed.header;
  if (selection.required !== undefined) env.TENANT_REGISTRY_TENANT_REQUIRED = String(parsed.required);
  if (parsed.defaultTenant !== undefined) env.TENANT_REGISTRY_DEFAULT_TENANT = parsed.defaultTenant;
  if (parsed.allowedTenants.length > 0) env.TENANT_REGISTRY_ALLOWED_TENANTS = parsed.allowedTenants.join(',');
  return env;
}
