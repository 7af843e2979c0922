import fc from 'fast-check';
import type { SlugClaim } from '../../shared/ports/tenant-store';
import { AliasReconciler } from '../../shared/services/alias-reconciler';
import { FakeAliasRegistry, FakeClaimStore } from './fakes';

const active = (slug: string, tenant_id: string): SlugClaim => ({ slug, tenant_id });
const retired = (slug: string, tenant_id: string): SlugClaim => ({
  slug,
  tenant_id,
  retired_at: '2025-01-01T00:00:00.000Z',
  quarantine_until: '2099-01-01T00:00:00.000Z',
});

function setup(claims: SlugClaim[], published: Array<[string, string]>) {
  const store = new FakeClaimStore(claims);
  const registry = new FakeAliasRegistry(published);
  return { store, registry, reconciler: new AliasReconciler(store, registry) };
}

/** The active claims as the map SSM should hold. */
function wanted(claims: readonly SlugClaim[]): Record<string, string> {
  return Object.fromEntries(
    claims
      .filter((c) => c.retired_at === undefined)
      .map((c) => [c.slug, c.tenant_id] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

describe('AliasReconciler', () => {
  const claims = [
    active('acme', 't-1'),
    active('acme-eu', 't-1'),
    active('globex', 't-2'),
    active('initech', 't-3'),
    retired('old-acme', 't-1'),
    retired('gone', 't-4'),
  ];
  const published: Array<[string, string]> = [
    ['acme', 't-1'], // correct
    ['globex', 't-9'], // wrong tenant
    ['old-acme', 't-1'], // retired in the table
    ['stray', 't-7'], // unknown to the table
  ];

  it('publishes missing, corrects wrong, removes retired and unknown aliases', async () => {
    const { reconciler, registry } = setup(claims, published);
    const report = await reconciler.reconcile();
    expect({
      ...report,
      published: [...report.published].sort(),
      removed: [...report.removed].sort(),
    }).toEqual({
      published: ['acme-eu', 'initech'],
      corrected: ['globex'],
      removed: ['old-acme', 'stray'],
      checked: 4,
    });
    expect(registry.snapshot()).toEqual(wanted(claims));
    expect(registry.calls).toMatchObject({ publish: 3, unpublish: 2 });
  });

  it('leaves a retired alias unpublished when it is not in SSM', async () => {
    const { reconciler, registry } = setup([retired('gone', 't-4')], []);
    expect(await reconciler.reconcile()).toEqual({ published: [], corrected: [], removed: [], checked: 0 });
    expect(registry.snapshot()).toEqual({});
  });

  it('is idempotent: a second run reports nothing and writes nothing', async () => {
    const { reconciler, registry } = setup(claims, published);
    await reconciler.reconcile();
    const writes = { ...registry.calls };
    const second = await reconciler.reconcile();
    expect(second).toEqual({ published: [], corrected: [], removed: [], checked: 4 });
    expect(registry.calls.publish).toBe(writes.publish);
    expect(registry.calls.unpublish).toBe(writes.unpublish);
    expect(registry.snapshot()).toEqual(wanted(claims));
  });

  it('does nothing with both sides empty', async () => {
    const { reconciler } = setup([], []);
    expect(await reconciler.reconcile()).toEqual({ published: [], corrected: [], removed: [], checked: 0 });
  });

  it('converges for any table and SSM contents, and a second run is a no-op (property)', async () => {
    const slug = fc.constantFrom('aaa', 'bbb', 'ccc', 'ddd', 'eee', 'fff', 'ggg', 'hhh');
    const tenant = fc.constantFrom('t-1', 't-2', 't-3');
    const claim = fc.record({ slug, tenant_id: tenant, retired: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(claim, { selector: (c) => c.slug, maxLength: 8 }),
        fc.uniqueArray(fc.tuple(slug, tenant), { selector: ([s]) => s, maxLength: 8 }),
        async (rawClaims, rawPublished) => {
          const table = rawClaims.map((c) =>
            c.retired ? retired(c.slug, c.tenant_id) : active(c.slug, c.tenant_id),
          );
          const { reconciler, registry } = setup(table, rawPublished);
          const before = new Map<string, string>(rawPublished);
          const want = wanted(table);
          const report = await reconciler.reconcile();
          expect(registry.snapshot()).toEqual(want);
          expect(report.checked).toBe(Object.keys(want).length);
          // Each slug is reported under the one heading that describes its repair.
          for (const s of report.published) expect(before.has(s)).toBe(false);
          for (const s of report.corrected) expect(before.get(s)).not.toBe(want[s]);
          for (const s of report.removed) expect(want[s]).toBeUndefined();
          const repaired = report.published.length + report.corrected.length + report.removed.length;
          const differing = new Set([...Object.keys(want), ...before.keys()]);
          const needed = [...differing].filter((s) => want[s] !== before.get(s)).length;
          expect(repaired).toBe(needed);
          expect(await reconciler.reconcile()).toEqual({
            published: [],
            corrected: [],
            removed: [],
            checked: Object.keys(want).length,
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
