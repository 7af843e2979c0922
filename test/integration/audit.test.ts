import { type AttributeValue, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoAuditLog } from '../../shared/adapters/dynamodb/audit-log';
import { eventItem } from '../../shared/adapters/dynamodb/audited-writer';
import type { InProcessDeliveryQueue } from '../../shared/adapters/memory/delivery-queue';
import * as app from '../../shared/app';
import { SCOPES } from '../../shared/domain/api-key';
import { hashEvent } from '../../shared/domain/audit';
import { REGISTRY_ACTIONS } from '../../shared/domain/audit-events';
import { AuditService } from '../../shared/services/audit';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { ManualClock } from '../support/clock';
import { type KeycloakStub, startKeycloakStub } from '../support/keycloak-stub';
import { startStack, type TestStack } from '../support/stack';
import { WebhookReceiver } from '../support/webhook-receiver';

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
    // One batch, not 54 round trips: the listing sees 54 events either way.
    const batch = await stack.request('POST', '/v1/audit/batch', {
      body: { events: Array.from({ length: 54 }, () => ({ tenant_id: tenant, action: 'bulk' })) },
    });
    expect(batch.status).toBe(201);
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

// ---------------------------------------------------------------------------------------------
// Issue 9: forged operator events and the tenant projection
// ---------------------------------------------------------------------------------------------

/** A tenant with a key holding every scope. */
async function tenantWithKey(extra: Record<string, unknown> = {}) {
  const slug = uniqueSlug('proj');
  const t = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug, extra) });
  expect(t.status).toBe(201);
  const k = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: t.body.tenant.id, name: 'all', scopes: SCOPES },
  });
  expect(k.status).toBe(201);
  return {
    id: t.body.tenant.id as string,
    slug,
    key: k.body.plaintext as string,
    keyId: k.body.api_key.id as string,
  };
}
const asKey = (key: string, extra: Record<string, unknown> = {}) => ({
  token: null,
  headers: { 'x-api-key': key },
  ...extra,
});

/** Every event of a tenant's chain as the operator sees it (oldest last). */
const operatorChain = (tenant: string) => listAll({ tenant_id: tenant, limit: 500 });

async function storedEvent(tenant: string, id: number): Promise<Record<string, unknown>> {
  const out = await stack.dynamodb.send(
    new GetItemCommand({
      TableName: stack.tableName,
      Key: marshall({ PK: `AUDIT#${tenant}`, SK: `EVENT#${String(id).padStart(16, '0')}` }),
      ConsistentRead: true,
    }),
  );
  return unmarshall(out.Item as Record<string, AttributeValue>);
}
const putItem = (item: Record<string, unknown>) =>
  stack.dynamodb.send(new PutItemCommand({ TableName: stack.tableName, Item: marshall(item) }));

describe('forged operator events are refused; every event says where it came from', () => {
  test("the issue's forged append is a 400 naming action on both planes, and writes nothing", async () => {
    const t = await tenantWithKey();
    const before = (await operatorChain(t.id)).length;
    const forged = { action: 'tenant.activated', actor_id: 'admin', actor_type: 'operator' };
    const tenantPlane = await stack.request('POST', `/${t.slug}/audit`, asKey(t.key, { body: forged }));
    expect(tenantPlane.status).toBe(400);
    expect(tenantPlane.body.error).toBe('reserved_action');
    expect(tenantPlane.body.message).toMatch(/^action: 'tenant\.\*'/);
    const viaQuery = await stack.request('POST', `/${t.slug}/audit?action=tenant.activated`, asKey(t.key));
    expect([viaQuery.status, viaQuery.body.error]).toEqual([400, 'reserved_action']);
    const operator = await stack.request('POST', '/v1/audit', { body: { ...forged, tenant_id: t.id } });
    expect([operator.status, operator.body.error]).toEqual([400, 'reserved_action']);
    expect(operator.body.message).toContain('action');
    for (const action of [
      'alias.added',
      'api_key.revoked',
      'entitlement.granted',
      'catalog.updated',
      'trial.started',
      'keycloak.provisioned',
      'webhook.delivered',
      'audit.exported',
      'Tenant.Cancelled',
      ' tenant.cancelled',
      'tenant\u200b.cancelled',
    ]) {
      for (const res of [
        await stack.request('POST', `/${t.slug}/audit`, asKey(t.key, { body: { action } })),
        await stack.request('POST', '/v1/audit', { body: { action } }),
      ]) {
        expect([action, res.status, res.body.error]).toEqual([action, 400, 'reserved_action']);
      }
    }
    expect(await operatorChain(t.id)).toHaveLength(before);
  });

  test('a tenant may not claim an actor type the server uses (400 naming actor_type); an operator may', async () => {
    const t = await tenantWithKey();
    for (const actor_type of ['operator', 'service', 'api_key', 'system', 'public', 'OPERATOR', ' system']) {
      const res = await stack.request(
        'POST',
        `/${t.slug}/audit`,
        asKey(t.key, { body: { action: 'invoice.sent', actor_id: 'admin', actor_type } }),
      );
      expect([actor_type, res.status, res.body.error]).toEqual([actor_type, 400, 'reserved_actor_type']);
      expect(res.body.message).toMatch(/^actor_type: /);
    }
    const user = await stack.request(
      'POST',
      `/${t.slug}/audit`,
      asKey(t.key, { body: { action: 'invoice.sent', actor_id: 'alice', actor_type: 'user' } }),
    );
    expect(user.status).toBe(201);
    const operator = await stack.request('POST', '/v1/audit', {
      body: { tenant_id: t.id, action: 'invoice.sent', actor_id: 'billing-job', actor_type: 'service' },
    });
    expect(operator.status).toBe(201);
    expect(operator.body).toMatchObject({ actor_type: 'service', origin: 'operator' });
  });

  test('origin, key_id and nonce are the server’s: a body naming them is a 400 naming the field', async () => {
    const t = await tenantWithKey();
    for (const field of ['origin', 'key_id', 'nonce']) {
      const body = { action: 'invoice.sent', [field]: field === 'key_id' ? t.keyId : 'operator' };
      const tenantRes = await stack.request('POST', `/${t.slug}/audit`, asKey(t.key, { body }));
      const opRes = await stack.request('POST', '/v1/audit', { body });
      for (const res of [tenantRes, opRes]) {
        expect([field, res.status, res.body.error]).toEqual([field, 400, 'invalid_input']);
        expect(res.body.message).toContain(field);
      }
    }
  });

  test('a tenant-appended event is stored with origin tenant and the writing key, inside the hash', async () => {
    const t = await tenantWithKey();
    const res = await stack.request(
      'POST',
      `/${t.slug}/audit`,
      asKey(t.key, {
        body: { action: 'invoice.sent', metadata: { n: 1 } },
        headers: { 'x-api-key': t.key, 'user-agent': 'sdk/2' },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      tenant_id: t.id,
      actor_id: t.keyId,
      actor_type: 'api_key',
      origin: 'tenant',
      key_id: t.keyId,
      user_agent: 'sdk/2',
    });
    expect(res.body).not.toHaveProperty('redacted');
    const stored = await storedEvent(t.id, res.body.id);
    expect(stored).toMatchObject({ origin: 'tenant', key_id: t.keyId });
    expect(stored).not.toHaveProperty('nonce');
    const verify = `/v1/audit/verify?tenant_id=${t.id}`;
    const checked = (await stack.request('GET', verify)).body.checked as number;
    for (const forged of [
      { origin: 'operator' },
      { key_id: '00000000-0000-4000-8000-000000000000' },
      { origin: undefined },
    ]) {
      await putItem(
        Object.fromEntries(Object.entries({ ...stored, ...forged }).filter(([, v]) => v !== undefined)),
      );
      const verdict = await stack.request('GET', verify);
      expect([forged, verdict.body]).toEqual([
        forged,
        { ok: false, checked: checked - 1, event_id: res.body.id, reason: 'altered event' },
      ]);
    }
    await putItem(stored);
    expect((await stack.request('GET', verify)).body).toEqual({ ok: true, checked });
  });

  test('registry changes carry the origin of their credential; tenant-plane ones the key too', async () => {
    const t = await tenantWithKey();
    const created = await stack.request(
      'POST',
      `/${t.slug}/api-keys`,
      asKey(t.key, { body: { name: 'child' } }),
    );
    expect(created.status).toBe(201);
    await stack.request('PATCH', `/v1/tenants/${t.id}`, { body: { name: 'Renamed' } });
    const chain = await operatorChain(t.id);
    const by = (action: string) => chain.filter((e) => e.action === action);
    expect(by('tenant.created')[0]).toMatchObject({ origin: 'operator', actor_id: 'admin' });
    expect(by('tenant.created')[0]).not.toHaveProperty('key_id');
    expect(by('tenant.updated')[0]).toMatchObject({ origin: 'operator' });
    expect(by('api_key.created').map((e) => [e.origin, e.key_id])).toEqual([
      ['tenant', t.keyId],
      ['operator', undefined],
    ]);
  });

  describe('filters by origin and key', () => {
    let a: Awaited<ReturnType<typeof tenantWithKey>>;
    let b: Awaited<ReturnType<typeof tenantWithKey>>;
    let second: { key: string; keyId: string };
    const appended: Event[] = [];

    beforeAll(async () => {
      a = await tenantWithKey();
      b = await tenantWithKey();
      const k = await stack.request('POST', '/v1/api-keys', {
        body: { tenant_id: a.id, name: 'second', scopes: ['audit:write'] },
      });
      second = { key: k.body.plaintext, keyId: k.body.api_key.id };
      for (let i = 0; i < 12; i++) {
        const action = i % 2 ? 'order.placed' : 'order.shipped';
        const writer = i % 3;
        const res =
          writer === 0
            ? await stack.request('POST', '/v1/audit', { body: { tenant_id: a.id, action, product: 'shop' } })
            : await stack.request(
                'POST',
                `/${a.slug}/audit`,
                asKey(writer === 1 ? a.key : second.key, { body: { action, product: 'shop' } }),
              );
        expect(res.status).toBe(201);
        appended.push(res.body);
      }
      // Another tenant's writes by its own key, with the same action: never in a's listings.
      for (let i = 0; i < 3; i++) {
        const res = await stack.request(
          'POST',
          `/${b.slug}/audit`,
          asKey(b.key, { body: { action: 'order.placed' } }),
        );
        expect(res.status).toBe(201);
      }
    });

    /** The operator's view of a's chain, filtered in memory: what each listing must return. */
    const want = async (pred: (e: Event) => boolean) => (await operatorChain(a.id)).filter(pred);

    test('operator plane: origin alone, with a tenant, with other filters; key alone and combined', async () => {
      const cases: [Record<string, string>, (e: Event) => boolean][] = [
        [{ tenant_id: a.id, origin: 'tenant' }, (e) => e.origin === 'tenant'],
        [{ tenant_id: a.id, origin: 'operator' }, (e) => e.origin === 'operator'],
        [{ tenant_id: a.id, origin: 'system' }, () => false],
        [
          { tenant_id: a.id, origin: 'tenant', action: 'order.placed' },
          (e) => e.origin === 'tenant' && e.action === 'order.placed',
        ],
        [
          { tenant_id: a.id, origin: 'operator', product: 'shop' },
          (e) => e.origin === 'operator' && e.product === 'shop',
        ],
        [{ key_id: second.keyId }, (e) => e.key_id === second.keyId],
        [
          { key_id: second.keyId, tenant_id: a.id, action: 'order.shipped' },
          (e) => e.key_id === second.keyId && e.action === 'order.shipped',
        ],
        [{ key_id: second.keyId, origin: 'operator' }, () => false],
        [{ key_id: a.keyId, tenant_id: b.id }, () => false],
      ];
      for (const [filters, pred] of cases) {
        const expected = await want(pred);
        const got = await listAll({ ...filters, limit: 2 });
        expect([filters, got.map((e) => e.id)]).toEqual([filters, expected.map((e) => e.id)]);
        if (
          filters.origin !== 'system' &&
          !(filters.key_id && (filters.origin || filters.tenant_id === b.id))
        )
          expect(expected.length).toBeGreaterThan(0);
      }
      // Across tenants: origin alone holds a's and b's tenant writes, newest first.
      const everywhere = await listAll({ origin: 'tenant', action: 'order.placed', limit: 500 });
      const tenants = new Set(everywhere.map((e) => e.tenant_id));
      expect(tenants.has(a.id) && tenants.has(b.id)).toBe(true);
      for (const e of everywhere) expect([e.origin, e.action]).toEqual(['tenant', 'order.placed']);
      const origins = await list({ origin: 'operator', limit: 5 });
      expect(origins.status).toBe(200);
      for (const e of origins.body.items) expect(e.origin).toBe('operator');
    });

    test("tenant plane: the same filters over the caller's chain only; another tenant's key matches nothing", async () => {
      const tenantList = async (query: Record<string, string>) => {
        const out: Event[] = [];
        let cursor = '';
        for (;;) {
          const qs = new URLSearchParams({ ...query, limit: '2' }).toString();
          const res = await stack.request('GET', `/${a.slug}/audit?${qs}${cursor}`, asKey(a.key));
          expect(res.status).toBe(200);
          out.push(...res.body.items);
          if (res.body.next_cursor === undefined) return out;
          cursor = `&cursor=${res.body.next_cursor}`;
        }
      };
      const ids = (events: Event[]) => events.map((e) => e.id);
      expect(ids(await tenantList({ origin: 'tenant' }))).toEqual(
        ids(await want((e) => e.origin === 'tenant')),
      );
      expect(ids(await tenantList({ origin: 'operator', action: 'order.shipped' }))).toEqual(
        ids(await want((e) => e.origin === 'operator' && e.action === 'order.shipped')),
      );
      expect(ids(await tenantList({ key_id: second.keyId }))).toEqual(
        ids(await want((e) => e.key_id === second.keyId)),
      );
      expect(await tenantList({ key_id: b.keyId })).toEqual([]);
      const bad = await stack.request('GET', `/${a.slug}/audit?origin=admin`, asKey(a.key));
      expect([bad.status, bad.body.error]).toEqual([400, 'invalid_input']);
      expect(bad.body.message).toContain('origin');
      const badKey = await stack.request('GET', `/${a.slug}/audit?key_id=nope`, asKey(a.key));
      expect(badKey.status).toBe(400);
      expect(badKey.body.message).toContain('key_id');
    });

    test('an event stored before origin existed still verifies and matches no origin filter', async () => {
      const t = await tenantWithKey();
      const ev = appended[0] as Event;
      // Rebuild a's first appended event as a legacy one on t's chain: sealed without origin.
      const head = await stack.dynamodb.send(
        new GetItemCommand({
          TableName: stack.tableName,
          Key: marshall({ PK: `AUDIT#${t.id}`, SK: 'HEAD' }),
        }),
      );
      const prev = unmarshall(head.Item as Record<string, AttributeValue>);
      const id = Number(prev.last_id) + 1;
      const unsealed = {
        tenant_id: t.id,
        action: 'legacy.thing',
        actor_id: 'admin',
        actor_type: 'operator',
        metadata: { from: ev.id },
        id,
        created_at: new Date(Math.floor(id / 1000)).toISOString(),
        prev_hash: String(prev.hash),
      };
      const legacy = { ...unsealed, hash: hashEvent(unsealed) };
      await putItem({
        ...eventItem(t.id, legacy),
      });
      await putItem({
        PK: `AUDIT#${t.id}`,
        SK: 'HEAD',
        entity: 'audit_head',
        last_id: id,
        hash: legacy.hash,
      });
      expect((await stack.request('GET', `/v1/audit/verify?tenant_id=${t.id}`)).body).toMatchObject({
        ok: true,
      });
      const all = await operatorChain(t.id);
      expect(all[0]).toEqual(legacy);
      for (const origin of ['operator', 'tenant', 'service', 'system']) {
        const got = await listAll({ tenant_id: t.id, origin });
        expect(got.map((e) => e.id)).not.toContain(id);
      }
      // It carries nothing a tenant may not see: the tenant sees it as stored.
      const seen = await stack.request('GET', `/${t.slug}/audit?action=legacy.thing`, asKey(t.key));
      expect(seen.body.items).toEqual([{ ...legacy }]);
    });
  });

  test('a filtered page reads at most its budget: short pages, a cursor, and every match exactly once', async () => {
    const t = await tenantWithKey();
    for (let i = 0; i < 30; i++) {
      const res =
        i % 5 === 0
          ? await stack.request('POST', `/${t.slug}/audit`, asKey(t.key, { body: { action: 'tick' } }))
          : await stack.request('POST', '/v1/audit', { body: { tenant_id: t.id, action: 'tick' } });
      expect(res.status).toBe(201);
    }
    const expected = (await listAll({ tenant_id: t.id, action: 'tick', limit: 500 })).filter(
      (e) => e.origin === 'tenant',
    );
    expect(expected).toHaveLength(6);
    const log = new DynamoAuditLog(stack.dynamodb, stack.tableName, new ManualClock(), { readBudget: 4 });
    const service = new AuditService(log);
    const seen: number[] = [];
    const sizes: number[] = [];
    let cursor: number | undefined;
    let reads = 0;
    for (let pages = 0; pages < 100; pages++) {
      const query = { tenant_id: t.id, action: 'tick', origin: 'tenant' as const, limit: 2 };
      const raw = await log.page({
        ...query,
        minId: 0,
        maxId: cursor === undefined ? Number.MAX_SAFE_INTEGER : cursor - 1,
      });
      expect(raw.read).toBeLessThanOrEqual(4);
      reads += raw.read;
      const page = await service.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.items.map((e) => e.id));
      sizes.push(page.items.length);
      if (page.next_cursor === undefined) break;
      expect(page.next_cursor).toBeLessThan(cursor ?? Number.MAX_SAFE_INTEGER);
      cursor = page.next_cursor;
    }
    expect(seen).toEqual(expected.map((e) => e.id));
    expect(sizes).toContain(0);
    expect(reads).toBeGreaterThanOrEqual(30);
  });
});

describe('the tenant projection: a tenant never sees what its profile hides (issue 9)', () => {
  const MARK = {
    salesOwner: 'MARK-sales-owner-5d1',
    erpOnCreate: 'MARK-erp-create-5d2',
    salesOwner2: 'MARK-sales-owner-5d3',
    erpPatched: 'MARK-erp-patch-5d4',
    erpActivated: 'MARK-erp-activate-5d5',
    reason: 'MARK-cancel-reason-5d6',
    userAgent: 'MARK-operator-console-5d7',
  };
  const OPERATOR_IP = '203.0.113.77';
  const HIDDEN = ['sales_owner', 'erp_customer_id', 'stripe_cust_id', 'cancel_reason'];
  let kc: KeycloakStub;
  let a: { id: string; slug: string; key: string; keyId: string };
  let b: string;
  const catalogKeys = [uniqueSlug('widgets'), uniqueSlug('gadgets')];

  /** An operator request from the operators' own address and console. */
  const op = (method: string, path: string, body?: unknown) =>
    stack.request(method, path, {
      ...(body === undefined ? {} : { body }),
      sourceIp: OPERATOR_IP,
      headers: { 'user-agent': MARK.userAgent },
    });
  const ok = async (res: Promise<{ status: number; body: any }>, status: number) => {
    const r = await res;
    expect([r.status, r.status === status ? 'ok' : r.body]).toEqual([status, 'ok']);
    return r.body;
  };

  beforeAll(async () => {
    kc = await startKeycloakStub();
    stack.configure({
      TENANT_REGISTRY_KEYCLOAK_URL: kc.url,
      TENANT_REGISTRY_KEYCLOAK_REALM: kc.realm,
      TENANT_REGISTRY_KEYCLOAK_CLIENT_ID: kc.clientId,
      TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET: kc.clientSecret,
      TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL: 'true',
    });
    const slug = uniqueSlug('hidden');
    const created = await ok(
      op('POST', '/v1/tenants', {
        ...tenantBody(slug),
        sales_owner: MARK.salesOwner,
        erp_customer_id: MARK.erpOnCreate,
        admin_email: 'admin@example.com',
      }),
      201,
    );
    expect(created.invite_url).toBeDefined();
    const id = created.tenant.id as string;
    const key = await ok(op('POST', '/v1/api-keys', { tenant_id: id, name: 'all', scopes: SCOPES }), 201);
    a = { id, slug, key: key.plaintext, keyId: key.api_key.id };
    const [widgets, gadgets] = catalogKeys as [string, string];
    for (const k of catalogKeys)
      await ok(
        op('PUT', `/v1/catalog/${k}`, {
          name: k,
          description: 'd',
          supports_trial: true,
          plans_required: [],
        }),
        200,
      );
    await ok(stack.request('POST', `/${slug}/catalog/trial-request?product=${widgets}`, asKey(a.key)), 201);
    await ok(stack.request('POST', `/${slug}/catalog/request?product=${gadgets}`, asKey(a.key)), 202);
    await ok(op('POST', '/v1/catalog/request', { tenant_id: id, product: gadgets }), 202);
    await ok(op('PUT', `/v1/tenants/${id}/entitlements/${gadgets}`, { config: { seats: 3 } }), 200);
    await ok(op('DELETE', `/v1/tenants/${id}/entitlements/${gadgets}`), 204);
    await ok(
      op('PATCH', `/v1/tenants/${id}`, {
        name: 'Renamed',
        sales_owner: MARK.salesOwner2,
        erp_customer_id: MARK.erpPatched,
      }),
      200,
    );
    const alias = uniqueSlug('hidden-alias');
    await ok(op('POST', `/v1/tenants/${id}/aliases`, { slug: alias }), 201);
    await ok(op('DELETE', `/v1/tenants/${id}/aliases/${alias}`), 200);
    await ok(
      op('POST', `/v1/tenants/${id}/activate`, { plan: 'pro', erp_customer_id: MARK.erpActivated }),
      200,
    );
    await ok(op('POST', `/v1/tenants/${id}/cancel`, { reason: MARK.reason, at_period_end: true }), 200);
    await ok(op('POST', `/v1/tenants/${id}/activate`), 200);
    const child = await ok(
      stack.request('POST', `/${slug}/api-keys`, asKey(a.key, { body: { name: 'child' } })),
      201,
    );
    const rolled = await ok(
      stack.request('POST', `/${slug}/api-keys/${child.api_key.id}/roll`, asKey(a.key, { body: {} })),
      201,
    );
    await ok(stack.request('DELETE', `/${slug}/api-keys/${rolled.api_key.id}`, asKey(a.key)), 204);
    await ok(stack.request('DELETE', `/${slug}/api-keys/${child.api_key.id}`, asKey(a.key)), 204);
    const opKey = await ok(op('POST', '/v1/api-keys', { tenant_id: id, name: 'ops' }), 201);
    await ok(op('DELETE', `/v1/api-keys/${opKey.api_key.id}`), 204);
    await ok(
      stack.request('POST', `/${slug}/audit`, asKey(a.key, { body: { action: 'invoice.sent' } })),
      201,
    );
    await ok(
      op('POST', '/v1/audit', { tenant_id: id, action: 'invoice.paid', metadata: { amount: 5 } }),
      201,
    );
    // Webhooks: created, changed, rotated, tested; the receiver answers 410, which disables it.
    const receiver = await new WebhookReceiver().start();
    receiver.status = 410;
    const hook = await ok(
      stack.request(
        'POST',
        `/${slug}/webhooks`,
        asKey(a.key, { body: { url: receiver.url, events: ['*'] } }),
      ),
      201,
    );
    const hookPath = `/${slug}/webhooks/${hook.webhook.id}`;
    await ok(stack.request('PATCH', hookPath, asKey(a.key, { body: { description: 'audit' } })), 200);
    await ok(stack.request('POST', `${hookPath}/rotate-secret`, asKey(a.key)), 201);
    await ok(stack.request('POST', `${hookPath}/test`, asKey(a.key)), 202);
    await receiver.next();
    await (app.deliveryQueue() as InProcessDeliveryQueue).settled();
    await ok(stack.request('DELETE', hookPath, asKey(a.key)), 204);
    await receiver.close();

    // A second tenant: Keycloak fails (the reason is the operators'), then it is retired.
    kc.faults.organization = 500;
    const failed = await ok(
      op('POST', '/v1/tenants', {
        ...tenantBody(uniqueSlug('hidden-b')),
        sales_owner: MARK.salesOwner,
        admin_email: 'x@example.com',
      }),
      201,
    );
    expect(failed.invite_url).toBeUndefined();
    b = failed.tenant.id;
    await ok(op('DELETE', `/v1/tenants/${b}`), 200);
  }, 120_000);
  afterAll(async () => {
    stack.configure({});
    await kc.close();
  });

  /** The tenant's whole audit list through GET /{tenant}/audit, following the cursor. */
  async function tenantView(): Promise<{ items: any[]; texts: string[] }> {
    const items: any[] = [];
    const texts: string[] = [];
    let cursor = '';
    for (;;) {
      const res = await stack.request('GET', `/${a.slug}/audit?limit=7${cursor}`, asKey(a.key));
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      texts.push(res.text);
      if (res.body.next_cursor === undefined) return { items, texts };
      cursor = `&cursor=${res.body.next_cursor}`;
    }
  }

  test('every registry event type was generated, through the real handlers', async () => {
    const actions = new Set([
      ...(await operatorChain(a.id)).map((e) => e.action),
      ...(await operatorChain(b)).map((e) => e.action),
      ...(await listAll({ action: 'catalog.updated', product: catalogKeys[0] as string })).map(
        (e) => e.action,
      ),
    ]);
    // The webhook.* actions are emitted by the webhook routes (issue 11's webhook half, its own
    // branch); this fixture generates them once those routes exist.
    for (const action of REGISTRY_ACTIONS.filter((a) => !a.startsWith('webhook.'))) {
      expect([action, actions.has(action)]).toEqual([action, true]);
    }
    // And nothing the registry wrote is outside its list (the products' own two aside).
    expect([...actions].filter((x) => !(REGISTRY_ACTIONS as readonly string[]).includes(x)).sort()).toEqual([
      'invoice.paid',
      'invoice.sent',
    ]);
  });

  test('GET /{tenant}/audit holds no hidden field, name or value, nor the operators’ request context', async () => {
    const { items, texts } = await tenantView();
    expect(items.length).toBeGreaterThanOrEqual(18);
    const all = texts.join('\n');
    for (const marker of [...Object.values(MARK), OPERATOR_IP])
      expect([marker, all.includes(marker)]).toEqual([marker, false]);
    for (const field of HIDDEN) expect([field, all.includes(field)]).toEqual([field, false]);
    expect(all).not.toContain('"nonce"');
    for (const e of items) {
      if (e.origin === 'tenant') {
        expect(e).not.toHaveProperty('redacted');
        // The tenant's own request id, on the registry's records of its requests.
        if (e.action !== 'invoice.sent') expect(e.metadata.request_id).toEqual(expect.any(String));
      } else if (e.action === 'webhook.disabled') {
        // The sender's own record: no request behind it, so nothing to withhold.
        expect(e).toMatchObject({ origin: 'system', actor_id: 'webhook-sender' });
        expect(e).not.toHaveProperty('source_ip');
      } else {
        expect(e).toMatchObject({ redacted: true });
        expect(e).not.toHaveProperty('source_ip');
        expect(e).not.toHaveProperty('user_agent');
        expect(e.metadata ?? {}).not.toHaveProperty('request_id');
      }
    }
    const by = (action: string) => items.filter((e) => e.action === action);
    expect(by('tenant.cancelled')[0].metadata).toEqual({ from: 'active', at_period_end: true });
    expect(by('tenant.activated').map((e) => e.metadata)).toEqual([
      { from: 'frozen' },
      { from: 'trial', plan: 'pro' },
    ]);
    expect(by('tenant.updated')[0].metadata).toEqual({ fields: ['name'] });
    expect(by('invoice.paid')[0].metadata).toEqual({ amount: 5 });
    expect(by('keycloak.provisioned')[0]).toMatchObject({
      origin: 'system',
      metadata: { organization_id: expect.any(String) },
    });
    // The tenant can still check the links between the events it sees.
    for (let i = 1; i < items.length; i++) expect(items[i - 1].prev_hash).toBe(items[i].hash);
  });

  test('tenant.retired and keycloak.provision_failed, through the same projection (their tenant has no live key)', async () => {
    const page = await app.audit().listForTenant(b, { limit: 500 });
    const text = JSON.stringify(page.items);
    expect(text).not.toContain(MARK.salesOwner);
    expect(text).not.toContain(OPERATOR_IP);
    expect(text).not.toContain(MARK.userAgent);
    const failed = page.items.find((e) => e.action === 'keycloak.provision_failed');
    expect(failed?.metadata).toEqual({});
    const operatorView = (await operatorChain(b)).find((e) => e.action === 'keycloak.provision_failed');
    expect(operatorView?.metadata).toMatchObject({ step: 'organization', http_status: 500 });
    expect(page.items.find((e) => e.action === 'tenant.retired')?.metadata).toEqual({
      from: 'trial',
      quarantine_until: expect.any(String),
    });
  });

  test('the operator plane still sees everything, and the chains still verify', async () => {
    const chain = await operatorChain(a.id);
    const text = JSON.stringify(chain);
    for (const marker of [MARK.erpActivated, MARK.reason, MARK.userAgent, OPERATOR_IP])
      expect(text).toContain(marker);
    expect(chain.find((e) => e.action === 'tenant.updated')?.metadata).toMatchObject({
      fields: ['erp_customer_id', 'name', 'sales_owner'],
    });
    // Events a tenant sees only in part carry a nonce inside their hash; its own do not, nor
    // does the sender's webhook.disabled (no request behind it: the tenant sees all of it).
    for (const e of chain)
      expect([e.action, e.origin, 'nonce' in e]).toEqual([
        e.action,
        e.origin,
        e.origin !== 'tenant' && e.action !== 'webhook.disabled',
      ]);
    for (const tenant of [a.id, b]) {
      const verdict = await stack.request('GET', `/v1/audit/verify?tenant_id=${tenant}`);
      expect(verdict.body).toMatchObject({ ok: true });
    }
  });
});
