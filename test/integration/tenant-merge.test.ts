import * as app from '../../shared/app';
import { operations } from '../../shared/contract/spec';
import { SCOPES } from '../../shared/domain/api-key';
import { startStack, type TestResponse, type TestStack } from '../support/stack';

/**
 * Seed 003's merge rule, route by route: every tenant-plane POST in openapi.yaml takes a
 * parameter from the query string, the JSON body or both, the body winning on conflict. Each
 * route is driven through the four shapes (query only, body only, both agreeing, both
 * conflicting) and the value that took effect is read back from what the request did. A new
 * tenant-plane POST fails here until it has a probe.
 */

let stack: TestStack;
let slug: string;
let key: string;
let run = 0;

/** How to see, for one route, which value of one parameter took effect. */
interface Probe {
  readonly parameter: string;
  /** Two distinct valid values, fresh per call (some effects happen once per value, ever). */
  values(): Promise<readonly [string, string]>;
  /** The status of a request that took effect. */
  readonly status: number;
  /** The value that took effect, from the response (and what it points to). */
  effect(res: TestResponse<any>): Promise<string>;
  /** A value the schema refuses. */
  readonly invalid: string;
  /** Fills the operation's other path parameters, fresh per request (a key to roll). */
  readonly target?: () => Promise<Record<string, string>>;
  /** The parameter may be left out: sent by neither, the operation takes its default. */
  readonly optional?: boolean;
}

/** A catalog entry (trials offered, no plan required), fresh per call. */
async function product(label: string): Promise<string> {
  const k = `mg-${label}-${++run}`;
  const res = await stack.request('PUT', `/v1/catalog/${k}`, {
    body: { name: k, description: 'merge test', plans_required: [], supports_trial: true },
  });
  expect(res.status).toBeLessThan(300);
  return k;
}

const fresh = async (label: string): Promise<[string, string]> => [
  `${label}-q-${++run}`,
  `${label}-b-${run}`,
];

const PROBES: Record<string, Probe> = {
  requestTenantProduct: {
    parameter: 'product',
    values: async () => [await product('rq'), await product('rb')],
    status: 202,
    // The request is an audit event on the tenant's chain: its product is the one requested.
    effect: async (res) => {
      const listed = await tenantRequest('GET', `/${slug}/audit?action=catalog.requested&limit=500`);
      expect(listed.status).toBe(200);
      const event = listed.body.items.find((e: { id: number }) => e.id === res.body.audit_event_id);
      expect(event).toBeDefined();
      return event.product;
    },
    invalid: 'Not A Product!',
  },
  requestTenantTrial: {
    parameter: 'product',
    // A trial happens once per product and tenant: two fresh products per case.
    values: async () => [await product('tq'), await product('tb')],
    status: 201,
    effect: async (res) => res.body.product,
    invalid: 'Not A Product!',
  },
  appendTenantAuditEvent: {
    parameter: 'action',
    values: () => fresh('merge.action'),
    status: 201,
    effect: async (res) => res.body.action,
    invalid: 'a'.repeat(129),
  },
  createTenantApiKey: {
    parameter: 'name',
    values: () => fresh('merge key'),
    status: 201,
    effect: async (res) => res.body.api_key.name,
    invalid: 'n'.repeat(101),
  },
  rollTenantApiKey: {
    parameter: 'expires_at',
    // Two instants within the key lifetime, as the API writes them back (ISO 8601, UTC).
    values: async () => {
      const day = 86_400_000;
      const at = Date.now() + (10 + (++run % 100)) * day;
      return [new Date(at).toISOString(), new Date(at + day).toISOString()];
    },
    status: 201,
    effect: async (res) => res.body.api_key.expires_at,
    invalid: 'not-a-date',
    target: async () => {
      const k = await tenantRequest('POST', `/${slug}/api-keys`, { name: `roll me ${++run}` });
      expect(k.status).toBe(201);
      return { id: k.body.api_key.id };
    },
    optional: true,
  },
};

/**
 * Not probed yet (an open gap, noted in the session's closing note): the webhook POSTs of the
 * tenant plane. createTenantWebhook takes a body; the other three take none.
 */
const NOT_YET_PROBED = new Set([
  'createTenantWebhook',
  'retryTenantWebhookDelivery',
  'rotateTenantWebhookSecret',
  'testTenantWebhook',
]);
/**
 * POSTs whose one parameter is a list of objects, which a query string cannot carry: they get the
 * structured conformance test at the end of this file (the body wins; the query alone is refused).
 */
const STRUCTURED: Record<string, { readonly parameter: string; readonly value: () => unknown[] }> = {
  appendTenantAuditBatch: {
    parameter: 'events',
    value: () => [{ action: `merge.batch.${++run}` }, { action: `merge.batch.${++run}` }],
  },
};
const TENANT_POSTS = operations().filter(
  (op) =>
    op.plane === 'tenant' &&
    op.method === 'POST' &&
    !NOT_YET_PROBED.has(op.operationId) &&
    !(op.operationId in STRUCTURED),
);

/** A tenant-plane request with the key as Bearer. */
function tenantRequest(method: string, path: string, body?: unknown): Promise<TestResponse<any>> {
  return stack.request(method, path, { token: key, ...(body === undefined ? {} : { body }) });
}

const pathOf = (template: string, query?: Record<string, string>) =>
  template.replace('{tenant}', slug) + (query ? `?${new URLSearchParams(query).toString()}` : '');

beforeAll(async () => {
  stack = await startStack();
  slug = 'merge-co';
  const t = await stack.request('POST', '/v1/tenants', { body: { slug, name: 'Merge Co' } });
  expect(t.status).toBe(201);
  const k = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: t.body.tenant.id, name: 'merge', scopes: SCOPES },
  });
  expect(k.status).toBe(201);
  key = k.body.plaintext;
});

afterAll(async () => {
  await app.apiKeys().settled();
  await stack?.close();
});

test('every tenant-plane POST in openapi.yaml has a probe here', () => {
  expect(TENANT_POSTS.length).toBeGreaterThan(0);
  expect(TENANT_POSTS.map((op) => op.operationId).sort()).toEqual(Object.keys(PROBES).sort());
  const structured = operations().filter((op) => op.operationId in STRUCTURED);
  expect(structured.map((op) => [op.plane, op.method])).toEqual(
    Object.keys(STRUCTURED).map(() => ['tenant', 'POST']),
  );
});

describe.each(TENANT_POSTS.map((op) => [op.operationId, op] as const))('%s', (operationId, op) => {
  const probe = PROBES[operationId] as Probe;
  const pathFor = async (query?: Record<string, string>) => {
    let template = op.path;
    for (const [name, value] of Object.entries((await probe.target?.()) ?? {})) {
      template = template.replace(`{${name}}`, value);
    }
    return pathOf(template, query);
  };
  const send = async (query?: Record<string, string>, body?: Record<string, string>) =>
    tenantRequest('POST', await pathFor(query), body);

  test('from the query string only', async () => {
    const [q] = await probe.values();
    const res = await send({ [probe.parameter]: q });
    expect(res.status).toBe(probe.status);
    expect(await probe.effect(res)).toBe(q);
  });

  test('from the body only', async () => {
    const [, b] = await probe.values();
    const res = await send(undefined, { [probe.parameter]: b });
    expect(res.status).toBe(probe.status);
    expect(await probe.effect(res)).toBe(b);
  });

  test('from both, agreeing', async () => {
    const [q] = await probe.values();
    const res = await send({ [probe.parameter]: q }, { [probe.parameter]: q });
    expect(res.status).toBe(probe.status);
    expect(await probe.effect(res)).toBe(q);
  });

  test('from both, conflicting: the body wins', async () => {
    const [q, b] = await probe.values();
    const res = await send({ [probe.parameter]: q }, { [probe.parameter]: b });
    expect(res.status).toBe(probe.status);
    expect(await probe.effect(res)).toBe(b);
  });

  test('the body wins before validation: an invalid query value under a valid body value is ignored', async () => {
    const [, b] = await probe.values();
    const res = await send({ [probe.parameter]: probe.invalid }, { [probe.parameter]: b });
    expect(res.status).toBe(probe.status);
    expect(await probe.effect(res)).toBe(b);
  });

  test('an invalid body value is refused even over a valid query value', async () => {
    const [q] = await probe.values();
    const res = await send({ [probe.parameter]: q }, { [probe.parameter]: probe.invalid });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_input');
  });

  test('from neither: 400 naming the parameter (or the default, where it is optional)', async () => {
    const res = await send();
    if (probe.optional) {
      expect(res.status).toBe(probe.status);
      return;
    }
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_input');
    expect(res.body.message).toContain(probe.parameter);
  });

  test('a repeated query parameter is refused, not merged', async () => {
    const [q, b] = await probe.values();
    const res = await tenantRequest(
      'POST',
      `${await pathFor()}?${probe.parameter}=${encodeURIComponent(q)}&${probe.parameter}=${encodeURIComponent(b)}`,
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_input');
  });
});

describe.each(
  TENANT_POSTS.filter((op) => PROBES[op.operationId]?.parameter === 'product').map(
    (op) => [op.operationId, op] as const,
  ),
)('%s: the failure names the body value', (_, op) => {
  test('an unknown product in the body is the one reported, though the query names a real one', async () => {
    const real = await product('real');
    const missing = `mg-missing-${++run}`;
    const res = await tenantRequest('POST', pathOf(op.path, { product: real }), { product: missing });
    expect(res.status).toBe(404);
    expect(res.body.message).toContain(missing);
    expect(res.body.message).not.toContain(real);
  });
});

describe.each(
  operations()
    .filter((op) => op.operationId in STRUCTURED)
    .map((op) => [op.operationId, op] as const),
)('%s: a list of objects, from the body', (operationId, op) => {
  const { parameter, value } = STRUCTURED[operationId] as (typeof STRUCTURED)[string];
  const path = (query?: Record<string, string>) => pathOf(op.path, query);

  test('from the body only: it takes effect', async () => {
    const list = value();
    const res = await tenantRequest('POST', path(), { [parameter]: list });
    expect(res.status).toBe(201);
    expect(res.body[parameter].map((e: { action: string }) => e.action)).toEqual(
      list.map((e) => (e as { action: string }).action),
    );
  });

  test('from both: the body wins, a query value that could never be valid is ignored', async () => {
    const list = value();
    const res = await tenantRequest('POST', path({ [parameter]: 'not-a-list' }), { [parameter]: list });
    expect(res.status).toBe(201);
    expect(res.body[parameter]).toHaveLength(list.length);
  });

  test('from the query string only: 400 naming the parameter (a query string carries no objects)', async () => {
    const res = await tenantRequest('POST', path({ [parameter]: JSON.stringify(value()) }));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_input');
    expect(res.body.message).toContain(parameter);
  });

  test('from neither: 400 naming the parameter', async () => {
    const res = await tenantRequest('POST', path());
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_input');
    expect(res.body.message).toContain(parameter);
  });

  test('a repeated query parameter is refused, not merged, even under a valid body', async () => {
    const res = await tenantRequest('POST', `${path()}?${parameter}=a&${parameter}=b`, {
      [parameter]: value(),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_input');
  });
});
