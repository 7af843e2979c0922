import type { InProcessDeliveryQueue } from '../../shared/adapters/memory/delivery-queue';
import * as app from '../../shared/app';
import { loadSpec, operations } from '../../shared/contract/spec';
import { SCOPES } from '../../shared/domain/api-key';
import { startStack, type TestResponse, type TestStack } from '../support/stack';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * Seed 003's merge rule, route by route: every tenant-plane POST in openapi.yaml takes a
 * parameter from the query string, the JSON body or both, the body winning on conflict. Each
 * route is driven through the four shapes (query only, body only, both agreeing, both
 * conflicting) and the value that took effect is read back from what the request did. A POST
 * that takes no parameter is driven with a stray one in the same shapes: it is ignored wherever
 * it comes from (as every operation without a body ignores a body). A new tenant-plane POST
 * fails here until it has a probe.
 */

let stack: TestStack;
let receiver: WebhookReceiver;
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
  /** The operation's other required parameters, sent in the body of every request. */
  readonly others?: () => Record<string, unknown>;
  /** How a value is sent: in the body as it is returned, in the query string as JSON. @default the value */
  readonly form?: (value: string) => unknown;
  /**
   * The parameter is a list of objects, which a query string cannot carry: sent there alone it is
   * refused; beside a value in the body, the body wins as everywhere.
   */
  readonly bodyOnly?: boolean;
}

/** How to see that a POST without parameters did its work, whatever stray parameter came with it. */
interface BareProbe {
  readonly status: number;
  /** Fills the operation's path parameters, fresh per request. */
  readonly target: () => Promise<Record<string, string>>;
  /** Asserts that the answer is the operation's own work on `target`. */
  check(res: TestResponse<any>, target: Record<string, string>): void;
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
  appendTenantAuditBatch: {
    parameter: 'events',
    values: () => fresh('merge.batch'),
    form: (action) => [{ action }],
    bodyOnly: true,
    status: 201,
    effect: async (res) => {
      expect(res.body.events).toHaveLength(1);
      return res.body.events[0].action;
    },
    invalid: 'a'.repeat(129),
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
  createTenantWebhook: {
    parameter: 'events',
    // A list: comma-separated in the query string, either form in the body.
    values: async () => [`tenant.created,merge.q-${++run}`, `tenant.updated,merge.b-${run}`],
    status: 201,
    effect: async (res) => res.body.webhook.events.join(','),
    // Longer than an event type may be (128).
    invalid: `merge.${'e'.repeat(128)}`,
    others: () => ({ url: receiver.url }),
  },
};

/** A webhook endpoint of the tenant, to rotate, test or retry. */
async function webhook(): Promise<string> {
  const res = await tenantRequest('POST', `/${slug}/webhooks`, { url: receiver.url, events: ['*'] });
  expect(res.status).toBe(201);
  return res.body.webhook.id;
}

const BARE_PROBES: Record<string, BareProbe> = {
  rotateTenantWebhookSecret: {
    status: 201,
    target: async () => ({ id: await webhook() }),
    check: (res) => {
      expect(res.body.secret).toMatch(/^whsec_/);
      expect(Date.parse(res.body.previous_expires_at)).toBeGreaterThan(Date.now());
    },
  },
  testTenantWebhook: {
    status: 202,
    target: async () => ({ id: await webhook() }),
    check: (res, target) => {
      expect(res.body).toMatchObject({ endpoint_id: target.id, type: 'webhook.test', attempts: 0 });
    },
  },
  retryTenantWebhookDelivery: {
    status: 202,
    // A delivery to retry: the endpoint's test event.
    target: async () => {
      const id = await webhook();
      const sent = await tenantRequest('POST', `/${slug}/webhooks/${id}/test`);
      expect(sent.status).toBe(202);
      return { id, delivery_id: sent.body.id };
    },
    check: (res, target) => {
      expect(res.body).toMatchObject({
        id: target.delivery_id,
        endpoint_id: target.id,
        type: 'webhook.test',
        status: 'pending',
      });
    },
  },
};

const TENANT_POSTS = operations().filter((op) => op.plane === 'tenant' && op.method === 'POST');
const WITH_PARAMETERS = TENANT_POSTS.filter((op) => PROBES[op.operationId]);
const WITHOUT_PARAMETERS = TENANT_POSTS.filter((op) => BARE_PROBES[op.operationId]);

/** A tenant-plane request with the key as Bearer. */
function tenantRequest(method: string, path: string, body?: unknown): Promise<TestResponse<any>> {
  return stack.request(method, path, { token: key, ...(body === undefined ? {} : { body }) });
}

const pathOf = (template: string, query?: Record<string, string>) =>
  template.replace('{tenant}', slug) + (query ? `?${new URLSearchParams(query).toString()}` : '');

beforeAll(async () => {
  // Every probe of a webhook POST makes an endpoint: more than the default 20 per tenant.
  stack = await startStack({
    env: { TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL: 'true', TENANT_REGISTRY_WEBHOOK_MAX_ENDPOINTS: '200' },
  });
  receiver = await new WebhookReceiver().start();
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
  await (app.deliveryQueue() as InProcessDeliveryQueue).settled();
  await receiver?.close();
  await stack?.close();
});

test('every tenant-plane POST in openapi.yaml has a probe here', () => {
  expect(TENANT_POSTS.length).toBeGreaterThan(0);
  expect(TENANT_POSTS.map((op) => op.operationId).sort()).toEqual(
    [...Object.keys(PROBES), ...Object.keys(BARE_PROBES)].sort(),
  );
});

test('a POST probed as taking no parameter has no request body in openapi.yaml, and one with a probed parameter has', () => {
  const paths = loadSpec().paths;
  const bodies = new Map(
    TENANT_POSTS.map((op) => {
      const model = paths[op.path]?.[op.method.toLowerCase()] as { requestBody?: unknown } | undefined;
      return [op.operationId, model?.requestBody !== undefined];
    }),
  );
  for (const id of Object.keys(BARE_PROBES)) expect([id, bodies.get(id)]).toEqual([id, false]);
  for (const id of Object.keys(PROBES)) {
    if (!PROBES[id]?.optional) expect([id, bodies.get(id)]).toEqual([id, true]);
  }
});

describe.each(WITH_PARAMETERS.map((op) => [op.operationId, op] as const))('%s', (operationId, op) => {
  const probe = PROBES[operationId] as Probe;
  const pathFor = async (query?: Record<string, string>) => {
    let template = op.path;
    for (const [name, value] of Object.entries((await probe.target?.()) ?? {})) {
      template = template.replace(`{${name}}`, value);
    }
    return pathOf(template, query);
  };
  const inQuery = (value: string) => ({
    [probe.parameter]: probe.form ? JSON.stringify(probe.form(value)) : value,
  });
  const inBody = (value: string) => ({ [probe.parameter]: probe.form ? probe.form(value) : value });
  /** `query` and `body` each name the parameter's value there (or leave it out). */
  const send = async (query?: string, body?: string) => {
    const sent = { ...probe.others?.(), ...(body === undefined ? {} : inBody(body)) };
    return tenantRequest(
      'POST',
      await pathFor(query === undefined ? undefined : inQuery(query)),
      Object.keys(sent).length > 0 ? sent : undefined,
    );
  };

  test('from the query string only', async () => {
    const [q] = await probe.values();
    const res = await send(q);
    if (probe.bodyOnly) {
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_input');
      expect(res.body.message).toContain(probe.parameter);
      return;
    }
    expect(res.status).toBe(probe.status);
    expect(await probe.effect(res)).toBe(q);
  });

  test('from the body only', async () => {
    const [, b] = await probe.values();
    const res = await send(undefined, b);
    expect(res.status).toBe(probe.status);
    expect(await probe.effect(res)).toBe(b);
  });

  test('from both, agreeing', async () => {
    const [q] = await probe.values();
    const res = await send(q, q);
    expect(res.status).toBe(probe.status);
    expect(await probe.effect(res)).toBe(q);
  });

  test('from both, conflicting: the body wins', async () => {
    const [q, b] = await probe.values();
    const res = await send(q, b);
    expect(res.status).toBe(probe.status);
    expect(await probe.effect(res)).toBe(b);
  });

  test('the body wins before validation: an invalid query value under a valid body value is ignored', async () => {
    const [, b] = await probe.values();
    const res = await send(probe.invalid, b);
    expect(res.status).toBe(probe.status);
    expect(await probe.effect(res)).toBe(b);
  });

  test('an invalid body value is refused even over a valid query value', async () => {
    const [q] = await probe.values();
    const res = await send(q, probe.invalid);
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
      `${await pathFor()}?${new URLSearchParams([
        ...Object.entries(inQuery(q)),
        ...Object.entries(inQuery(b)),
      ]).toString()}`,
      probe.others?.(),
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_input');
    expect(res.body.message).toContain(probe.parameter);
  });
});

describe.each(WITHOUT_PARAMETERS.map((op) => [op.operationId, op] as const))(
  '%s (takes no parameter)',
  (operationId, op) => {
    const probe = BARE_PROBES[operationId] as BareProbe;
    /** A parameter of other tenant POSTs, which this one does not take. */
    const STRAY = 'expires_at';
    const [q, b] = ['2030-01-01T00:00:00.000Z', 'not-a-date'];
    const send = async (query?: Record<string, string>, body?: Record<string, string>) => {
      const target = await probe.target();
      let path = op.path;
      for (const [name, value] of Object.entries(target)) path = path.replace(`{${name}}`, value);
      const res = await tenantRequest('POST', pathOf(path, query), body);
      expect(res.status).toBe(probe.status);
      probe.check(res, target);
    };

    test('with none', () => send());
    test('a stray one in the query string only is ignored', () => send({ [STRAY]: q }));
    test('a stray one in the body only is ignored', () => send(undefined, { [STRAY]: b }));
    test('stray ones in both, agreeing, are ignored', () => send({ [STRAY]: q }, { [STRAY]: q }));
    test('stray ones in both, conflicting, are ignored', () => send({ [STRAY]: q }, { [STRAY]: b }));
  },
);

describe.each(
  WITH_PARAMETERS.filter((op) => PROBES[op.operationId]?.parameter === 'product').map(
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
