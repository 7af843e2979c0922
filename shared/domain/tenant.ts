import { InvalidTransitionError } from './errors';

/** Tenant lifecycle, capabilities and the API representation. Pure: no AWS, no HTTP. */

export const TENANT_STATUSES = ['demo', 'trial', 'active', 'frozen', 'archived'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const TENANT_KINDS = ['customer', 'demo'] as const;
export type TenantKind = (typeof TENANT_KINDS)[number];

/** Length of the trial a new customer tenant starts with (seed 004's 14-day trials). */
export const TRIAL_DAYS = 14;
export const MAX_ACTIVE_ALIASES = 50;
/** Retired aliases kept in the history once their quarantine is over. */
export const MAX_ALIAS_HISTORY = 50;

export interface AliasRecord {
  readonly slug: string;
  readonly primary: boolean;
  readonly created_at: string;
  /** Set when the alias was removed; it stops resolving at once. */
  readonly retired_at?: string;
  /** Until then only this tenant may take the slug back. */
  readonly quarantine_until?: string;
}

/** What the operator may change with PATCH. */
export interface TenantPatch {
  readonly name?: string;
  readonly sales_owner?: string;
  readonly erp_customer_id?: string;
  readonly active_components?: readonly string[];
  readonly active_record_types?: readonly string[];
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Days its audit events are kept (30..3650); null: the stack's default. */
  readonly audit_retention_days?: number | null;
}

export interface Tenant {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly status: TenantStatus;
  readonly kind: TenantKind;
  readonly plan: string;
  readonly erp_customer_id?: string;
  readonly stripe_cust_id?: string;
  readonly sales_owner?: string;
  readonly trial_ends_at: string | null;
  readonly contract_start: string | null;
  readonly contract_end: string | null;
  readonly cancel_reason?: string;
  readonly cancel_at_period_end?: boolean;
  readonly active_components: readonly string[];
  readonly active_record_types: readonly string[];
  readonly settings: Readonly<Record<string, unknown>>;
  readonly aliases: readonly AliasRecord[];
  /** Days its audit events are kept; absent: the stack's default (docs/storage.md, "Retention"). */
  readonly audit_retention_days?: number;
  readonly created_at: string;
  readonly updated_at: string;
  /** Bumped by every change; the ETag. */
  readonly version: number;
}

export interface NewTenant {
  readonly slug: string;
  readonly name: string;
  readonly plan?: string;
  readonly kind?: TenantKind;
  readonly sales_owner?: string;
  readonly erp_customer_id?: string;
  readonly active_components?: readonly string[];
  readonly active_record_types?: readonly string[];
  readonly settings?: Readonly<Record<string, unknown>>;
}

export function newTenant(id: string, input: NewTenant, now: Date): Tenant {
  const at = now.toISOString();
  const kind = input.kind ?? 'customer';
  return {
    id,
    slug: input.slug,
    name: input.name,
    status: kind === 'demo' ? 'demo' : 'trial',
    kind,
    plan: input.plan ?? 'starter',
    ...(input.sales_owner === undefined ? {} : { sales_owner: input.sales_owner }),
    ...(input.erp_customer_id === undefined ? {} : { erp_customer_id: input.erp_customer_id }),
    trial_ends_at: kind === 'demo' ? null : new Date(now.getTime() + TRIAL_DAYS * 86_400_000).toISOString(),
    contract_start: null,
    contract_end: null,
    active_components: input.active_components ?? [],
    active_record_types: input.active_record_types ?? [],
    settings: input.settings ?? {},
    aliases: [{ slug: input.slug, primary: true, created_at: at }],
    created_at: at,
    updated_at: at,
    version: 1,
  };
}

/** A change of state: the next tenant and nothing else. */
function touched(tenant: Tenant, changes: Partial<Tenant>, now: Date): Tenant {
  return { ...tenant, ...changes, updated_at: now.toISOString(), version: tenant.version + 1 };
}

export function applyPatch(tenant: Tenant, patch: TenantPatch, now: Date): Tenant {
  assertNotArchived(tenant, 'changed');
  const { audit_retention_days: days, ...rest } = patch;
  const next = touched(tenant, rest as Partial<Tenant>, now);
  if (days === undefined) return next;
  // null goes back to the stack's default: the field is left out.
  const { audit_retention_days: _was, ...without } = next;
  return days === null ? without : { ...without, audit_retention_days: days };
}

export interface Activation {
  readonly plan?: string;
  readonly contract_start?: string;
  readonly contract_end?: string;
  readonly erp_customer_id?: string;
}

/**
 * Lifecycle: demo|trial|frozen -> active; demo|trial|active -> frozen (cancel);
 * anything but archived -> archived (retire, terminal).
 */
export function activate(tenant: Tenant, input: Activation, now: Date): Tenant {
  assertNotArchived(tenant, 'activated');
  if (tenant.status === 'active') throw new InvalidTransitionError('tenant is already active');
  return touched(tenant, { ...input, status: 'active' }, now);
}

export interface Cancellation {
  readonly reason?: string;
  readonly at_period_end?: boolean;
}

export function cancel(tenant: Tenant, input: Cancellation, now: Date): Tenant {
  assertNotArchived(tenant, 'cancelled');
  if (tenant.status === 'frozen') throw new InvalidTransitionError('tenant is already frozen');
  return touched(
    tenant,
    {
      status: 'frozen',
      ...(input.reason === undefined ? {} : { cancel_reason: input.reason }),
      ...(input.at_period_end === undefined ? {} : { cancel_at_period_end: input.at_period_end }),
    },
    now,
  );
}

export function retire(tenant: Tenant, quarantineUntil: Date, now: Date): Tenant {
  assertNotArchived(tenant, 'retired');
  const at = now.toISOString();
  const until = quarantineUntil.toISOString();
  return touched(
    tenant,
    {
      status: 'archived',
      aliases: tenant.aliases.map((a) =>
        a.retired_at ? a : { ...a, retired_at: at, quarantine_until: until },
      ),
    },
    now,
  );
}

function assertNotArchived(tenant: Tenant, verb: string): void {
  if (tenant.status === 'archived') {
    throw new InvalidTransitionError(`tenant is archived and cannot be ${verb}`);
  }
}

export function activeAliases(tenant: Tenant): AliasRecord[] {
  return tenant.aliases.filter((a) => a.retired_at === undefined);
}

export function addAlias(tenant: Tenant, slug: string, now: Date): Tenant {
  assertNotArchived(tenant, 'given aliases');
  const kept = tenant.aliases.filter((a) => a.slug !== slug);
  return touched(
    tenant,
    { aliases: [...kept, { slug, primary: false, created_at: now.toISOString() }] },
    now,
  );
}

export function removeAlias(tenant: Tenant, slug: string, quarantineUntil: Date, now: Date): Tenant {
  assertNotArchived(tenant, 'changed');
  const at = now.toISOString();
  const until = quarantineUntil.toISOString();
  // History beyond the cap loses its oldest entries whose quarantine is over.
  const history = tenant.aliases.filter((a) => a.retired_at !== undefined && a.slug !== slug);
  const expired = history.filter((a) => (a.quarantine_until ?? '') <= at);
  const drop = new Set(
    expired.slice(0, Math.max(0, history.length + 1 - MAX_ALIAS_HISTORY)).map((a) => a.slug),
  );
  return touched(
    tenant,
    {
      aliases: tenant.aliases
        .filter((a) => !drop.has(a.slug))
        .map((a) => (a.slug === slug ? { ...a, retired_at: at, quarantine_until: until } : a)),
    },
    now,
  );
}

/** The tenant as the API shows it: `aliases` lists the slugs that resolve to it. */
export function tenantView(tenant: Tenant): Record<string, unknown> {
  const { aliases, ...rest } = tenant;
  return { ...rest, aliases: aliases.filter((a) => a.retired_at === undefined).map((a) => a.slug) };
}

export function aliasView(alias: AliasRecord): Record<string, unknown> {
  return { ...alias };
}

/**
 * The operators' sales, billing and cancellation notes: the tenant's profile leaves them out,
 * and so does every event a tenant sees (audit-projection.ts derives from this list).
 */
export const PROFILE_WITHHELD = [
  'sales_owner',
  'erp_customer_id',
  'stripe_cust_id',
  'cancel_reason',
] as const satisfies readonly (keyof Tenant)[];

/** Whether a tenant sees this field of its profile. */
export function shownInProfile(field: string): boolean {
  return !(PROFILE_WITHHELD as readonly string[]).includes(field);
}

/** What a tenant sees of itself: the operators' sales, billing and cancellation notes stay theirs. */
export function tenantProfileView(tenant: Tenant): Record<string, unknown> {
  return Object.fromEntries(Object.entries(tenantView(tenant)).filter(([field]) => shownInProfile(field)));
}
