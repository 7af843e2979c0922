import type { SlugClaim } from '../../shared/ports/tenant-store';
import { AliasResolver } from '../../shared/services/alias-resolver';
import { FakeAliasRegistry, FakeClaimStore, seededRandom } from './fakes';

const TTL_MS = 60_000;

function setup(
  options: { published?: Array<[string, string]>; claims?: SlugClaim[]; maxEntries?: number } = {},
) {
  let now = 1_000_000;
  const registry = new FakeAliasRegistry(options.published ?? []);
  const store = new FakeClaimStore(options.claims ?? []);
  const resolver = new AliasResolver(
    registry,
    store,
    { ttlMs: TTL_MS, maxEntries: options.maxEntries ?? 10_000 },
    () => now,
  );
  return {
    registry,
    store,
    resolver,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('AliasResolver', () => {
  describe('malformed slugs', () => {
    it.each([
      '',
      'a',
      'ab',
      '-abc',
      'abc-',
      'ABC',
      'über',
      'a'.repeat(41),
      'tenant',
      'healthz',
      'a/b',
      'abc\n',
    ])('%j resolves to nothing without any lookup', async (slug) => {
      const { resolver, registry, store } = setup({ published: [[slug, 't-1']] });
      expect(await resolver.resolve(slug)).toBeUndefined();
      expect(registry.calls.lookup).toBe(0);
      expect(store.calls.getSlugClaim).toBe(0);
    });
  });

  it('resolves a published slug from SSM without reading the table', async () => {
    const { resolver, registry, store } = setup({ published: [['acme', 't-1']] });
    expect(await resolver.resolve('acme')).toBe('t-1');
    expect(registry.calls.lookup).toBe(1);
    expect(store.calls.getSlugClaim).toBe(0);
  });

  it('caches a positive answer for the TTL', async () => {
    const { resolver, registry, advance } = setup({ published: [['acme', 't-1']] });
    await resolver.resolve('acme');
    advance(TTL_MS - 1);
    expect(await resolver.resolve('acme')).toBe('t-1');
    expect(registry.calls.lookup).toBe(1);
  });

  it('caches a negative answer (SSM and table both miss) for the TTL', async () => {
    const { resolver, registry, store, advance } = setup();
    expect(await resolver.resolve('nobody')).toBeUndefined();
    advance(TTL_MS - 1);
    expect(await resolver.resolve('nobody')).toBeUndefined();
    expect(registry.calls.lookup).toBe(1);
    expect(store.calls.getSlugClaim).toBe(1);
  });

  it('falls back to the table when SSM misses, and caches that answer', async () => {
    const { resolver, registry, store } = setup({ claims: [{ slug: 'acme', tenant_id: 't-1' }] });
    expect(await resolver.resolve('acme')).toBe('t-1');
    expect(await resolver.resolve('acme')).toBe('t-1');
    expect(registry.calls.lookup).toBe(1);
    expect(store.calls.getSlugClaim).toBe(1);
  });

  it('does not resolve a retired claim from the table', async () => {
    const { resolver } = setup({
      claims: [
        {
          slug: 'old-acme',
          tenant_id: 't-1',
          retired_at: '2025-01-01T00:00:00.000Z',
          quarantine_until: '2025-02-01T00:00:00.000Z',
        },
      ],
    });
    expect(await resolver.resolve('old-acme')).toBeUndefined();
  });

  it('looks up again after the TTL, and sees a change then', async () => {
    const { resolver, registry, advance } = setup({ published: [['acme', 't-1']] });
    await resolver.resolve('acme');
    registry.map.set('acme', 't-2');
    expect(await resolver.resolve('acme')).toBe('t-1');
    advance(TTL_MS);
    expect(await resolver.resolve('acme')).toBe('t-2');
    expect(registry.calls.lookup).toBe(2);
  });

  it('a negative entry expires too, so a new alias resolves after the TTL', async () => {
    const { resolver, registry, advance } = setup();
    expect(await resolver.resolve('acme')).toBeUndefined();
    registry.map.set('acme', 't-1');
    advance(TTL_MS);
    expect(await resolver.resolve('acme')).toBe('t-1');
  });

  it('forget() drops the entry: the next resolution looks up again', async () => {
    const { resolver, registry } = setup({ published: [['acme', 't-1']] });
    await resolver.resolve('acme');
    registry.map.delete('acme');
    resolver.forget('acme');
    expect(await resolver.resolve('acme')).toBeUndefined();
    expect(registry.calls.lookup).toBe(2);
    resolver.forget('never-cached');
  });

  it('keeps at most maxEntries slugs', async () => {
    const { resolver, registry } = setup({
      maxEntries: 2,
      published: [
        ['aaa', '1'],
        ['bbb', '2'],
        ['ccc', '3'],
      ],
    });
    await resolver.resolve('aaa');
    await resolver.resolve('bbb');
    await resolver.resolve('ccc');
    await resolver.resolve('aaa');
    expect(registry.calls.lookup).toBe(4);
  });

  it('1,000 resolutions over 100 known, 100 unknown and 100 malformed slugs cost one lookup per valid slug', async () => {
    const known = Array.from({ length: 100 }, (_, i) => `known-${i}`);
    const unknown = Array.from({ length: 100 }, (_, i) => `unknown-${i}`);
    const malformed = Array.from({ length: 100 }, (_, i) => (i % 2 ? `Bad-${i}` : `-bad-${i}`));
    const { resolver, registry, store, advance } = setup({
      published: known.map((slug, i) => [slug, `t-${i}`]),
    });
    const random = seededRandom(2025);
    const pool = [...known, ...unknown, ...malformed];
    // Every slug at least once, then random picks, shuffled over time inside one TTL window.
    const requests = [
      ...pool,
      ...Array.from({ length: 700 }, () => pool[Math.floor(random() * pool.length)] as string),
    ];
    for (const slug of requests) {
      const resolved = await resolver.resolve(slug);
      const index = known.indexOf(slug);
      expect(resolved).toBe(index >= 0 ? `t-${index}` : undefined);
      advance(TTL_MS / 2000);
    }
    expect(requests).toHaveLength(1000);
    expect(registry.calls.lookup).toBeLessThanOrEqual(200);
    expect(registry.calls.lookup).toBe(200);
    expect(store.calls.getSlugClaim).toBe(100);
  });
});
