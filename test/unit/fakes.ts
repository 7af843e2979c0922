import type { AuditEvent } from '../../shared/domain/audit';
import type { IdempotencyRecord } from '../../shared/domain/idempotency';
import type { Tenant } from '../../shared/domain/tenant';
import type { ListedAliasRegistry } from '../../shared/ports/alias-registry';
import type { Clock } from '../../shared/ports/clock';
import type { SecretSource } from '../../shared/ports/secret-source';
import type { SlugClaim, TenantPage, TenantStore } from '../../shared/ports/tenant-store';

/** In-memory fakes of the ports, with call counters. Pure: no network, no DynamoDB. */

/** The published slug -> tenant id map, in a Map. */
export class FakeAliasRegistry implements ListedAliasRegistry {
  readonly map: Map<string, string>;
  readonly calls = { lookup: 0, publish: 0, unpublish: 0, entries: 0 };

  constructor(initial: Iterable<readonly [string, string]> = []) {
    this.map = new Map(initial);
  }

  async lookup(slug: string): Promise<string | undefined> {
    this.calls.lookup++;
    return this.map.get(slug);
  }

  async publish(slug: string, tenantId: string): Promise<void> {
    this.calls.publish++;
    this.map.set(slug, tenantId);
  }

  async unpublish(slug: string): Promise<void> {
    this.calls.unpublish++;
    this.map.delete(slug);
  }

  async *entries(): AsyncIterable<{ readonly slug: string; readonly tenant_id: string }> {
    this.calls.entries++;
    // A snapshot, like a paginated listing taken before any change.
    for (const [slug, tenant_id] of [...this.map]) yield { slug, tenant_id };
  }

  async ping(): Promise<void> {}

  /** The map as a plain object, for comparisons. */
  snapshot(): Record<string, string> {
    return Object.fromEntries([...this.map].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

/** A TenantStore that knows only slug claims; everything else is out of scope for these tests. */
export class FakeClaimStore implements TenantStore {
  readonly claims: Map<string, SlugClaim>;
  readonly calls = { getSlugClaim: 0, slugClaims: 0 };

  constructor(claims: readonly SlugClaim[] = []) {
    this.claims = new Map(claims.map((c) => [c.slug, c]));
  }

  async getSlugClaim(slug: string): Promise<SlugClaim | undefined> {
    this.calls.getSlugClaim++;
    return this.claims.get(slug);
  }

  async *slugClaims(): AsyncIterable<SlugClaim> {
    this.calls.slugClaims++;
    for (const claim of [...this.claims.values()]) yield claim;
  }

  async getTenant(_id: string): Promise<Tenant | undefined> {
    throw new Error('FakeClaimStore.getTenant is not used by these tests');
  }

  async listTenants(): Promise<TenantPage> {
    throw new Error('FakeClaimStore.listTenants is not used by these tests');
  }

  async commit(): Promise<AuditEvent> {
    throw new Error('FakeClaimStore.commit is not used by these tests');
  }

  async getIdempotencyRecord(): Promise<IdempotencyRecord | undefined> {
    throw new Error('FakeClaimStore.getIdempotencyRecord is not used by these tests');
  }

  async ping(): Promise<void> {}
}

/** A secret with a current and a previous version; rotate() moves current to previous. */
export class FakeSecretSource implements SecretSource {
  readonly calls = { current: 0, previous: 0 };

  constructor(
    public currentToken: string | undefined,
    public previousToken: string | undefined = undefined,
  ) {}

  async current(): Promise<string | undefined> {
    this.calls.current++;
    return this.currentToken;
  }

  async previous(): Promise<string | undefined> {
    this.calls.previous++;
    return this.previousToken;
  }

  async ping(): Promise<void> {}

  rotate(next: string): void {
    this.previousToken = this.currentToken;
    this.currentToken = next;
  }
}

/** A clock that moves only when told. */
export class FakeClock implements Clock {
  constructor(private ms = Date.UTC(2025, 0, 1)) {}

  now(): Date {
    return new Date(this.ms);
  }

  millis(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A small deterministic PRNG (mulberry32), so loop-generated cases are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
