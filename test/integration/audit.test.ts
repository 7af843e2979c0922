import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { startStack, type TestStack } from '../support/stack';

interface Event {
  id: number;
  tenant_id?: string;
  product?: string;
  actor_id?: string;
  action: string;
  created_at: string;
  prev_hash: string;
  hash: string;
  [key: string]: unknown;
}

const FILTERS = ['tenant_id', 'product', 'actor_id', 'action'] as const;
type Filter = (typeof FILTERS)[number];

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

async function createTenant(): Promise<string> {
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('audit')) });
  expect(res.status).toBe(201);
  return res.body.tenant.id;
}

async function append(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Event> {
  const res = await stack.request('POST', '/v1/audit', { body, headers });
  expect(res.status).toBe(201);
  return res.body;
}

async function list(query: Record<string, string | number | undefined>) {
  const qs = new URLSearchParams(
    Object.entries(query).flatMap(([k, v]): [string, string][] => (v === undefined ? [] : [[k, String(v)]])),
  ).toString();
  return stack.request('GET', `/v1/audit${qs ? `?${qs}` : ''}`);
}

/** Every page of a listing, following next_cursor. */
async function listAll(query: Record<string, string | number>): Promise<Event[]> {
  const out: Event[] = [];
  let cursor: number | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const res = await list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    expect(res.status).toBe(200);
    out.push(...res.body.items);
    if (res.body.next_cursor === undefined) return out;
    expect(res.body.next_cursor).toBe(res.body.items.at(-1).id);
    cursor = res.body.next_cursor;
  }
  throw new Error('paging did not end');
}

describe('append', () => {
  test('201 with the stored event: id, created_at, chain link, hash, request context', async () => {
    const tenant = await createTenant();
    const event = await append(
      {
        tenant_id: tenant,
        action: 'invoice.sent',
        actor_id: 'alice',
        actor_name: 'Alice',
        actor_type: 'user',
        target_id: 'inv-1',
        target_type: 'invoice',
        target_name: 'Invoice 1',
        product: 'invoicing',
        metadata: { amount: 12.5, lines: [1, 2], nested: { deep: true } },
      },
      { 'user-agent': 'audit-test/1.0' },
    );
    expect(event).toMatchObject({
      tenant_id: tenant,
      action: 'invoice.sent',
      actor_id: 'alice',
      product: 'invoicing',
      metadata: { amount: 12.5, lines: [1, 2], nested: { deep: true } },
      source_ip: '127.0.0.1',
      user_agent: 'audit-test/1.0',
    });
    expect(Number.isSafeInteger(event.id)).toBe(true);
    expect(Math.floor(event.id / 1000)).toBe(Date.parse(event.created_at));
    expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
    // The tenant's chain opened with tenant.created; this event links to it.
    const chain = await listAll({ tenant_id: tenant });
    expect(chain.map((e) => e.action)).toEqual(['invoice.sent', 'tenant.created']);
    expect(event.prev_hash).toBe(chain[1]?.hash);
    expect(chain[0]).toEqual(event);
  });

  test('without actor_id the caller is the actor; without tenant_id the event joins the global chain', async () => {
    const event = await append({ action: 'platform.maintenance' });
    expect(event).toMatchObject({ actor_id: 'admin', actor_type: 'operator' });
    expect(event.tenant_id).toBeUndefined();
    const verdict = await stack.request('GET', '/v1/audit/verify');
    expect(verdict.status).toBe(200);
    expect(verdict.body).toMatchObject({ ok: true });
    expect(verdict.body.checked).toBeGreaterThanOrEqual(1);
  });

  test('an unknown tenant is 404; bad bodies are 400', async () => {
    const unknown = await stack.request('POST', '/v1/audit', {
      body: { action: 'x', tenant_id: '00000000-0000-4000-8000-000000000000' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('not_found');
    for (const body of [
      {},
      { action: '' },
      { action: 'x'.repeat(129) },
      { action: 'x', id: 5 },
      { action: 'x', hash: 'f'.repeat(64) },
      { action: 'x', created_at: '2024-01-01T00:00:00Z' },
      { action: 'x', source_ip: '1.2.3.4' },
      { action: 'x', product: 'Not An Identifier' },
      { action: 'x', tenant_id: 'not-a-uuid' },
      { action: 'x', metadata: [] },
      '{"action":"x","metadata":{"__proto__":1}}',
      { action: 'x\ud800' },
    ]) {
      const headers = { 'content-type': 'application/json' };
      const res = await stack.request('POST', '/v1/audit', { body, headers });
      expect([res.status, JSON.stringify(body)]).toEqual([400, JSON.stringify(body)]);
      expect(res.body.error).toBe('invalid_input');
    }
  });
});

describe('list', () => {
  const events: Event[] = [];
  let tenants: string[] = [];

  beforeAll(async () => {
    tenants = [await createTenant(), await createTenant()];
    // Every combination of two tenants (or none), two products (or none), two actors, two actions.
    for (let i = 0; i < 36; i++) {
      const tenant = i % 3 === 2 ? undefined : tenants[i % 3];
      const product = i % 4 === 3 ? undefined : ['billing', 'orders'][i % 2];
      events.push(
        await append({
          ...(tenant ? { tenant_id: tenant } : {}),
          ...(product ? { product } : {}),
          actor_id: ['carol#x', 'bob'][Math.floor(i / 2) % 2],
          action: ['key.created', 'key.revoked'][Math.floor(i / 4) % 2],
        }),
      );
    }
  });

  /** The appended events (and the tenants' creation events) that match, newest first. */
  async function expected(filters: Partial<Record<Filter, string>>): Promise<Event[]> {
    const all = [...events];
    for (const t of tenants) all.push(...(await listAll({ tenant_id: t, action: 'tenant.created' })));
    return all
      .filter((e) => FILTERS.every((f) => filters[f] === undefined || e[f] === filters[f]))
      .sort((a, b) => b.id - a.id);
  }

  test('each of the 16 filter combinations returns exactly its events, newest first, in pages', async () => {
    const values = {
      tenant_id: tenants[0] ?? '',
      product: 'billing',
      actor_id: 'carol#x',
      action: 'key.created',
    };
    for (let mask = 0; mask < 16; mask++) {
      const filters: Partial<Record<Filter, string>> = {};
      FILTERS.forEach((f, bit) => {
        if (mask & (1 << bit)) filters[f] = values[f];
      });
      const want = await expected(filters);
      const got = await listAll({ ...filters, limit: 2 });
      if (mask === 0) {
        // The unfiltered log also holds other tests' events: ours appear, in order, exactly once.
        const ids = new Set(want.map((e) => e.id));
        expect(got.filter((e) => ids.has(e.id))).toEqual(want);
        expect(new Set(got.map((e) => e.id)).size).toBe(got.length);
      } else {
        expect([mask, got]).toEqual([mask, want]);
        expect(want.length).toBeGreaterThan(0);
      }
      for (let i = 1; i < got.length; i++) expect(got[i - 1]?.id).toBeGreaterThan(got[i]?.id ?? 0);
    }
  });

  test('a value matches exactly: another actor, a prefix, or a different tenant returns nothing of ours', async () => {
    for (const query of [
      { actor_id: 'carol' },
      { actor_id: 'carol#' },
      { action: 'key' },
      { product: 'bill' },
    ]) {
      const res = await list(query);
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([]);
      expect(res.body.next_cursor).toBeUndefined();
    }
  });

  test('since (inclusive) and until (exclusive) select by created_at, with every filter combination', async () => {
    const sorted = [...events].sort((a, b) => a.id - b.id);
    const from = sorted[8]?.created_at ?? '';
    const to = sorted[27]?.created_at ?? '';
    for (let mask = 0; mask < 16; mask++) {
      const filters: Record<string, string> = {};
      const values = {
        tenant_id: tenants[1] ?? '',
        product: 'orders',
        actor_id: 'bob',
        action: 'key.revoked',
      };
      FILTERS.forEach((f, bit) => {
        if (mask & (1 << bit)) filters[f] = values[f];
      });
      const want = events
        .filter((e) => FILTERS.every((f) => filters[f] === undefined || e[f] === filters[f]))
        .filter((e) => e.created_at >= from && e.created_at < to)
        .sort((a, b) => b.id - a.id);
      const got = await listAll({ ...filters, since: from, until: to, limit: 3 });
      const ids = new Set(events.map((e) => e.id));
      expect([mask, got.filter((e) => ids.has(e.id))]).toEqual([mask, want]);
      for (const e of got) expect(e.created_at >= from && e.created_at < to).toBe(true);
    }
    // Offsets and sub-millisecond digits are honoured exactly.
    const edge = sorted[10] as Event;
    const ms = Date.parse(edge.created_at);
    const atEdge = await listAll({
      tenant_id: edge.tenant_id ?? '',
      since: edge.created_at,
      until: new Date(ms + 1).toISOString(),
    });
    if (edge.tenant_id) expect(atEdge.map((e) => e.id)).toContain(edge.id);
    const shifted = new Date(ms).toISOString().replace('Z', '000+00:00');
    const justAfter = `${new Date(ms).toISOString().slice(0, 23)}0001Z`;
    const a = await listAll({ since: shifted, until: new Date(ms + 1).toISOString() });
    expect(a.map((e) => e.id)).toContain(edge.id);
    const b = await listAll({ since: justAfter, until: new Date(ms + 1).toISOString() });
    expect(b.map((e) => e.id)).not.toContain(edge.id);
  });

  test('limit defaults to 50, pages hold at most limit events, next_cursor is absent on the last page', async () => {
    const tenant = await createTenant();
    for (let i = 0; i < 54; i++) await append({ tenant_id: tenant, action: 'bulk' });
    const first = await list({ tenant_id: tenant, action: 'bulk' });
    expect(first.body.items).toHaveLength(50);
    expect(first.body.next_cursor).toBe(first.body.items[49].id);
    const second = await list({ tenant_id: tenant, action: 'bulk', cursor: first.body.next_cursor });
    expect(second.body.items).toHaveLength(4);
    expect(second.body.next_cursor).toBeUndefined();
    const exact = await list({ tenant_id: tenant, action: 'bulk', limit: 54 });
    expect(exact.body.items).toHaveLength(54);
    expect(exact.body.next_cursor).toBeUndefined();
  });

  test('bad parameters are 400 with a message naming them', async () => {
    const cases: Record<string, string>[] = [
      { limit: '0' },
      { limit: '501' },
      { limit: 'ten' },
      { cursor: '0' },
      { cursor: '-5' },
      { cursor: '1.5' },
      { cursor: 'abc' },
      { cursor: '9007199254740993' },
      { since: '2024-02-30T00:00:00Z' },
      { since: '2024-01-01' },
      { until: '2024-01-01T25:00:00Z' },
      { until: 'yesterday' },
      { since: '2024-01-02T00:00:00Z', until: '2024-01-01T00:00:00Z' },
      { tenant_id: 'nope' },
      { product: 'UPPER' },
      { actor_id: '' },
      { action: 'x'.repeat(129) },
      { limt: '5' },
    ];
    for (const query of cases) {
      const res = await list(query);
      expect([res.status, query]).toEqual([400, query]);
      expect(res.body.error).toBe('invalid_input');
      expect(res.body.message).toContain(Object.keys(query)[0] === 'until' && query.since ? 'since' : '');
    }
    const repeated = await stack.request('GET', '/v1/audit?limit=1&limit=2');
    expect(repeated.status).toBe(400);
  });

  test('an unknown tenant is 404; a known tenant with no match is an empty page', async () => {
    const unknown = await list({ tenant_id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
    const empty = await list({ tenant_id: tenants[0] ?? '', action: 'never.happened' });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ items: [] });
  });
});

describe('verify', () => {
  test('an intact tenant chain verifies; an unknown tenant is 404; bad input 400', async () => {
    const tenant = await createTenant();
    for (let i = 0; i < 5; i++) await append({ tenant_id: tenant, action: `step.${i}` });
    const ok = await stack.request('GET', `/v1/audit/verify?tenant_id=${tenant}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true, checked: 6 });
    const unknown = await stack.request(
      'GET',
      '/v1/audit/verify?tenant_id=00000000-0000-4000-8000-000000000000',
    );
    expect(unknown.status).toBe(404);
    const bad = await stack.request('GET', '/v1/audit/verify?tenant_id=x');
    expect(bad.status).toBe(400);
    const typo = await stack.request('GET', `/v1/audit/verify?tenant=${tenant}`);
    expect(typo.status).toBe(400);
  });
});
