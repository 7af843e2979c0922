import { activeProducts } from '../domain/catalog';
import { TenantNotFoundError, ValidationError } from '../domain/errors';
import { isSlug, isUuid } from '../domain/slug';
import { activeAliases, type Tenant, type TenantStatus } from '../domain/tenant';
import type { CatalogReader } from '../ports/catalog-store';
import type { Clock } from '../ports/clock';
import type { TenantReader } from '../ports/tenant-store';

export interface ClaimsLookup {
  readonly tenant_id?: string;
  readonly tenant_slug?: string;
  readonly user_attrs?: Readonly<Record<string, string>>;
}

export interface Claims {
  readonly tenant_id: string;
  readonly tenant_slug: string;
  readonly org_roles: string[];
  readonly products: string[];
  readonly plan: string;
  readonly tenant_status: TenantStatus;
}

/**
 * The claim bundle Keycloak's protocol mapper asks for at token issuance.
 *
 * Lookup order (seed 004): `tenant_id`, `tenant_slug`, `user_attrs.tenant_id`,
 * `user_attrs.tenant_slug`. The first key that is PRESENT decides, even when it names nobody
 * (404): falling through to the next key would let a stale user attribute pick another tenant.
 *
 * A frozen or archived tenant still resolves (its `tenant_status` is the current one) but gets
 * no products: a disabled tenant is dead on every path. `org_roles` is always empty: the registry
 * holds no per-user role data (organization roles live in Keycloak itself), and inventing roles
 * from tenant-wide data would hand them to every user of the tenant.
 */
export class ClaimsService {
  constructor(
    private readonly tenants: Pick<TenantReader, 'getTenant' | 'getSlugClaim'>,
    private readonly catalog: Pick<CatalogReader, 'listEntitlements'>,
    private readonly clock: Clock,
  ) {}

  async resolve(lookup: ClaimsLookup): Promise<Claims> {
    const tenant = await this.find(lookup);
    // Read after the tenant, so a tenant frozen meanwhile never gets products listed.
    const entitlements = await this.catalog.listEntitlements(tenant.id);
    return {
      tenant_id: tenant.id,
      tenant_slug: tenant.slug,
      org_roles: [],
      products: activeProducts(tenant, entitlements, this.clock.now()),
      plan: tenant.plan,
      tenant_status: tenant.status,
    };
  }

  private find(lookup: ClaimsLookup): Promise<Tenant> {
    const attrs = lookup.user_attrs ?? {};
    if (lookup.tenant_id !== undefined) return this.byId(lookup.tenant_id);
    if (lookup.tenant_slug !== undefined) return this.bySlug(lookup.tenant_slug);
    if (Object.hasOwn(attrs, 'tenant_id')) return this.byId(attrs.tenant_id ?? '');
    if (Object.hasOwn(attrs, 'tenant_slug')) return this.bySlug(attrs.tenant_slug ?? '');
    throw new ValidationError(
      'name the tenant: tenant_id, tenant_slug, user_attrs.tenant_id or user_attrs.tenant_slug',
    );
  }

  private async byId(id: string): Promise<Tenant> {
    const normalized = id.trim().toLowerCase();
    const tenant = isUuid(normalized) ? await this.tenants.getTenant(normalized) : undefined;
    if (!tenant) throw new TenantNotFoundError();
    return tenant;
  }

  /** The table's slug claim decides (strongly consistent; no alias cache between a retired alias and a token). */
  private async bySlug(slug: string): Promise<Tenant> {
    const claim = isSlug(slug) ? await this.tenants.getSlugClaim(slug) : undefined;
    const tenant =
      claim && claim.retired_at === undefined ? await this.tenants.getTenant(claim.tenant_id) : undefined;
    if (!tenant || !activeAliases(tenant).some((a) => a.slug === slug)) throw new TenantNotFoundError();
    return tenant;
  }
}
