import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { Webhook } from 'standardwebhooks';
import { HttpWebhookTransport } from '../../shared/adapters/http/webhook-transport';
import { InProcessDeliveryQueue } from '../../shared/adapters/memory/delivery-queue';
import * as app from '../../shared/app';
import type { RegistryEvent } from '../../shared/domain/events';
import { WebhookDispatcher, WebhookSender } from '../../shared/services/webhook-delivery';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { ManualClock } from '../support/clock';
import { startStack, type TestStack } from '../support/stack';
import { WebhookReceiver } from '../support/webhook-receiver';

let stack: TestStack;
let receiver: WebhookReceiver;
const LOCAL = { TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL: 'true' };

beforeAll(async () => {
  stack = await startStack();
  stack.configure(LOCAL);
  receiver = await new WebhookReceiver().start();
});
afterAll(async () => {
  await receiver.close();
  await stack.close();
});

interface Tenant {
  id: string;
  slug: string;
  key: string;
}

async function tenant(scopes = ['webhooks:manage', 'profile:read']): Promise<Tenant> {
  const slug = uniqueSlug('wh');
  const created = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug) });
  expect(created.status).toBe(201);
  const id = created.body.tenant.id as string;
  const key = await stack.request('POST', '/v1/api-keys', { body: { tenant_id: id, name: 'hooks', scopes } });
  expect(key.status).toBe(201);
  return { id, slug, key: key.body.plaintext };
}

const asKey = (t: Tenant) => ({ token: null, headers: { 'x-api-key': t.key } });

async function chain(tenantId: string): Promise<Record<string, unknown>[]> {
  const out = await stack.dynamodb.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :e)',
      ExpressionAttributeValues: { ':pk': { S: `AUDIT#${tenantId}` }, ':e': { S: 'EVENT#' } },
    }),
  );
  return (out.Items ?? []).map((i) => unmarshall(i));
}

const registryEvent = (
  type: string,
  tenantId?: string,
  id = `${Date.now()}${Math.floor(Math.random() * 900 + 100)}`,
): RegistryEvent => ({
  id,
  type,
  created_at: new Date().toISOString(),
  ...(tenantId ? { tenant_id: tenantId } : {}),
  sequence: 1,
  data: { id: tenantId ?? 'global', name: 'Acme', sales_owner: 'HIDDEN-OWNER' },
});

describe('operator endpoints: create shows the secret once, nothing else ever does', () => {
  let secret = '';
  let id = '';

  test('POST /v1/webhooks: 201, whsec_ secret, Location; GET and list never show it', async () => {
    const res = await stack.request('POST', '/v1/webhooks', {
      body: { url: receiver.url, events: ['*'], description: 'ops' },
    });
    expect(res.status).toBe(201);
    secret = res.body.secret;
    id = res.body.webhook.id;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(res.body.webhook).toMatchObject({ url: receiver.url, events: ['*'], status: 'enabled' });
    // Relative to the request's URL (`locationFrom`).
    expect(res.headers.location).toBe(`webhooks/${id}`);
    const got = await stack.request('GET', `/v1/webhooks/${id}`);
    expect(got.status).toBe(200);
    expect(got.text).not.toContain(secret.slice(6, 20));
    const list = await stack.request('GET', '/v1/webhooks?limit=100');
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(secret.slice(6, 20));
    expect(list.body.items.map((w: { id: string }) => w.id)).toContain(id);
  });

  test('test: a webhook.test event, signed, verified by the standardwebhooks library', async () => {
    const res = await stack.request('POST', `/v1/webhooks/${id}/test`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ endpoint_id: id, type: 'webhook.test', status: 'pending', attempts: 0 });
    const got = await receiver.next();
    expect(got.headers['webhook-id']).toBe(res.body.id);
    const event = new Webhook(secret).verify(got.body, got.headers) as RegistryEvent;
    expect(event).toMatchObject({ id: res.body.id, type: 'webhook.test', sequence: 0 });
    await (app.deliveryQueue() as InProcessDeliveryQueue).settled();
    const deliveries = await stack.request('GET', `/v1/webhooks/${id}/deliveries`);
    expect(deliveries.body.items[0]).toMatchObject({
      id: res.body.id,
      status: 'succeeded',
      attempts: 1,
      last_status_code: 204,
    });
  });

  test('rotate: two signatures for 24 h, each verifies with the library; the old secret alone still verifies', async () => {
    const res = await stack.request('POST', `/v1/webhooks/${id}/rotate-secret`);
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatch(/^whsec_/);
    expect(res.body.secret).not.toBe(secret);
    await stack.request('POST', `/v1/webhooks/${id}/test`);
    const got = await receiver.next();
    expect(got.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(() => new Webhook(res.body.secret).verify(got.body, got.headers)).not.toThrow();
    expect(() => new Webhook(secret).verify(got.body, got.headers)).not.toThrow();
    await (app.deliveryQueue() as InProcessDeliveryQueue).settled();
  });

  test('no secret in any log line or audit event', async () => {
    const lines = stack.logs.lines.join('\n');
    expect(lines).not.toContain(secret.slice(6));
    const events = JSON.stringify(await chain('global'));
    expect(events).toContain('webhook.created');
    expect(events).toContain('webhook.secret_rotated');
    expect(events).not.toContain(secret.slice(6));
    expect(stack.logs.events('webhook.attempt').length).toBeGreaterThanOrEqual(2);
    for (const line of stack.logs.events('webhook.attempt')) {
      expect(Object.keys(line)).not.toContain('signature');
      expect(JSON.stringify(line)).not.toContain('whsec_');
    }
  });

  test('validation names the field: http in AWS mode, unknown types, too long a description', async () => {
    stack.configure({});
    const http = await stack.request('POST', '/v1/webhooks', { body: { url: receiver.url, events: ['*'] } });
    expect(http.status).toBe(400);
    expect(http.body).toMatchObject({ error: 'invalid_input', message: 'url must use https' });
    stack.configure(LOCAL);
    const unknown = await stack.request('POST', '/v1/webhooks', {
      body: { url: receiver.url, events: ['tenant.exploded'] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe("events: 'tenant.exploded' is not a registry event type");
    const long = await stack.request('POST', '/v1/webhooks', {
      body: { url: receiver.url, events: ['*'], description: 'x'.repeat(501) },
    });
    expect(long.status).toBe(400);
    expect(long.body.message).toMatch(/description/);
  });

  test('PATCH and DELETE record their events; a deleted endpoint is 404', async () => {
    const patched = await stack.request('PATCH', `/v1/webhooks/${id}`, {
      body: { events: ['tenant.created'], description: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.events).toEqual(['tenant.created']);
    expect(patched.body.description).toBeUndefined();
    expect((await stack.request('DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
    const gone = await stack.request('GET', `/v1/webhooks/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toBe('not_found');
    const actions = (await chain('global')).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['webhook.updated', 'webhook.deleted']));
  });
});

describe('the tenant plane: own endpoints only, scope webhooks:manage', () => {
  let a: Tenant;
  let b: Tenant;
  let aHook = '';

  beforeAll(async () => {
    a = await tenant();
    b = await tenant();
  });

  test('a tenant creates its endpoint (tenant_id is its own), lists it, and gets the secret once', async () => {
    const res = await stack.request('POST', `/${a.slug}/webhooks`, {
      ...asKey(a),
      body: { url: receiver.url, events: 'tenant.updated,invoice.paid' },
    });
    expect(res.status).toBe(201);
    expect(res.body.webhook).toMatchObject({ tenant_id: a.id, events: ['tenant.updated', 'invoice.paid'] });
    aHook = res.body.webhook.id;
    const list = await stack.request('GET', `/${a.slug}/webhooks`, asKey(a));
    expect(list.body.items.map((w: { id: string }) => w.id)).toEqual([aHook]);
  });

  test('another tenant’s endpoint is 404, exactly like one that does not exist; its list is empty', async () => {
    for (const [method, path] of [
      ['GET', `/${b.slug}/webhooks/${aHook}`],
      ['PATCH', `/${b.slug}/webhooks/${aHook}`],
      ['DELETE', `/${b.slug}/webhooks/${aHook}`],
      ['POST', `/${b.slug}/webhooks/${aHook}/test`],
      ['POST', `/${b.slug}/webhooks/${aHook}/rotate-secret`],
      ['GET', `/${b.slug}/webhooks/${aHook}/deliveries`],
    ] as const) {
      const res = await stack.request(method, path, {
        ...asKey(b),
        ...(method === 'PATCH' ? { body: { description: 'mine now' } } : {}),
      });
      expect([method, path, res.status, res.body.error]).toEqual([method, path, 404, 'not_found']);
    }
    expect((await stack.request('GET', `/${b.slug}/webhooks`, asKey(b))).body.items).toEqual([]);
    expect((await stack.request('GET', `/v1/webhooks/${aHook}`)).body.description).toBeUndefined();
  });

  test('a key without webhooks:manage is 403 scope_missing', async () => {
    const reader = await stack.request('POST', '/v1/api-keys', {
      body: { tenant_id: a.id, name: 'reader', scopes: ['profile:read'] },
    });
    const res = await stack.request('GET', `/${a.slug}/webhooks`, {
      token: null,
      headers: { 'x-api-key': reader.body.plaintext },
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('scope_missing');
  });

  test('the dispatcher: a tenant endpoint gets its tenant’s events only, in the tenant view; the global endpoint gets all', async () => {
    const globalHook = await stack.request('POST', '/v1/webhooks', {
      body: { url: receiver.url, events: ['tenant.updated'] },
    });
    const dispatcher = app.webhookDispatcher();
    const mine = registryEvent('tenant.updated', a.id);
    const theirs = registryEvent('tenant.updated', b.id);
    const global = registryEvent('tenant.updated');
    const product = registryEvent('invoice.paid', a.id);
    const other = registryEvent('invoice.sent', a.id);
    const start = receiver.received.length;
    expect(await dispatcher.publish([mine, theirs, global, product, other])).toEqual({ failedIds: [] });
    // Redelivered by the stream: no second delivery.
    expect(await dispatcher.publish([mine, product])).toEqual({ failedIds: [] });
    await (app.deliveryQueue() as InProcessDeliveryQueue).settled();
    while (receiver.received.length < start + 5) await receiver.next();
    await (app.deliveryQueue() as InProcessDeliveryQueue).settled();
    const got = receiver.received.slice(start).map((r) => JSON.parse(r.body) as RegistryEvent);
    const byId = (e: RegistryEvent) => got.filter((g) => g.id === e.id);
    // a's endpoint: mine (tenant view) and product; the global endpoint: mine, theirs, global.
    expect(byId(mine)).toHaveLength(2);
    expect(byId(theirs)).toHaveLength(1);
    expect(byId(global)).toHaveLength(1);
    expect(byId(product)).toHaveLength(1);
    expect(byId(other)).toHaveLength(0);
    expect(got).toHaveLength(5);
    const views = byId(mine).map((e) => e.data.sales_owner);
    expect(views.sort()).toEqual(['HIDDEN-OWNER', undefined]);
    const aDeliveries = await stack.request('GET', `/${a.slug}/webhooks/${aHook}/deliveries`, asKey(a));
    expect(aDeliveries.body.items.map((d: { id: string }) => d.id).sort()).toEqual(
      [mine.id, product.id].sort(),
    );
    await stack.request('DELETE', `/v1/webhooks/${globalHook.body.webhook.id}`);
  });
});

describe('the sender: retries on a manual clock, 410, five days of failures', () => {
  let t: Tenant;
  const clock = new ManualClock();
  const queue = new InProcessDeliveryQueue({ manual: true });
  let sender: WebhookSender;
  let dispatcher: WebhookDispatcher;

  beforeAll(async () => {
    t = await tenant();
    sender = new WebhookSender(
      app.webhookStore(),
      queue,
      new HttpWebhookTransport({ allowLocal: true }),
      clock,
    );
    queue.consume((m) => sender.handle(m));
    dispatcher = new WebhookDispatcher(app.webhookStore(), queue, clock);
  });

  async function hook(): Promise<string> {
    const res = await stack.request('POST', `/${t.slug}/webhooks`, {
      ...asKey(t),
      body: { url: receiver.url, events: ['invoice.paid'] },
    });
    expect(res.status).toBe(201);
    return res.body.webhook.id;
  }

  test('500s: eight attempts on the schedule (0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), then failed and kept', async () => {
    const id = await hook();
    receiver.status = 500;
    receiver.responseBody = 'x'.repeat(3000);
    const event = registryEvent('invoice.paid', t.id);
    await dispatcher.publish([event]);
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 8; attempt++) {
      await queue.due();
      const held = queue.held.at(-1);
      if (attempt < 8) {
        expect(held?.message.not_before).toBeDefined();
        waits.push(held?.delayMs ?? -1);
        clock.advance(held?.delayMs ?? 0);
      } else expect(queue.held).toHaveLength(0);
    }
    expect(waits).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    const list = await stack.request('GET', `/${t.slug}/webhooks/${id}/deliveries`, asKey(t));
    expect(list.body.items[0]).toMatchObject({
      id: event.id,
      status: 'failed',
      attempts: 8,
      last_status_code: 500,
    });
    expect(list.body.items[0].response_body).toHaveLength(1024);
    expect(list.body.items[0].next_attempt_at).toBeUndefined();
    expect(stack.logs.events('webhook.attempt').filter((l) => l.delivery_id === event.id)).toHaveLength(8);

    // Manual retry: one more attempt, now answered.
    receiver.status = 200;
    const retried = await stack.request(
      'POST',
      `/${t.slug}/webhooks/${id}/deliveries/${event.id}/retry`,
      asKey(t),
    );
    expect(retried.status).toBe(202);
    await (app.deliveryQueue() as InProcessDeliveryQueue).settled();
    await receiver.next();
    while ((await stack.request('GET', `/v1/webhooks/${id}/deliveries`)).body.items[0].status === 'pending') {
      await (app.deliveryQueue() as InProcessDeliveryQueue).settled();
    }
    const after = await stack.request('GET', `/v1/webhooks/${id}/deliveries`);
    expect(after.body.items[0]).toMatchObject({ status: 'succeeded', attempts: 9, last_status_code: 200 });
    await stack.request('DELETE', `/v1/webhooks/${id}`);
  });

  test('410 disables the endpoint with a webhook.disabled event; later events go nowhere', async () => {
    const id = await hook();
    receiver.status = 410;
    receiver.responseBody = '';
    await dispatcher.publish([registryEvent('invoice.paid', t.id)]);
    await queue.due();
    const got = await stack.request('GET', `/v1/webhooks/${id}`);
    expect(got.body).toMatchObject({ status: 'disabled', disabled_reason: 'gone' });
    const disabled = (await chain(t.id)).filter((e) => e.action === 'webhook.disabled' && e.target_id === id);
    expect(disabled).toHaveLength(1);
    expect(disabled[0]).toMatchObject({ origin: 'system', actor_type: 'system' });
    await dispatcher.publish([registryEvent('invoice.paid', t.id)]);
    expect(queue.held).toHaveLength(0);
    const test = await stack.request('POST', `/v1/webhooks/${id}/test`);
    expect(test.status).toBe(409);
    expect(test.body.error).toBe('webhook_disabled');
    await stack.request('DELETE', `/v1/webhooks/${id}`);
  });

  test('an endpoint failing every delivery for 5 days is disabled (failing)', async () => {
    const id = await hook();
    receiver.status = 503;
    await dispatcher.publish([registryEvent('invoice.paid', t.id)]);
    await queue.due();
    queue.held.splice(0);
    expect((await stack.request('GET', `/v1/webhooks/${id}`)).body.failing_since).toBeDefined();
    clock.advance(5 * 86_400_000 - 60_000);
    await dispatcher.publish([registryEvent('invoice.paid', t.id)]);
    await queue.due();
    queue.held.splice(0);
    expect((await stack.request('GET', `/v1/webhooks/${id}`)).body.status).toBe('enabled');
    clock.advance(60_000);
    await dispatcher.publish([registryEvent('invoice.paid', t.id)]);
    await queue.due();
    expect((await stack.request('GET', `/v1/webhooks/${id}`)).body).toMatchObject({
      status: 'disabled',
      disabled_reason: 'failing',
    });
    receiver.status = 204;
  });
});
