import fc from 'fast-check';
import {
  AUDIT_FILTERS,
  auditIndexAttributes,
  auditListKey,
  auditListPlan,
  auditOriginKey,
  auditWriterKey,
} from '../../shared/adapters/dynamodb/keys';

type Filters = Partial<Record<(typeof AUDIT_FILTERS)[number], string>>;

const subsets = (event: Filters): Filters[] => {
  const present = AUDIT_FILTERS.filter((f) => event[f] !== undefined);
  return Array.from({ length: 1 << present.length }, (_, mask) =>
    Object.fromEntries(present.filter((_, bit) => mask & (1 << bit)).map((f) => [f, event[f]])),
  );
};

const eventArb = fc.record(
  {
    tenant_id: fc.uuid(),
    product: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/),
    actor_id: fc.string({ minLength: 1, maxLength: 20 }),
    action: fc.string({ minLength: 1, maxLength: 20 }),
  },
  { requiredKeys: [] },
);

describe('audit list keys', () => {
  test('an event is in the partition of every combination of its filters, and in no other index', () => {
    fc.assert(
      fc.property(eventArb, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (event, id) => {
        const attrs = auditIndexAttributes({ ...event, id });
        const combos = subsets(event);
        const indexed = combos.filter((c) => !(Object.keys(c).length === 1 && c.tenant_id !== undefined));
        // Events without origin or key (stored before they existed) are in no writer index.
        expect(Object.keys(attrs)).toHaveLength(indexed.length * 2);
        for (const combo of indexed) {
          const key = auditListKey(combo);
          expect(attrs[key.pkName]).toBe(key.pk);
          expect(attrs[key.skName]).toBe(key.sk(id));
        }
      }),
    );
  });

  test('the 16 combinations use 16 distinct places: the table for tenant only, GSI3..GSI17 for the rest', () => {
    const all = { tenant_id: 't', product: 'p', actor_id: 'u', action: 'a' };
    const places = subsets(all).map((c) => auditListKey(c).index ?? 'table');
    expect(new Set(places).size).toBe(16);
    expect(places.filter((p) => p !== 'table').sort()).toEqual(
      Array.from({ length: 15 }, (_, i) => `GSI${i + 3}`).sort(),
    );
  });

  test('a # inside free text cannot make two filter values share a partition', () => {
    const a = auditListKey({ actor_id: 'x#A=y', action: 'z' });
    const b = auditListKey({ actor_id: 'x', action: 'y#A=z' });
    expect(a.index).toBe(b.index);
    expect(a.pk).not.toBe(b.pk);
  });

  test('sort keys order like ids', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        (x, y) => {
          for (const key of [auditListKey({}), auditListKey({ tenant_id: 't' })]) {
            expect(Math.sign(x - y)).toBe(key.sk(x) < key.sk(y) ? -1 : key.sk(x) > key.sk(y) ? 1 : 0);
          }
        },
      ),
    );
  });

  const ORIGIN_VALUES = ['operator', 'service', 'tenant', 'system'] as const;

  test('who wrote an event: origin (GSI18), tenant + origin (GSI19), the writing key (GSI20)', () => {
    fc.assert(
      fc.property(
        eventArb,
        fc.constantFrom(...ORIGIN_VALUES),
        fc.option(fc.uuid(), { nil: undefined }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (event, origin, keyId, id) => {
          const attrs = auditIndexAttributes({ ...event, origin, ...(keyId ? { key_id: keyId } : {}), id });
          const without = auditIndexAttributes({ ...event, id });
          expect(attrs).toMatchObject(without);
          expect(attrs.GSI18PK).toBe(`AUDIT#O=${origin}`);
          expect(attrs.GSI19PK).toBe(
            event.tenant_id === undefined ? undefined : `AUDIT#T=${event.tenant_id}#O=${origin}`,
          );
          expect(attrs.GSI20PK).toBe(keyId === undefined ? undefined : `AUDIT#K=${keyId}`);
          for (const n of [18, 19, 20])
            if (attrs[`GSI${n}PK`] !== undefined)
              expect(attrs[`GSI${n}SK`]).toBe(String(id).padStart(16, '0'));
          const extra = 1 + (event.tenant_id === undefined ? 0 : 1) + (keyId === undefined ? 0 : 1);
          expect(Object.keys(attrs).length).toBe(Object.keys(without).length + 2 * extra);
        },
      ),
    );
  });

  test('every listing is one partition, plus a filter only where the combination has none of its own', () => {
    const t = '11111111-1111-4111-8111-111111111111';
    const k = '22222222-2222-4222-8222-222222222222';
    const cases: [Record<string, string>, string, Record<string, string>][] = [
      [{}, 'GSI3', {}],
      [{ tenant_id: t }, 'table', {}],
      [{ origin: 'operator' }, 'GSI18', {}],
      [{ tenant_id: t, origin: 'tenant' }, 'GSI19', {}],
      [{ key_id: k }, 'GSI20', {}],
      // The key's partition holds other tenants' keys' events too: the tenant is always a filter.
      [{ key_id: k, tenant_id: t }, 'GSI20', { tenant_id: t }],
      [{ key_id: k, origin: 'operator' }, 'GSI20', { origin: 'operator' }],
      [{ key_id: k, action: 'a', product: 'p' }, 'GSI20', { action: 'a', product: 'p' }],
      [{ origin: 'tenant', action: 'a' }, 'GSI10', { origin: 'tenant' }],
      [{ tenant_id: t, origin: 'tenant', actor_id: 'u' }, 'GSI7', { origin: 'tenant' }],
      [
        { tenant_id: t, origin: 'tenant', product: 'p', actor_id: 'u', action: 'a' },
        'GSI17',
        { origin: 'tenant' },
      ],
    ];
    for (const [filters, place, residual] of cases) {
      const plan = auditListPlan(filters);
      expect([filters, plan.key.index ?? 'table', plan.residual]).toEqual([filters, place, residual]);
    }
    expect(auditListPlan({ origin: 'system', tenant_id: t }).key.pk).toBe(auditOriginKey('system', t).pk);
    expect(auditListPlan({ key_id: k }).key.pk).toBe(auditWriterKey(k).pk);
  });

  test('a place reads its ids back from its sort keys', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (id) => {
        for (const key of [
          auditListKey({}),
          auditListKey({ tenant_id: 't' }),
          auditOriginKey('tenant'),
          auditWriterKey('k'),
        ]) {
          expect(key.id(key.sk(id))).toBe(id);
        }
      }),
    );
  });
});
