import fc from 'fast-check';
import { startStack, type TestStack } from '../support/stack';

/**
 * Model-based: random sequences of operations through the real API. The model is the list of
 * successful state changes per chain, in order; the audit log must hold exactly those events
 * (one per success, none for a failure), in that order, on chains that verify.
 */

interface Event {
  id: number;
  tenant_id?: string;
  action: string;
  target_id?: string;
  metadata?: Record<string, unknown>;
}

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const SLUGS = ['acme', 'acme-corp', 'a10', 'a100', 'zeta', 'zeta-one', 'mm-1', 'mm-2', 'mm-3', 'mm-4'];

type Op =
  | { kind: 'create'; slug: number }
  | { kind: 'patch'; tenant: number; value: number }
  | { kind: 'addAlias'; tenant: number; slug: number }
  | { kind: 'removeAlias'; tenant: number; slug: number }
  | { kind: 'lifecycle'; tenant: number; to: 'activate' | 'cancel' }
  | { kind: 'append'; tenant: number | 'none'; n: number }
  /** Events of several chains in one batch; one event with a reserved action refuses it whole. */
  | { kind: 'batch'; events: { tenant: number | 'none'; n: number }[]; poisoned: boolean };

const tenantRef = fc.nat(12);
const slugRef = fc.nat(SLUGS.length - 1);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('create' as const), slug: slugRef }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('patch' as const), tenant: tenantRef, value: fc.nat(3) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('addAlias' as const), tenant: tenantRef, slug: slugRef }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('removeAlias' as const), tenant: tenantRef, slug: slugRef }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('lifecycle' as const),
      tenant: tenantRef,
      to: fc.constantFrom('activate' as const, 'cancel' as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      tenant: fc.oneof(tenantRef, fc.constant('none' as const)),
      n: fc.nat(1_000_000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('batch' as const),
      events: fc.array(
        fc.record({ tenant: fc.oneof(tenantRef, fc.constant('none' as const)), n: fc.nat(1_000_000) }),
        {
          minLength: 1,
          maxLength: 12,
        },
      ),
      poisoned: fc.boolean(),
    }),
  },
);

/** Every event of a listing, following next_cursor. */
async function listAll(query: string, limit = 500): Promise<Event[]> {
  const out: Event[] = [];
  let cursor = '';
  for (;;) {
    const res = await stack.request('GET', `/v1/audit?limit=${limit}${query}${cursor}`);
    expect(res.status).toBe(200);
    out.push(...res.body.items);
    if (res.body.next_cursor === undefined) return out;
    cursor = `&cursor=${res.body.next_cursor}`;
  }
}

test('audit events equal the successful state changes exactly, chain by chain, in order', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1000, maxLength: 1000 }), async (ops) => {
      run++;
      const tenants: string[] = [];
      /** The model: per chain, the events successful operations must have written, in order. */
      const expected = new Map<string, string[]>();
      const record = (chain: string, what: string) =>
        expected.set(chain, [...(expected.get(chain) ?? []), what]);
      const pick = (i: number) =>
        tenants.length === 0 || i >= tenants.length ? UNKNOWN : (tenants[i] as string);
      let successes = 0;
      let failures = 0;

      for (const o of ops) {
        const slug = 'slug' in o ? `${SLUGS[o.slug]}-r${run}` : '';
        let res: { status: number; body: any };
        let action = '';
        let tenant = '';
        switch (o.kind) {
          case 'create':
            res = await stack.request('POST', '/v1/tenants', { body: { slug, name: `T ${slug}` } });
            action = 'tenant.created';
            tenant = res.body?.tenant?.id;
            if (res.status === 201) tenants.push(tenant);
            break;
          case 'patch':
            tenant = pick(o.tenant);
            res = await stack.request('PATCH', `/v1/tenants/${tenant}`, {
              body: { settings: { v: o.value } },
            });
            action = 'tenant.updated';
            break;
          case 'addAlias':
            tenant = pick(o.tenant);
            res = await stack.request('POST', `/v1/tenants/${tenant}/aliases`, { body: { slug } });
            action = 'alias.added';
            break;
          case 'removeAlias':
            tenant = pick(o.tenant);
            res = await stack.request('DELETE', `/v1/tenants/${tenant}/aliases/${slug}`);
            action = 'alias.removed';
            break;
          case 'lifecycle':
            tenant = pick(o.tenant);
            res = await stack.request('POST', `/v1/tenants/${tenant}/${o.to}`);
            action = o.to === 'activate' ? 'tenant.activated' : 'tenant.cancelled';
            break;
          case 'batch':
            res = { status: 0, body: undefined };
            break;
          case 'append': {
            tenant = o.tenant === 'none' ? '' : pick(o.tenant);
            action = `model.append.${o.n}`;
            res = await stack.request('POST', '/v1/audit', {
              body: { action, ...(tenant ? { tenant_id: tenant } : {}) },
            });
            break;
          }
        }
        if (o.kind === 'batch') {
          // All or nothing: an unknown tenant (404) or a reserved action (400) stores none.
          const sent = o.events.map((e, i) => ({
            chain: e.tenant === 'none' ? 'global' : pick(e.tenant),
            action: o.poisoned && i === o.events.length - 1 ? 'tenant.forged' : `model.batch.${e.n}`,
          }));
          res = await stack.request('POST', '/v1/audit/batch', {
            body: {
              events: sent.map((e) => ({
                action: e.action,
                ...(e.chain === 'global' ? {} : { tenant_id: e.chain }),
              })),
            },
          });
          expect(res.status).toBeLessThan(500);
          if (res.status === 201) {
            successes++;
            expect(o.poisoned).toBe(false);
            for (const e of sent) record(e.chain, e.action);
          } else {
            failures++;
            expect([res.status, res.body.error]).toEqual(
              o.poisoned ? [400, 'reserved_action'] : [404, 'not_found'],
            );
            if (!o.poisoned) expect(sent.some((e) => e.chain === UNKNOWN)).toBe(true);
          }
          continue;
        }
        expect(res.status).toBeLessThan(500);
        if (res.status < 300) {
          successes++;
          record(tenant || 'global', action);
        } else failures++;
      }
      // Both paths were exercised.
      expect(successes).toBeGreaterThan(300);
      expect(failures).toBeGreaterThan(50);

      for (const t of tenants) {
        const chain = (await listAll(`&tenant_id=${t}`)).reverse();
        expect([t, chain.map((e) => e.action)]).toEqual([t, expected.get(t) ?? []]);
        const verdict = await stack.request('GET', `/v1/audit/verify?tenant_id=${t}`);
        expect(verdict.body).toEqual({ ok: true, checked: chain.length });
      }
      const everything = await listAll('', 97);
      const ours = everything.filter((e) =>
        e.tenant_id ? tenants.includes(e.tenant_id) : e.action.startsWith('model.'),
      );
      const total = [...expected.values()].reduce((n, list) => n + list.length, 0);
      expect(ours).toHaveLength(total);
      expect(new Set(everything.map((e) => e.id)).size).toBe(everything.length);
      const global = everything.filter((e) => e.tenant_id === undefined).reverse();
      expect(global.map((e) => e.action).filter((a) => a.startsWith('model.'))).toEqual(
        (expected.get('global') ?? []).slice(-global.length),
      );
      const verdict = await stack.request('GET', '/v1/audit/verify');
      expect(verdict.body).toMatchObject({ ok: true });
    }),
    { numRuns: 1, endOnFailure: true },
  );
}, 600_000);

test('paging with page sizes 1..100 under concurrent appends returns every existing event exactly once', async () => {
  const created = await stack.request('POST', '/v1/tenants', {
    body: { slug: 'pager-tenant', name: 'Pager' },
  });
  expect(created.status).toBe(201);
  const tenant = created.body.tenant.id as string;
  const body = { tenant_id: tenant, product: 'paging', actor_id: 'pager', action: 'page.test' };
  for (let i = 0; i < 100; i++) {
    const res = await stack.request('POST', '/v1/audit', { body: { ...body, target_id: `seed-${i}` } });
    expect(res.status).toBe(201);
  }
  // One listing per kind of partition: the chain (table), three filter GSIs, tenant + origin
  // (GSI19), and a filtered one (the product's partition, filtered on origin).
  const filters = [
    `&tenant_id=${tenant}`,
    '&product=paging',
    `&tenant_id=${tenant}&action=page.test`,
    '&actor_id=pager&action=page.test',
    `&tenant_id=${tenant}&origin=operator`,
    '&product=paging&origin=operator',
  ];
  for (let size = 1; size <= 100; size++) {
    const filter = filters[size % filters.length] as string;
    const before = new Set((await listAll(filter)).map((e) => e.id));
    let appending = true;
    let appended = 0;
    const appender = (async () => {
      // A handful per round, racing the first pages, so the partitions stay a test-sized length.
      while (appending && appended < 5) {
        const res = await stack.request('POST', '/v1/audit', {
          body: { ...body, target_id: `during-${size}` },
        });
        expect(res.status).toBe(201);
        appended++;
      }
    })();
    const seen: number[] = [];
    let cursor = '';
    for (;;) {
      const res = await stack.request('GET', `/v1/audit?limit=${size}${filter}${cursor}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(size);
      seen.push(...res.body.items.map((e: Event) => e.id));
      if (res.body.next_cursor === undefined) break;
      cursor = `&cursor=${res.body.next_cursor}`;
    }
    appending = false;
    await appender;
    expect(appended).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(seen.length);
    const missing = [...before].filter((id) => !seen.includes(id));
    expect([size, filter, missing]).toEqual([size, filter, []]);
    for (let i = 1; i < seen.length; i++) expect(seen[i - 1]).toBeGreaterThan(seen[i] ?? 0);
  }
}, 600_000);
