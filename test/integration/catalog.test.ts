import * as app from '../../shared/app';
import { trialEntitlement } from '../../shared/domain/catalog';
import { ConcurrentUpdateError } from '../../shared/domain/errors';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { inspect } from '../support/inspect';
import { fileStack } from '../support/stack';

/** Catalog administration, entitlements, product requests and trials, over the real handlers. */

let now = Date.parse('2030-03-01T10:00:00.000Z');
const clock = { now: () => new Date(now) };
const DAY = 86_400_000;

const stack = fileStack(clock);

let productCounter = 0;
const productKey = (base = 'prod') => `${base}-${Date.now().toString(36)}-${++productCounter}`;

const ORDERS_PATHS = {
  '/orders': {
    get: {
      operationId: 'listOrders',
      parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', maximum: 1e3 } }],
      responses: {
        '200': {
          description: 'Orders',
          content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/x' } } } },
        },
        default: { description: 'Error' },
      },
      'x-origin': { deep: [1, 2.5, null, true, 'ü', { a: { b: { c: { d: { e: { f: { g: {} } } } } } } }] },
    },
  },
  '/orders/{orderId}': {
    parameters: [{ name: 'orderId', in: 'path', required: true, schema: { type: 'string' } }],
    delete: { responses: { '204': { description: 'Gone' }, '4XX': { $ref: '#/components/responses/E' } } },
  },
  'x-component': 'orders',
};

async function putEntry(key: string, extra: Record<string, unknown> = {}) {
  const res = await stack.request('PUT', `/v1/catalog/${key}`, {
    body: { name: `Product ${key}`, description: 'd', plans_required: [], supports_trial: true, ...extra },
  });
  expect(res.status).toBe(200);
  return res.body;
}

async function createTenant(extra: Record<string, unknown> = {}) {
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug(), extra) });
  expect(res.status).toBe(201);
  return res.body.tenant as { id: string; slug: string; plan: string };
}

const entitlements = async (tenantId: string) => {
  const res = await stack.request('GET', `/v1/entitlements?tenant_id=${tenantId}`);
  expect(res.status).toBe(200);
  return res.body.items as { product: string; enabled: boolean; trial: boolean; expires_at: string | null }[];
};

const trial = (tenant_id: string, product: string) =>
  stack.request('POST', '/v1/catalog/trial-request', { body: { tenant_id, product } });

describe('catalog', () => {
  test('an entry is created, listed and replaced; its paths come back exactly as sent', async () => {
    const key = productKey('orders');
    const created = await putEntry(key, { paths: ORDERS_PATHS, demo_url: 'https://demo.example.com/o' });
    expect(created).toMatchObject({ key, supports_trial: true, demo_url: 'https://demo.example.com/o' });
    expect(JSON.stringify(created.paths)).toBe(JSON.stringify(ORDERS_PATHS));
    expect(created.created_at).toBe(created.updated_at);

    const listed = await stack.request('GET', '/v1/catalog');
    const entry = listed.body.items.find((e: { key: string }) => e.key === key);
    expect(JSON.stringify(entry.paths)).toBe(JSON.stringify(ORDERS_PATHS));

    now += 1000;
    const replaced = await putEntry(key, { name: 'Orders v2', plans_required: ['business'] });
    expect(replaced).toMatchObject({ key, name: 'Orders v2', plans_required: ['business'] });
    expect(replaced.created_at).toBe(created.created_at);
    expect(replaced.updated_at).not.toBe(created.updated_at);
    expect(replaced).not.toHaveProperty('paths');
    expect(replaced).not.toHaveProperty('demo_url');

    const events = (await inspect(stack).auditEvents('global')).filter((e) => e.target_id === key);
    expect(events.map((e) => [e.action, e.metadata?.created])).toEqual([
      ['catalog.updated', true],
      ['catalog.updated', false],
    ]);
    expect((await inspect(stack).verifyAuditChain('global')).ok).toBe(true);
  });

  test('the literal routes request and trial-request can never be product keys', async () => {
    for (const key of ['request', 'trial-request']) {
      const res = await stack.request('PUT', `/v1/catalog/${key}`, {
        body: { name: 'x', description: '', plans_required: [], supports_trial: false },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('route');
    }
    const bad = await stack.request('PUT', '/v1/catalog/Bad_Key', {
      body: { name: 'x', description: '', plans_required: [], supports_trial: false },
    });
    expect(bad.status).toBe(400);
  });

  test.each([
    [
      'a path without a leading slash',
      { orders: { get: { responses: { '200': { description: 'ok' } } } } },
      '"/"',
    ],
    ['an operation without responses', { '/o': { get: { summary: 'x' } } }, 'responses'],
    ['an empty responses object', { '/o': { get: { responses: {} } } }, 'at least one response'],
    ['a response without description', { '/o': { get: { responses: { '200': {} } } } }, 'description'],
    ['a bad status key', { '/o': { get: { responses: { '299x': { description: 'x' } } } } }, 'status code'],
    ['an unknown Path Item field', { '/o': { fetch: { responses: {} } } }, 'unknown Path Item field'],
    ['an unknown Operation field', { '/o': { get: { response: {} } } }, 'unknown Operation field'],
    ['a path item that is not an object', { '/o': [] }, 'Path Item'],
    ['a Path Item without operations', { '/o': { summary: 'nothing' } }, 'at least one operation'],
    [
      'an optional path parameter',
      {
        '/o/{id}': {
          get: {
            parameters: [{ name: 'id', in: 'path', schema: {} }],
            responses: { '200': { description: 'x' } },
          },
        },
      },
      'required',
    ],
    [
      'a parameter in a bad place',
      {
        '/o': {
          get: {
            parameters: [{ name: 'a', in: 'body', schema: {} }],
            responses: { '200': { description: 'x' } },
          },
        },
      },
      'in must be',
    ],
    [
      'a repeated operationId',
      {
        '/a': { get: { operationId: 'same', responses: { '200': { description: 'x' } } } },
        '/b': { get: { operationId: 'same', responses: { '200': { description: 'x' } } } },
      },
      'used twice',
    ],
    [
      'two equal templates',
      {
        '/a/{x}': { get: { responses: { '200': { description: 'x' } } } },
        '/a/{y}': { put: { responses: { '200': { description: 'x' } } } },
      },
      'same template',
    ],
    [
      'a path with a query',
      { '/o?x=1': { get: { responses: { '200': { description: 'x' } } } } },
      'path template',
    ],
    [
      'a tenant-plane path',
      { '/swagger': { get: { responses: { '200': { description: 'x' } } } } },
      'tenant plane',
    ],
    ['a non-object', [], 'paths object'],
  ])('paths with %s is a 400', async (_, paths, words) => {
    const key = productKey('bad');
    const res = await stack.request('PUT', `/v1/catalog/${key}`, {
      body: { name: 'x', description: '', plans_required: [], supports_trial: false, paths },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_input');
    expect(res.body.message).toContain(words);
    expect(
      (await stack.request('GET', '/v1/catalog')).body.items.some((e: { key: string }) => e.key === key),
    ).toBe(false);
  });

  test('required fields, closed bodies and http(s) demo URLs', async () => {
    const key = productKey();
    const base = { name: 'x', description: '', plans_required: [], supports_trial: false };
    for (const body of [
      { description: '', plans_required: [], supports_trial: false },
      { ...base, supports_trial: 'yes' },
      { ...base, demo_url: 'javascript:alert(1)' },
      { ...base, plans_required: ['Business'] },
      { ...base, key: 'other' },
    ]) {
      const res = await stack.request('PUT', `/v1/catalog/${key}`, { body });
      expect(res.status).toBe(400);
    }
  });
});

describe('entitlements', () => {
  test('grant, list, change, revoke; an unknown tenant, product or entitlement is a 404', async () => {
    const tenant = await createTenant();
    const key = productKey();
    await putEntry(key);
    expect(await entitlements(tenant.id)).toEqual([]);

    const path = `/v1/tenants/${tenant.id}/entitlements/${key}`;
    const granted = await stack.request('PUT', path, { body: { config: { seats: 5, nested: { a: [1] } } } });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({
      tenant_id: tenant.id,
      product: key,
      enabled: true,
      trial: false,
      expires_at: null,
      config: { seats: 5, nested: { a: [1] } },
    });

    const bare = await stack.request('PUT', path);
    expect(bare.status).toBe(200);
    expect(bare.body.config).toEqual({ seats: 5, nested: { a: [1] } });

    expect(await entitlements(tenant.id)).toMatchObject([{ product: key, enabled: true }]);

    expect((await stack.request('DELETE', path)).status).toBe(204);
    expect(await entitlements(tenant.id)).toMatchObject([{ product: key, enabled: false }]);
    expect((await stack.request('DELETE', path)).status).toBe(204);

    const actions = (await inspect(stack).auditEvents(tenant.id)).map((e) => e.action);
    expect(actions.filter((a) => a.startsWith('entitlement.'))).toEqual([
      'entitlement.granted',
      'entitlement.granted',
      'entitlement.revoked',
    ]);

    const regranted = await stack.request('PUT', path, { body: {} });
    expect(regranted.body.enabled).toBe(true);

    const unknownProduct = await stack.request(
      'PUT',
      `/v1/tenants/${tenant.id}/entitlements/${productKey('nope')}`,
    );
    expect(unknownProduct.status).toBe(404);
    expect(unknownProduct.body.message).toContain('catalog');
    const unknownTenant = await stack.request(
      'PUT',
      `/v1/tenants/${crypto.randomUUID()}/entitlements/${key}`,
    );
    expect(unknownTenant.status).toBe(404);
    const unknownEntitlement = await stack.request(
      'DELETE',
      `/v1/tenants/${tenant.id}/entitlements/${productKey('none')}`,
    );
    expect(unknownEntitlement.status).toBe(404);
    expect((await stack.request('GET', `/v1/entitlements?tenant_id=${crypto.randomUUID()}`)).status).toBe(
      404,
    );
    expect((await stack.request('GET', '/v1/entitlements')).status).toBe(400);
    expect((await stack.request('GET', '/v1/entitlements?tenant_id=nope')).status).toBe(400);
  });

  test('an expired entitlement reads as not enabled; an expiry in the past is refused', async () => {
    const tenant = await createTenant();
    const key = productKey();
    await putEntry(key);
    const path = `/v1/tenants/${tenant.id}/entitlements/${key}`;
    const past = await stack.request('PUT', path, {
      body: { expires_at: new Date(now - 1000).toISOString() },
    });
    expect(past.status).toBe(400);
    const bad = await stack.request('PUT', path, { body: { expires_at: '2031-02-30T00:00:00Z' } });
    expect(bad.status).toBe(400);
    for (const body of [{ config: null }, { config: [] }, { expires_at: 'tomorrow' }, { enabled: false }]) {
      expect((await stack.request('PUT', path, { body })).status).toBe(400);
    }

    const expires = new Date(now + 2 * DAY).toISOString();
    const res = await stack.request('PUT', path, { body: { expires_at: expires } });
    expect(res.body).toMatchObject({ enabled: true, expires_at: expires });
    now += 2 * DAY - 1;
    expect(await entitlements(tenant.id)).toMatchObject([{ enabled: true }]);
    now += 1;
    expect(await entitlements(tenant.id)).toMatchObject([{ enabled: false, expires_at: expires }]);

    const cleared = await stack.request('PUT', path, { body: { expires_at: null } });
    expect(cleared.body).toMatchObject({ enabled: true, expires_at: null });
  });

  test('an archived tenant cannot be granted products', async () => {
    const tenant = await createTenant();
    const key = productKey();
    await putEntry(key);
    expect((await stack.request('DELETE', `/v1/tenants/${tenant.id}`)).status).toBe(200);
    const res = await stack.request('PUT', `/v1/tenants/${tenant.id}/entitlements/${key}`);
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('tenant_inactive');
  });
});

describe('product requests', () => {
  test('202 with the id of a catalog.requested event on the tenant chain', async () => {
    const tenant = await createTenant();
    const key = productKey();
    await putEntry(key, { plans_required: ['business'] });
    const res = await stack.request('POST', '/v1/catalog/request', {
      body: { tenant_id: tenant.id, product: key },
    });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('accepted');
    const events = await inspect(stack).auditEvents(tenant.id);
    const event = events.find((e) => e.id === res.body.audit_event_id);
    expect(event).toMatchObject({
      action: 'catalog.requested',
      tenant_id: tenant.id,
      product: key,
      metadata: { plan: 'starter', plan_eligible: false },
    });
    expect((await inspect(stack).verifyAuditChain(tenant.id)).ok).toBe(true);
  });

  test('unknown product or tenant is a 404, an archived tenant a 409, bad input a 400', async () => {
    const tenant = await createTenant();
    const key = productKey();
    await putEntry(key);
    const ask = (body: unknown) => stack.request('POST', '/v1/catalog/request', { body });
    expect((await ask({ tenant_id: tenant.id, product: productKey('nope') })).status).toBe(404);
    expect((await ask({ tenant_id: crypto.randomUUID(), product: key })).status).toBe(404);
    expect((await ask({ tenant_id: tenant.id })).status).toBe(400);
    expect((await ask({ tenant_id: tenant.id, product: key, note: 'x' })).status).toBe(400);
    await stack.request('DELETE', `/v1/tenants/${tenant.id}`);
    const archived = await ask({ tenant_id: tenant.id, product: key });
    expect(archived.status).toBe(409);
    expect(archived.body.error).toBe('tenant_inactive');
  });
});

describe('trials', () => {
  test('201 with a 14-day trial entitlement, once per product per tenant, ever', async () => {
    const tenant = await createTenant();
    const key = productKey();
    await putEntry(key);
    const res = await trial(tenant.id, key);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      tenant_id: tenant.id,
      product: key,
      trial: true,
      enabled: true,
      config: {},
    });
    expect(Date.parse(res.body.expires_at) - now).toBe(14 * DAY);

    const again = await trial(tenant.id, key);
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('trial_used');

    now += 14 * DAY;
    expect(await entitlements(tenant.id)).toMatchObject([{ product: key, trial: true, enabled: false }]);
    // Expired, but still the one trial this tenant ever gets.
    expect((await trial(tenant.id, key)).body.error).toBe('trial_used');

    const events = (await inspect(stack).auditEvents(tenant.id)).filter((e) => e.action === 'trial.started');
    expect(events).toHaveLength(1);
  });

  test('the product must exist and offer trials, and the tenant must be on a required plan', async () => {
    const tenant = await createTenant({ plan: 'starter' });
    const noTrial = productKey();
    await putEntry(noTrial, { supports_trial: false });
    const refused = await trial(tenant.id, noTrial);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('trial_unavailable');

    const premium = productKey();
    await putEntry(premium, { plans_required: ['business', 'enterprise'] });
    const plan = await trial(tenant.id, premium);
    expect(plan.status).toBe(409);
    expect(plan.body.error).toBe('plan_not_eligible');
    expect(plan.body.message).toContain('business, enterprise');
    expect(plan.body.message).toContain("'starter'");

    const business = await createTenant({ plan: 'business' });
    expect((await trial(business.id, premium)).status).toBe(201);

    expect((await trial(tenant.id, productKey('nope'))).status).toBe(404);
    expect((await trial(crypto.randomUUID(), premium)).status).toBe(404);
    expect(await entitlements(tenant.id)).toEqual([]);
  });

  test('a frozen or archived tenant cannot start a trial', async () => {
    const key = productKey();
    await putEntry(key);
    const frozen = await createTenant();
    await stack.request('POST', `/v1/tenants/${frozen.id}/cancel`, { body: {} });
    const archived = await createTenant();
    await stack.request('DELETE', `/v1/tenants/${archived.id}`);
    for (const t of [frozen, archived]) {
      const res = await trial(t.id, key);
      expect(res.status).toBe(409);
      expect(res.body.error).toBe('tenant_inactive');
    }
    // A refused trial is not used up.
    await stack.request('POST', `/v1/tenants/${frozen.id}/activate`, { body: {} });
    expect((await trial(frozen.id, key)).status).toBe(201);
  });

  test('a live entitlement is never cut down to a trial', async () => {
    const tenant = await createTenant();
    const key = productKey();
    await putEntry(key);
    await stack.request('PUT', `/v1/tenants/${tenant.id}/entitlements/${key}`);
    const res = await trial(tenant.id, key);
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('already_entitled');
    expect(await entitlements(tenant.id)).toMatchObject([{ trial: false, enabled: true, expires_at: null }]);
  });

  test('the commit re-checks the tenant: a trial decided on a stale plan or status never lands', async () => {
    const tenant = await createTenant({ plan: 'business' });
    const key = productKey();
    await putEntry(key);
    const start = (plan: string) =>
      app.catalogStore().startTrial(
        trialEntitlement(tenant.id, key, undefined, clock.now()),
        { plan },
        {
          tenant_id: tenant.id,
          action: 'trial.started',
        },
      );
    await expect(start('starter')).rejects.toBeInstanceOf(ConcurrentUpdateError);
    await stack.request('POST', `/v1/tenants/${tenant.id}/cancel`, { body: {} });
    await expect(start('business')).rejects.toBeInstanceOf(ConcurrentUpdateError);
    expect(await entitlements(tenant.id)).toEqual([]);
    // Nothing of the refused attempts remains: the trial is still there to take.
    await stack.request('POST', `/v1/tenants/${tenant.id}/activate`, { body: {} });
    expect((await trial(tenant.id, key)).status).toBe(201);
  });

  test('10 parallel trial requests: exactly one 201, the rest 409, one event', async () => {
    const tenant = await createTenant();
    const key = productKey();
    await putEntry(key);
    const results = await Promise.all(Array.from({ length: 10 }, () => trial(tenant.id, key)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error === 'trial_used')).toBe(true);
    const events = (await inspect(stack).auditEvents(tenant.id)).filter((e) => e.action === 'trial.started');
    expect(events).toHaveLength(1);
    expect(await entitlements(tenant.id)).toHaveLength(1);
    expect((await inspect(stack).verifyAuditChain(tenant.id)).ok).toBe(true);
  });
});
