import { TenantNotFoundError } from '../domain/errors';
import { activeAliases, type Tenant } from '../domain/tenant';
import type { TenantReader } from '../ports/tenant-store';
import type { AliasResolver } from './alias-resolver';

/**
 * Slug -> tenant for the operator plane's `by-slug`: reads only, apart from the alias writers
 * (AliasChange and its kinds), so the read function's bundle holds no writer.
 */
export class AliasLookup {
  constructor(
    private readonly resolver: Pick<AliasResolver, 'resolve' | 'forget'>,
    private readonly store: Pick<TenantReader, 'getTenant' | 'getSlugClaim'>,
  ) {}

  /** The tenant an active alias names; a retired or quarantined alias names nobody. */
  async tenantFor(slug: string): Promise<Tenant> {
    const id = await this.resolver.resolve(slug);
    const tenant = id === undefined ? undefined : await this.store.getTenant(id);
    if (tenant && activeAliases(tenant).some((a) => a.slug === slug)) return tenant;
    // The cache or the published map may lag a change made elsewhere: the table decides.
    this.resolver.forget(slug);
    const claim = await this.store.getSlugClaim(slug);
    if (!claim || claim.retired_at !== undefined) throw new TenantNotFoundError();
    const owner = claim.tenant_id === tenant?.id ? tenant : await this.store.getTenant(claim.tenant_id);
    if (!owner) throw new TenantNotFoundError();
    return owner;
  }
}
