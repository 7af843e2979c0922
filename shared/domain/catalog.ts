import type { Tenant } from './tenant';

/** The product catalog, tenant entitlements and trials. Pure: no AWS, no HTTP. */

/** Catalog keys that are literal routes under /v1/catalog/ and can never name a product. */
export const RESERVED_CATALOG_KEYS: ReadonlySet<string> = new Set(['request', 'trial-request']);

/** Length of a self-served trial (seed 004). */
export const PRODUCT_TRIAL_DAYS = 14;

export interface CatalogEntryInput {
  readonly name: string;
  readonly description: string;
  readonly plans_required: readonly string[];
  readonly demo_url?: string;
  readonly supports_trial: boolean;
  /** An OpenAPI 3.1 paths object, relative to the tenant; stored and returned as sent. */
  readonly paths?: Readonly<Record<string, unknown>>;
}

export interface CatalogEntry extends CatalogEntryInput {
  readonly key: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}

export interface Entitlement {
  readonly tenant_id: string;
  readonly product: string;
  /** As stored: false once revoked. An expired entitlement is stored enabled but reads as not. */
  readonly enabled: boolean;
  readonly config: Readonly<Record<string, unknown>>;
  readonly trial: boolean;
  readonly expires_at: string | null;
  readonly revoked_at?: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}

export interface EntitlementGrant {
  /** Replaces the config when given; an existing entitlement keeps its config otherwise. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** null: never expires; absent: an existing entitlement keeps its expiry. */
  readonly expires_at?: string | null;
}

export function catalogEntry(
  key: string,
  input: CatalogEntryInput,
  previous: CatalogEntry | undefined,
  now: Date,
): CatalogEntry {
  const at = now.toISOString();
  return {
    key,
    name: input.name,
    description: input.description,
    plans_required: input.plans_required,
    ...(input.demo_url === undefined ? {} : { demo_url: input.demo_url }),
    supports_trial: input.supports_trial,
    ...(input.paths === undefined ? {} : { paths: input.paths }),
    created_at: previous?.created_at ?? at,
    updated_at: at,
    version: (previous?.version ?? 0) + 1,
  };
}

/** An entitlement counts only while enabled and before its expiry. */
export function isEntitled(e: Entitlement, now: Date): boolean {
  return e.enabled && (e.expires_at === null || Date.parse(e.expires_at) > now.getTime());
}

/** The API representation: `enabled` is what holds now, so an expired entitlement reads false. */
export type EntitlementView = Omit<Entitlement, 'version' | 'revoked_at'>;
export type CatalogEntryView = Omit<CatalogEntry, 'version'>;

export function entitlementView(e: Entitlement, now: Date): EntitlementView {
  return {
    tenant_id: e.tenant_id,
    product: e.product,
    enabled: isEntitled(e, now),
    config: e.config,
    trial: e.trial,
    expires_at: e.expires_at,
    created_at: e.created_at,
    updated_at: e.updated_at,
  };
}

export function catalogView(entry: CatalogEntry): CatalogEntryView {
  const { version: _version, ...view } = entry;
  return view;
}

/** An admin grant: a new entitlement, or the existing one enabled again with the changes given. */
export function granted(
  tenantId: string,
  product: string,
  grant: EntitlementGrant,
  previous: Entitlement | undefined,
  now: Date,
): Entitlement {
  const at = now.toISOString();
  return {
    tenant_id: tenantId,
    product,
    enabled: true,
    config: grant.config ?? previous?.config ?? {},
    // An operator's grant is a real entitlement, even where a trial was before.
    trial: false,
    expires_at: grant.expires_at === undefined ? (previous?.expires_at ?? null) : grant.expires_at,
    created_at: previous?.created_at ?? at,
    updated_at: at,
    version: (previous?.version ?? 0) + 1,
  };
}

export function revoked(e: Entitlement, now: Date): Entitlement {
  const at = now.toISOString();
  return { ...e, enabled: false, revoked_at: at, updated_at: at, version: e.version + 1 };
}

export function trialEntitlement(
  tenantId: string,
  product: string,
  previous: Entitlement | undefined,
  now: Date,
): Entitlement {
  const at = now.toISOString();
  return {
    tenant_id: tenantId,
    product,
    enabled: true,
    // A trial starts clean: an old grant's config is not the trial's.
    config: {},
    trial: true,
    expires_at: new Date(now.getTime() + PRODUCT_TRIAL_DAYS * 86_400_000).toISOString(),
    created_at: at,
    updated_at: at,
    version: (previous?.version ?? 0) + 1,
  };
}

/** Why `tenant` may not start a trial of `entry`, or undefined (the one-trial rule is the store's). */
export function trialRefusal(
  tenant: Tenant,
  entry: CatalogEntry,
):
  | { readonly code: 'tenant_inactive' | 'trial_unavailable' | 'plan_not_eligible'; readonly message: string }
  | undefined {
  if (tenant.status === 'archived' || tenant.status === 'frozen')
    return { code: 'tenant_inactive', message: `tenant is ${tenant.status} and cannot start trials` };
  if (!entry.supports_trial)
    return { code: 'trial_unavailable', message: `product '${entry.key}' does not offer trials` };
  if (entry.plans_required.length > 0 && !entry.plans_required.includes(tenant.plan))
    return {
      code: 'plan_not_eligible',
      message: `product '${entry.key}' needs one of the plans ${entry.plans_required.join(', ')}; the tenant is on '${tenant.plan}'`,
    };
  return undefined;
}

/** Product keys of every entitlement that holds now; none at all for a frozen or archived tenant. */
export function activeProducts(tenant: Tenant, entitlements: readonly Entitlement[], now: Date): string[] {
  if (tenant.status === 'frozen' || tenant.status === 'archived') return [];
  return entitlements
    .filter((e) => isEntitled(e, now))
    .map((e) => e.product)
    .sort();
}
