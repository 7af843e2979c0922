import { TtlCache } from '../domain/lru';
import { isSlug } from '../domain/slug';
import type { AliasRegistry } from '../ports/alias-registry';
import type { TenantReader } from '../ports/tenant-store';

export interface ResolverPolicy {
  readonly ttlMs: number;
  readonly maxEntries: number;
}

/**
 * Slug -> tenant id for hot paths. Cached in process (positive and negative entries, bounded
 * size and TTL), then the published map in SSM (when given a registry), then the table, so a
 * flood of unknown slugs costs one lookup per distinct slug per TTL window and a malformed slug
 * costs nothing. Staleness is bounded by the TTL in other containers; this container forgets at
 * once what it changes itself (`forget`).
 *
 * Without a registry the cache sits straight on the table's slug claims (the source of truth):
 * the tenant plane's way, whose many functions and containers each keep a cache and would
 * otherwise multiply calls against SSM's account-wide quota (docs/tenant-plane.md).
 */
export class AliasResolver {
  private readonly cache: TtlCache<string, string | null>;

  constructor(
    private readonly registry: AliasRegistry | undefined,
    private readonly store: Pick<TenantReader, 'getSlugClaim'>,
    policy: ResolverPolicy,
    now: () => number = Date.now,
  ) {
    this.cache = new TtlCache(policy.maxEntries, policy.ttlMs, now);
  }

  async resolve(slug: string): Promise<string | undefined> {
    if (!isSlug(slug)) return undefined;
    const hit = this.cache.get(slug);
    if (hit) return hit.value ?? undefined;
    const tenantId = (await this.registry?.lookup(slug)) ?? (await this.fromTable(slug));
    this.cache.set(slug, tenantId ?? null);
    return tenantId;
  }

  forget(slug: string): void {
    this.cache.delete(slug);
  }

  private async fromTable(slug: string): Promise<string | undefined> {
    const claim = await this.store.getSlugClaim(slug);
    return claim && claim.retired_at === undefined ? claim.tenant_id : undefined;
  }
}
