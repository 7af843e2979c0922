import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { verifyFile } from '../../bin/audit-verify';
import * as app from '../../shared/app';
import { ManualClock } from '../support/clock';
import { startStack, type TestStack } from '../support/stack';
import { expireByTtl } from '../support/ttl';

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
      // Both paths were exercised (about a third of the operations succeed; one random draw gave 299).
      expect(successes).toBeGreaterThan(200);
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

      // The export: every event, oldest first, the same as the listing; it verifies offline,
      // every chain from its genesis (this file's table is its own).
      const exported = await stack.request('GET', '/v1/audit/export');
      const lines = exported.text.split('\n').filter((l: string) => l !== '');
      const events = lines.slice(1).map((l: string) => JSON.parse(l) as Event);
      expect(events.map((e) => e.id)).toEqual([...everything].reverse().map((e) => e.id));
      const file = join(mkdtempSync(join(tmpdir(), 'audit-model-')), 'all.ndjson');
      writeFileSync(file, exported.text);
      expect(await verifyFile(file)).toMatchObject({
        ok: true,
        events: everything.length,
        hashes: everything.length,
      });
      for (const t of tenants.slice(0, 3)) {
        const own = await stack.request('GET', `/v1/audit/export?tenant_id=${t}&format=csv`);
        expect([t, own.text.split('\r\n').length - 2]).toEqual([t, expected.get(t)?.length ?? 0]);
      }
    }),
    // A fixed draw, so runs repeat (AUDIT_MODEL_SEED=<n> draws another).
    { numRuns: 1, endOnFailure: true, seed: Number(process.env.AUDIT_MODEL_SEED ?? 20_250_101) },
  );
}, 1_200_000);

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
}, 1_200_000);

test('with retention: random appends, retention changes, days passing and verifier runs keep exactly the events after each checkpoint, and every chain verifies from it', async () => {
  const DAY = 86_400_000;
  // Every step of the clock is a whole number of days plus 7 minutes, so an event is never
  // exactly a retention old when the verifier looks (the model and the server agree on the edge).
  const STEP = 7 * 60_000;
  const clock = new ManualClock();
  stack.configure({}, { clock });
  type RetentionOp =
    | { kind: 'append'; tenant: number }
    | { kind: 'retention'; tenant: number; days: 30 | 45 | null }
    | { kind: 'advance'; days: number }
    | { kind: 'run' };
  const retentionOp: fc.Arbitrary<RetentionOp> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), tenant: fc.nat(3) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('retention' as const),
        tenant: fc.nat(3),
        days: fc.constantFrom(30 as const, 45 as const, null),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('advance' as const), days: fc.integer({ min: 0, max: 20 }) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('run' as const) }) },
  );
  interface Chain {
    ids: number[];
    retention: number | null;
    checkpoint?: number;
  }
  const newest = async (tenant: string) =>
    Number((await stack.request('GET', `/v1/audit?tenant_id=${tenant}&limit=1`)).body.items[0].id);

  try {
    await fc.assert(
      fc.asyncProperty(fc.array(retentionOp, { minLength: 150, maxLength: 150 }), async (ops) => {
        const tenants: string[] = [];
        const model = new Map<string, Chain>();
        for (let i = 0; i < 4; i++) {
          const res = await stack.request('POST', '/v1/tenants', {
            body: { slug: `keep-${Date.now().toString(36)}-${i}`, name: 'K' },
          });
          expect(res.status).toBe(201);
          const id = res.body.tenant.id as string;
          tenants.push(id);
          model.set(id, { ids: [await newest(id)], retention: null });
        }
        const check = async () => {
          for (const t of tenants) {
            const m = model.get(t) as Chain;
            const kept = m.ids.filter((id) => id > (m.checkpoint ?? 0));
            const listed = (await listAll(`&tenant_id=${t}`)).map((e) => e.id).reverse();
            expect([t, listed]).toEqual([t, kept]);
            const verdict = await stack.request('GET', `/v1/audit/verify?tenant_id=${t}`);
            expect(verdict.body).toMatchObject({ ok: true, checked: kept.length });
            expect(verdict.body.from_checkpoint?.id).toBe(m.checkpoint);
          }
        };
        let runs = 0;
        for (const o of ops) {
          switch (o.kind) {
            case 'append': {
              const t = tenants[o.tenant] as string;
              const res = await stack.request('POST', '/v1/audit', {
                body: { tenant_id: t, action: 'model.keep' },
              });
              expect(res.status).toBe(201);
              model.get(t)?.ids.push(res.body.id);
              break;
            }
            case 'retention': {
              const t = tenants[o.tenant] as string;
              const res = await stack.request('PATCH', `/v1/tenants/${t}`, {
                body: { audit_retention_days: o.days },
              });
              expect(res.status).toBe(200);
              const m = model.get(t) as Chain;
              m.ids.push(await newest(t));
              m.retention = o.days;
              break;
            }
            case 'advance':
              clock.advance(o.days * DAY + STEP);
              break;
            case 'run': {
              const at = clock.now().getTime();
              for (const m of model.values()) {
                if (m.retention === null) continue;
                const boundary = (at - m.retention * DAY) * 1000;
                const past = m.ids.filter((id) => id < boundary).at(-1);
                if (past !== undefined && past > (m.checkpoint ?? 0)) m.checkpoint = past;
              }
              const report = await app.auditMonitor().run();
              expect(report.chains.filter((c) => !c.ok)).toEqual([]);
              // DynamoDB deletes what expired within about two days: here, a day later.
              clock.advance(DAY + STEP);
              await expireByTtl(stack.dynamodb, stack.tableName, clock.now());
              await check();
              runs++;
              break;
            }
          }
        }
        expect(runs).toBeGreaterThan(3);
        await check();
        // Something did expire, and something stayed behind a checkpoint.
        expect([...model.values()].some((m) => m.checkpoint !== undefined)).toBe(true);
      }),
      { numRuns: 1, endOnFailure: true, seed: 12 },
    );
  } finally {
    stack.configure({});
  }
}, 1_200_000);
