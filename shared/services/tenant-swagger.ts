import { createHash } from 'node:crypto';
import { CONTRACT_VERSION } from '../contract/routes';
import { TENANT_COMPONENTS, TENANT_PATHS } from '../contract/tenant-openapi.generated';
import { activeProducts, type CatalogEntry } from '../domain/catalog';
import { TtlCache } from '../domain/lru';
import type { Tenant } from '../domain/tenant';
import { tenantDocument } from '../domain/tenant-openapi';
import type { CatalogReader } from '../ports/catalog-store';
import type { Clock } from '../ports/clock';

export interface TenantSwaggerDocument {
  readonly document: Record<string, unknown>;
  /** A fingerprint of everything the document was built from (quoted, for ETag). */
  readonly etag: string;
}

/** Documents kept per container; one per tenant and name, dropped after an hour unused. */
const CACHE_ENTRIES = 1_000;
const CACHE_TTL_MS = 3_600_000;

/**
 * Per-tenant OpenAPI documents, cached and never stale: every request reads what the document
 * depends on (the tenant, which the caller already holds; its entitlements, one Query; the
 * catalog entries it uses, one GetItem each, strongly consistent) and compares a fingerprint
 * of it (tenant version, components, entry versions, the name used) with the cached one.
 * A change to the tenant's capabilities, entitlements or a used catalog entry therefore shows
 * in the next request's document; an unchanged one is served without being rebuilt.
 */
export class TenantSwagger {
  private readonly cache: TtlCache<string, TenantSwaggerDocument>;

  constructor(
    private readonly store: Pick<CatalogReader, 'listEntitlements' | 'getEntry'>,
    private readonly clock: Clock,
  ) {
    this.cache = new TtlCache(CACHE_ENTRIES, CACHE_TTL_MS, () => clock.now().getTime());
  }

  async document(tenant: Tenant, name: string): Promise<TenantSwaggerDocument> {
    const entitlements = await this.store.listEntitlements(tenant.id);
    const keys = [
      ...new Set([...tenant.active_components, ...activeProducts(tenant, entitlements, this.clock.now())]),
    ].sort();
    const entries = (await Promise.all(keys.map((key) => this.store.getEntry(key)))).filter(
      (e): e is CatalogEntry => e !== undefined && e.paths !== undefined,
    );
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([name, tenant.id, tenant.version, keys, entries.map((e) => [e.key, e.version])]))
      .digest('base64url')
      .slice(0, 27);
    const cacheKey = `${tenant.id} ${name}`;
    const cached = this.cache.get(cacheKey)?.value;
    if (cached?.etag === `"${fingerprint}"`) return cached;

    const built: TenantSwaggerDocument = {
      etag: `"${fingerprint}"`,
      document: tenantDocument({
        name,
        title: `${tenant.name} API`,
        version: `${CONTRACT_VERSION}+${tenant.version}`,
        template: TENANT_PATHS,
        components: TENANT_COMPONENTS,
        entries,
      }),
    };
    this.cache.set(cacheKey, built);
    return built;
  }
}
