import fc from 'fast-check';
import { AUDIT_FILTERS, auditIndexAttributes, auditListKey } from '../../shared/adapters/dynamodb/keys';

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
});
