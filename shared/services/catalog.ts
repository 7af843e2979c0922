import type { AuditInput } from '../domain/audit';
import type { RegistryAction } from '../domain/audit-events';
import {
  type CatalogEntry,
  type CatalogEntryInput,
  type CatalogEntryView,
  catalogEntry,
  catalogView,
  type EntitlementGrant,
  type EntitlementView,
  entitlementView,
  granted,
  isEntitled,
  RESERVED_CATALOG_KEYS,
  revoked,
  trialEntitlement,
  trialRefusal,
} from '../domain/catalog';
import {
  CatalogRuleError,
  ConcurrentUpdateError,
  EntitlementNotFoundError,
  ProductNotFoundError,
  TenantNotFoundError,
  ValidationError,
} from '../domain/errors';
import { pathsProblem } from '../domain/openapi-paths';
import type { Tenant } from '../domain/tenant';
import type { CatalogStore } from '../ports/catalog-store';
import type { Clock } from '../ports/clock';
import type { TenantReader } from '../ports/tenant-store';
import { type Actor, registryEvent } from './actor';

/** Re-read and re-decide after losing a race this many times before answering 409. */
const ATTEMPTS = 10;

/**
 * The product catalog, a tenant's entitlements, self-served trials and product requests. Every
 * change commits with its audit event (`catalog.updated`, `entitlement.granted`,
 * `entitlement.revoked`, `trial.started`, `catalog.requested`) in one transaction.
 */
export class CatalogService {
  constructor(
    private readonly tenants: Pick<TenantReader, 'getTenant'>,
    private readonly store: CatalogStore,
    private readonly clock: Clock,
  ) {}

  async listCatalog(): Promise<CatalogEntryView[]> {
    return (await this.store.listEntries()).map(catalogView);
  }

  /** Creates or replaces an entry; `paths` must be an OpenAPI 3.1 paths object. */
  putEntry(key: string, input: CatalogEntryInput, actor: Actor): Promise<CatalogEntryView> {
    if (RESERVED_CATALOG_KEYS.has(key))
      throw new ValidationError(
        `'${key}' is a route of its own (/v1/catalog/${key}) and cannot be a product key`,
      );
    if (input.paths !== undefined) {
      const problem = pathsProblem(input.paths);
      if (problem) throw new ValidationError(`body.paths ${problem}`);
    }
    return retrying(async () => {
      const previous = await this.store.getEntry(key);
      const entry = catalogEntry(key, input, previous, this.clock.now());
      await this.store.putEntry(
        entry,
        previous?.version ?? 'new',
        registryEvent(actor, 'catalog.updated', {
          target_id: key,
          target_type: 'product',
          target_name: entry.name,
          product: key,
          metadata: {
            created: previous === undefined,
            supports_trial: entry.supports_trial,
            plans_required: entry.plans_required,
            paths: entry.paths === undefined ? 0 : Object.keys(entry.paths).length,
          },
        }),
      );
      return catalogView(entry);
    });
  }

  /** A tenant's entitlements; an expired one reads as not enabled. */
  async listEntitlements(tenantId: string): Promise<EntitlementView[]> {
    await this.tenant(tenantId);
    const now = this.clock.now();
    return (await this.store.listEntitlements(tenantId)).map((e) => entitlementView(e, now));
  }

  /** The operator's grant: creates, re-enables or changes an entitlement. Not for archived tenants. */
  async grant(
    tenantId: string,
    product: string,
    grant: EntitlementGrant,
    actor: Actor,
  ): Promise<EntitlementView> {
    const tenant = await this.tenant(tenantId);
    if (tenant.status === 'archived')
      throw new CatalogRuleError('tenant_inactive', 'tenant is archived and cannot be granted products');
    const entry = await this.entry(product);
    const now = this.clock.now();
    if (grant.expires_at && Date.parse(grant.expires_at) <= now.getTime())
      throw new ValidationError('body.expires_at must be in the future (revoke to end an entitlement now)');
    return retrying(async () => {
      const previous = await this.store.getEntitlement(tenantId, product);
      const next = granted(tenantId, product, grant, previous, this.clock.now());
      await this.store.putEntitlement(
        next,
        previous?.version ?? 'new',
        productEvent(actor, 'entitlement.granted', tenant, entry.key, {
          expires_at: next.expires_at,
          config_changed: grant.config !== undefined,
          was:
            previous === undefined
              ? 'none'
              : previous.trial
                ? 'trial'
                : previous.enabled
                  ? 'enabled'
                  : 'revoked',
        }),
        { tenantNotArchived: true },
      );
      return entitlementView(next, this.clock.now());
    });
  }

  /** Revoking a revoked entitlement changes nothing and writes no event; an unknown one is a 404. */
  async revoke(tenantId: string, product: string, actor: Actor): Promise<void> {
    const tenant = await this.tenant(tenantId);
    await retrying(async () => {
      const current = await this.store.getEntitlement(tenantId, product);
      if (!current) throw new EntitlementNotFoundError(product);
      if (!current.enabled) return;
      const next = revoked(current, this.clock.now());
      await this.store.putEntitlement(
        next,
        current.version,
        productEvent(actor, 'entitlement.revoked', tenant, product, {
          trial: current.trial,
          expired: !isEntitled(current, this.clock.now()),
        }),
      );
    });
  }

  /** A request for sales: an audit event on the tenant's chain. An archived tenant cannot ask. */
  async requestProduct(tenantId: string, product: string, actor: Actor): Promise<number> {
    const tenant = await this.tenant(tenantId);
    const entry = await this.entry(product);
    if (tenant.status === 'archived')
      throw new CatalogRuleError('tenant_inactive', 'tenant is archived and cannot request products');
    const event = await this.store.record(
      productEvent(actor, 'catalog.requested', tenant, entry.key, {
        plan: tenant.plan,
        tenant_status: tenant.status,
        plan_eligible: entry.plans_required.length === 0 || entry.plans_required.includes(tenant.plan),
      }),
    );
    return event.id;
  }

  /**
   * A 14-day trial: once per product per tenant, ever, enforced by a conditional write. The
   * commit also checks that the tenant is still live and on the plan the decision saw.
   */
  startTrial(tenantId: string, product: string, actor: Actor): Promise<EntitlementView> {
    return retrying(async () => {
      const tenant = await this.tenant(tenantId);
      const entry = await this.entry(product);
      const refusal = trialRefusal(tenant, entry);
      if (refusal) throw new CatalogRuleError(refusal.code, refusal.message);
      const previous = await this.store.getEntitlement(tenantId, product);
      const trial = trialEntitlement(tenantId, product, previous, this.clock.now());
      await this.store.startTrial(
        trial,
        { plan: tenant.plan },
        productEvent(actor, 'trial.started', tenant, entry.key, {
          expires_at: trial.expires_at,
          plan: tenant.plan,
        }),
      );
      return entitlementView(trial, this.clock.now());
    });
  }

  private async tenant(id: string): Promise<Tenant> {
    const tenant = await this.tenants.getTenant(id);
    if (!tenant) throw new TenantNotFoundError();
    return tenant;
  }

  private async entry(product: string): Promise<CatalogEntry> {
    const entry = await this.store.getEntry(product);
    if (!entry) throw new ProductNotFoundError(product);
    return entry;
  }
}

async function retrying<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 8 * attempt));
    }
  }
}

/** An event on the tenant's chain about one of its products. */
function productEvent(
  actor: Actor,
  action: RegistryAction,
  tenant: Tenant,
  product: string,
  metadata: Record<string, unknown>,
): AuditInput {
  return registryEvent(actor, action, {
    tenant_id: tenant.id,
    target_id: tenant.id,
    target_type: 'tenant',
    target_name: tenant.name,
    product,
    metadata,
  });
}
