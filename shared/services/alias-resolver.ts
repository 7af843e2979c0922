import { TtlCache } from '../domain/lru';
import { isSlug } from '../domain/slug';
import type { AliasRegistry } from '../ports/alias-registry';
import type { TenantStore } from '../ports/tenant-store';

export interface ResolverPolicy {
  readonly ttlMs: number;
  readonly maxEntries: number;
}

/**
 * Slug -> tenant id for hot paths. Cached in process (positive and negative entries, bounded
 * size and TTL), then the published map in SSM, then the table, so a flood of unknown slugs
 * costs one SSM call per distinct slug per TTL window and a malformed slug costs nothing.
 * Staleness is bounded by the TTL in other containers; this container forgets at once what
 * it changes itself (`forget`).
 */
export class AliasResolver {
  private readonly cache: TtlCache<string, string | null>;

  constructor(
    private readonly registry: AliasRegistry,
    private readonly store: TenantStore,
    policy: ResolverPolicy,
    now: () => number = Date.now,
  ) {
    this.cache = new TtlCache(policy.maxEntries, policy.ttlMs, now);
  }

  async resolve(slug: string): Promise<string | undefined> {
    if (!isSlug(slug)) return undefined;
    const hit = this.cache.get(slug);
    if (hit) return hit.value ?? undefined;
    const tenantId = (await this.registry.lookup(slug)) ?? (await this.fromTable(slug));
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
