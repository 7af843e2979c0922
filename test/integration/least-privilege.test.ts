import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import fc from 'fast-check';
import { handler as reconcileAliases } from '../../bin/jobs/reconcile-aliases';
import { rotate } from '../../bin/jobs/rotate-admin-token';
import { handler as sendWebhooks } from '../../bin/jobs/send-webhooks';
import { handler as verifyAudit } from '../../bin/jobs/verify-audit';
import { EventBridgeStandIn } from '../../bin/local/eventbridge-stand-in';
import { JOB_ACCESS } from '../../lib/permissions';
import * as app from '../../shared/app';
import { eventsConfig } from '../../shared/config/env';
import { SCOPES } from '../../shared/domain/api-key';
import { eventBridgeClient, eventSinks, resetEventSinks } from '../../shared/event-sinks';
import { EventStreamConsumer } from '../../shared/services/event-stream';
import { ENV, KEYCLOAK_SECRET_ARN, synthesize, VARIANTS, type Variant } from '../infra/support/synth';
import { render, resources, statementsOf } from '../infra/support/template';
import { ManualClock } from '../support/clock';
import { fuzzContext, operationModels, validRequests } from '../support/fuzz';
import { startKeycloakStub } from '../support/keycloak-stub';
import { ALLOWANCES, type Grant, roleProblems } from '../support/least-privilege';
import { SdkRecorder } from '../support/sdk-recorder';
import { SqsStandIn } from '../support/sqs-stand-in';
import { type RequestOptions, startStack, type TestResponse, type TestStack } from '../support/stack';

/**
 * Least privilege, proved (issue 10 section 3; docs/permissions.md): every operation of
 * openapi.yaml, the alias reconciler and the admin-token rotation run through their real code
 * over DynamoDB Local and the stand-ins, happy paths and the main error paths, while a
 * middleware on the SDK clients records what each one sends (test/support/sdk-recorder.ts,
 * which also translates commands into the IAM requests AWS authorizes). Then each function's
 * role in the synthesized template (synthesized once, without bundling) must allow every
 * request its code made, and hold nothing the code was never seen to use, but for the
 * allowances in test/support/least-privilege.ts, each with its reason.
 *
 * Every request runs in a cold container (the app rebuilt, caches empty), as the first request
 * a Lambda container serves: a warm one makes a subset of those calls (the admin token, key
 * verifications and slugs come from caches).
 */

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

const recorder = new SdkRecorder();
const clock = new ManualClock();
let stack: TestStack;
const reached = new Map<string, Set<number>>();
/** The webhook endpoint the jobs' drive subscribes (its deliveries are the sender's to send). */
let endpointId = '';

/** A cold container: the app rebuilt from the environment, its fresh clients recorded. */
function coldContainer(): void {
  app.resetApp({ clock });
  recorder.attach(app.dynamodb(), 'dynamodb');
  recorder.attach(app.sqs(), 'sqs');
  recorder.attach(app.ssm(), 'ssm');
  recorder.attach(app.secretsManager(), 'secretsmanager');
}

/** One request, attributed to the operation the router sends it to, in a cold container. */
function call<T = any>(method: string, url: string, options: RequestOptions = {}): Promise<TestResponse<T>> {
  const found = stack.router.match(method, new URL(url, 'http://local').pathname);
  return callAs(found?.operation.operationId ?? '(no route)', method, url, options);
}

/** One request, attributed to `fn` (an operation in another mode has a label of its own). */
async function callAs<T = any>(
  fn: string,
  method: string,
  url: string,
  options: RequestOptions = {},
): Promise<TestResponse<T>> {
  coldContainer();
  const res = await recorder.within(fn, async () => {
    const answer = await stack.request<T>(method, url, options);
    // Work the request left running (the key's last_used_at) belongs to it too.
    await app.apiKeys().settled();
    return answer;
  });
  const statuses = reached.get(fn) ?? new Set<number>();
  statuses.add(res.status);
  reached.set(fn, statuses);
  return res;
}

async function expectStatus<T = any>(
  status: number,
  method: string,
  url: string,
  options: RequestOptions = {},
): Promise<TestResponse<T>> {
  const res = await call<T>(method, url, options);
  expect([method, url, res.status, res.status >= 400 ? res.body : 'ok']).toEqual([
    method,
    url,
    status,
    status >= 400 ? expect.objectContaining({ error: expect.any(String) }) : 'ok',
  ]);
  return res;
}

/** A tenant-plane request with a key in X-Api-Key (no admin token). */
const as = (key: string, rest: RequestOptions = {}): RequestOptions => ({
  ...rest,
  token: null,
  headers: { 'x-api-key': key, ...rest.headers },
});

const MISSING = '00000000-0000-4000-8000-00000000dead';
let n = 0;
const slug = (base: string) => `${base}-${(++n).toString(36)}-${randomUUID().slice(0, 6)}`;

async function tenant(base: string, extra: Record<string, unknown> = {}) {
  const s = slug(base);
  const res = await expectStatus(201, 'POST', '/v1/tenants', { body: { slug: s, name: `T ${s}`, ...extra } });
  return { id: res.body.tenant.id as string, slug: s, etag: res.headers.etag };
}

async function key(tenantId: string, scopes: readonly string[] = SCOPES) {
  const res = await expectStatus(201, 'POST', '/v1/api-keys', {
    body: { tenant_id: tenantId, name: 'proof', scopes },
  });
  return { id: res.body.api_key.id as string, plaintext: res.body.plaintext as string };
}

/** The webhook delivery queue (SQS's SendMessage), the event bus, and a local webhook receiver. */
let sqsQueue: SqsStandIn;
let bus: EventBridgeStandIn;
let receiver: Server;
const received: string[] = [];
/** The bus's name here; the stack's bus of the template (any stage) is what it maps to. */
const LOCAL_BUS = 'tenant-registry-local';
/** What every configure() of this file keeps: queue and bus on their stand-ins, local receivers allowed. */
let baseEnv: Record<string, string>;

beforeAll(async () => {
  stack = await startStack();
  sqsQueue = await SqsStandIn.start();
  bus = await EventBridgeStandIn.start();
  receiver = createServer((req, res) => {
    const id = req.headers['webhook-id'];
    req.resume().on('end', () => {
      received.push(String(id));
      // `/gone` answers 410 (the sender disables the endpoint), `/fail` 500 (a retry is queued).
      res.statusCode = req.url === '/gone' ? 410 : req.url === '/fail' ? 500 : 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  baseEnv = {
    TENANT_REGISTRY_WEBHOOK_QUEUE_URL: sqsQueue.queueUrl('webhook-deliveries'),
    TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL: 'true',
    TENANT_REGISTRY_EVENT_BUS_NAME: LOCAL_BUS,
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url,
  };
  stack.configure(baseEnv);
});
afterAll(async () => {
  await app.apiKeys().settled();
  await stack?.close();
  resetEventSinks();
  await sqsQueue?.close();
  await bus?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('drive every function', () => {
  test('tenants: create (idempotent), read, list, update, lifecycle, retire', async () => {
    const idem = { 'idempotency-key': randomUUID() };
    const s = slug('acme');
    const created = await expectStatus(201, 'POST', '/v1/tenants', {
      body: { slug: s, name: 'Acme' },
      headers: idem,
    });
    const id = created.body.tenant.id as string;
    await expectStatus(201, 'POST', '/v1/tenants', { body: { slug: s, name: 'Acme' }, headers: idem });
    await expectStatus(422, 'POST', '/v1/tenants', { body: { slug: s, name: 'Other' }, headers: idem });
    await expectStatus(409, 'POST', '/v1/tenants', { body: { slug: s, name: 'Again' } });
    await expectStatus(400, 'POST', '/v1/tenants', { body: { slug: 'v1', name: 'Reserved' } });

    const got = await expectStatus(200, 'GET', `/v1/tenants/${id}`);
    await expectStatus(404, 'GET', `/v1/tenants/${MISSING}`);
    await expectStatus(200, 'GET', `/v1/tenants/by-slug/${s}`);
    await expectStatus(404, 'GET', `/v1/tenants/by-slug/${slug('nobody')}`);

    await tenant('acme-corp');
    await expectStatus(200, 'GET', '/v1/tenants');
    const page = await expectStatus(200, 'GET', '/v1/tenants?limit=1');
    await expectStatus(200, 'GET', `/v1/tenants?limit=1&cursor=${encodeURIComponent(page.body.next_cursor)}`);
    await expectStatus(200, 'GET', '/v1/tenants?status=active');

    const updated = await expectStatus(200, 'PATCH', `/v1/tenants/${id}`, {
      body: { name: 'Acme Inc', settings: { theme: 'dark' } },
      headers: { 'if-match': got.headers.etag ?? '' },
    });
    await expectStatus(412, 'PATCH', `/v1/tenants/${id}`, {
      body: { name: 'Stale' },
      headers: { 'if-match': got.headers.etag ?? '' },
    });
    await expectStatus(404, 'PATCH', `/v1/tenants/${MISSING}`, { body: { name: 'Nobody' } });

    await expectStatus(200, 'POST', `/v1/tenants/${id}/cancel`, {
      body: {},
      headers: { 'if-match': updated.headers.etag ?? '' },
    });
    await expectStatus(409, 'POST', `/v1/tenants/${id}/cancel`, { body: {} });
    await expectStatus(412, 'POST', `/v1/tenants/${id}/activate`, {
      body: {},
      headers: { 'if-match': updated.headers.etag ?? '' },
    });
    await expectStatus(200, 'POST', `/v1/tenants/${id}/activate`, { body: { plan: 'enterprise' } });
    await expectStatus(404, 'POST', `/v1/tenants/${MISSING}/activate`, { body: {} });
    await expectStatus(404, 'POST', `/v1/tenants/${MISSING}/cancel`, { body: {} });

    await expectStatus(412, 'DELETE', `/v1/tenants/${id}`, { headers: { 'if-match': '"0"' } });
    await expectStatus(200, 'DELETE', `/v1/tenants/${id}`);
    await expectStatus(409, 'DELETE', `/v1/tenants/${id}`);
    await expectStatus(404, 'DELETE', `/v1/tenants/${MISSING}`);
    // Its slug is quarantined.
    await expectStatus(409, 'POST', '/v1/tenants', { body: { slug: s, name: 'Squatter' } });
  });

  test('probes and version', async () => {
    // Not first: readiness gives each store 2 s, and the first requests of a run are the slowest.
    await expectStatus(200, 'GET', '/healthz', { token: null });
    await expectStatus(200, 'GET', '/readyz', { token: null });
    await expectStatus(200, 'GET', '/v1/version');
    // The gate's refusal (401) reads the secret too; a wrong token reads nothing else.
    await expectStatus(401, 'GET', '/v1/version', { token: 'x'.repeat(48) });
  });

  test('aliases: list, add, taken, remove, primary', async () => {
    const t = await tenant('alias');
    const other = await tenant('alias-other');
    const alias = slug('alias-extra');
    await expectStatus(201, 'POST', `/v1/tenants/${t.id}/aliases`, { body: { slug: alias } });
    await expectStatus(409, 'POST', `/v1/tenants/${other.id}/aliases`, { body: { slug: alias } });
    await expectStatus(404, 'POST', `/v1/tenants/${MISSING}/aliases`, { body: { slug: slug('x') } });
    await expectStatus(200, 'GET', `/v1/tenants/${t.id}/aliases`);
    await expectStatus(404, 'GET', `/v1/tenants/${MISSING}/aliases`);
    await expectStatus(200, 'GET', `/v1/tenants/by-slug/${alias}`);
    await expectStatus(409, 'DELETE', `/v1/tenants/${t.id}/aliases/${t.slug}`);
    await expectStatus(200, 'DELETE', `/v1/tenants/${t.id}/aliases/${alias}`);
    await expectStatus(404, 'DELETE', `/v1/tenants/${t.id}/aliases/${alias}`);
    await expectStatus(404, 'DELETE', `/v1/tenants/${MISSING}/aliases/${alias}`);
  });

  test('catalog, entitlements, product requests and trials', async () => {
    const t = await tenant('cat');
    const trial = slug('trial');
    const noTrial = slug('notrial');
    const entry = (supports_trial: boolean) => ({
      name: 'Product',
      description: 'A product',
      plans_required: [],
      supports_trial,
    });
    await expectStatus(200, 'PUT', `/v1/catalog/${trial}`, { body: entry(true) });
    await expectStatus(200, 'PUT', `/v1/catalog/${trial}`, { body: { ...entry(true), name: 'Renamed' } });
    await expectStatus(200, 'PUT', `/v1/catalog/${noTrial}`, { body: entry(false) });
    await expectStatus(200, 'GET', '/v1/catalog');

    await expectStatus(200, 'PUT', `/v1/tenants/${t.id}/entitlements/${noTrial}`, {
      body: { config: { seats: 3 } },
    });
    await expectStatus(200, 'PUT', `/v1/tenants/${t.id}/entitlements/${noTrial}`, {
      body: { config: { seats: 4 } },
    });
    await expectStatus(404, 'PUT', `/v1/tenants/${t.id}/entitlements/${slug('unknown')}`, { body: {} });
    await expectStatus(404, 'PUT', `/v1/tenants/${MISSING}/entitlements/${noTrial}`, { body: {} });
    await expectStatus(200, 'GET', `/v1/entitlements?tenant_id=${t.id}`);
    await expectStatus(404, 'GET', `/v1/entitlements?tenant_id=${MISSING}`);
    await expectStatus(204, 'DELETE', `/v1/tenants/${t.id}/entitlements/${noTrial}`);
    await expectStatus(404, 'DELETE', `/v1/tenants/${MISSING}/entitlements/${noTrial}`);

    await expectStatus(202, 'POST', '/v1/catalog/request', { body: { tenant_id: t.id, product: noTrial } });
    await expectStatus(404, 'POST', '/v1/catalog/request', {
      body: { tenant_id: t.id, product: slug('unknown') },
    });
    await expectStatus(404, 'POST', '/v1/catalog/request', {
      body: { tenant_id: MISSING, product: noTrial },
    });
    await expectStatus(201, 'POST', '/v1/catalog/trial-request', {
      body: { tenant_id: t.id, product: trial },
    });
    await expectStatus(409, 'POST', '/v1/catalog/trial-request', {
      body: { tenant_id: t.id, product: trial },
    });
    await expectStatus(409, 'POST', '/v1/catalog/trial-request', {
      body: { tenant_id: t.id, product: noTrial },
    });
    await expectStatus(404, 'POST', '/v1/catalog/trial-request', {
      body: { tenant_id: MISSING, product: trial },
    });
  });

  test('API keys: create, list, verify, roll, revoke', async () => {
    const t = await tenant('keys');
    const k = await key(t.id);
    const rolling = await key(t.id, ['profile:read']);
    const rolled = await expectStatus(201, 'POST', `/v1/api-keys/${rolling.id}/roll`, {
      body: { overlap_seconds: 0 },
    });
    // The old key ended at once: it cannot roll again.
    await expectStatus(409, 'POST', `/v1/api-keys/${rolling.id}/roll`, { body: {} });
    await expectStatus(404, 'POST', `/v1/api-keys/${MISSING}/roll`, { body: {} });
    await expectStatus(204, 'DELETE', `/v1/api-keys/${rolled.body.api_key.id}`);
    await expectStatus(404, 'POST', '/v1/api-keys', { body: { tenant_id: MISSING, name: 'x' } });
    const page = await expectStatus(200, 'GET', `/v1/api-keys?tenant_id=${t.id}&limit=1`);
    await expectStatus(
      200,
      'GET',
      `/v1/api-keys?tenant_id=${t.id}&limit=1&cursor=${encodeURIComponent(page.body.next_cursor)}`,
    );
    await expectStatus(404, 'GET', `/v1/api-keys?tenant_id=${MISSING}`);

    const verify = (body: unknown) => expectStatus(200, 'POST', '/v1/internal/api-keys/verify', { body });
    expect((await verify({ key: k.plaintext })).body.valid).toBe(true);
    // A well-formed key whose id matches nothing: one read, then invalid.
    const forged = `${k.plaintext.slice(0, -12)}${'A'.repeat(12)}`;
    expect((await verify({ key: forged })).body.valid).toBe(false);
    expect((await verify({ key: 'not-a-key' })).body.valid).toBe(false);

    await expectStatus(204, 'DELETE', `/v1/api-keys/${k.id}`);
    await expectStatus(204, 'DELETE', `/v1/api-keys/${k.id}`);
    await expectStatus(404, 'DELETE', `/v1/api-keys/${MISSING}`);
    expect((await verify({ key: k.plaintext })).body.valid).toBe(false);
  });

  test('audit: append, list by every filter, pages, verify the chain', async () => {
    const t = await tenant('audit');
    const append = (body: Record<string, unknown>) => expectStatus(201, 'POST', '/v1/audit', { body });
    await append({ action: 'proof.one', tenant_id: t.id, product: 'p', actor_id: 'a' });
    await append({ action: 'proof.two', tenant_id: t.id });
    await append({ action: 'proof.global' });
    await expectStatus(404, 'POST', '/v1/audit', { body: { action: 'x', tenant_id: MISSING } });
    const filters = { tenant_id: t.id, product: 'p', actor_id: 'a', action: 'proof.one' };
    const names = Object.keys(filters) as (keyof typeof filters)[];
    // Every combination of the four filters: each has its own index (keys.ts, auditListKey).
    for (let mask = 0; mask < 1 << names.length; mask++) {
      const q = new URLSearchParams(
        names.filter((_, i) => mask & (1 << i)).map((k): [string, string] => [k, filters[k]]),
      );
      await expectStatus(200, 'GET', `/v1/audit?${q}`);
      // The export reads the same partitions and indexes as the listing, oldest first.
      await expectStatus(200, 'GET', `/v1/audit/export?${q}`);
    }
    for (const q of [
      'origin=operator',
      `origin=operator&tenant_id=${t.id}`,
      `key_id=${MISSING}&tenant_id=${t.id}`,
    ])
      await expectStatus(200, 'GET', `/v1/audit/export?${q}&format=csv`);
    await expectStatus(404, 'GET', `/v1/audit/export?tenant_id=${MISSING}`);
    const first = await expectStatus(200, 'GET', `/v1/audit?tenant_id=${t.id}&limit=1`);
    await expectStatus(200, 'GET', `/v1/audit?tenant_id=${t.id}&limit=1&cursor=${first.body.next_cursor}`);
    await expectStatus(200, 'GET', '/v1/audit?since=2000-01-01T00:00:00Z&until=2100-01-01T00:00:00Z');
    // Who wrote an event: origin alone, with a tenant, with another filter; the writing key.
    await expectStatus(200, 'GET', '/v1/audit?origin=operator');
    await expectStatus(200, 'GET', `/v1/audit?origin=operator&tenant_id=${t.id}`);
    await expectStatus(200, 'GET', `/v1/audit?origin=operator&tenant_id=${t.id}&product=p`);
    await expectStatus(200, 'GET', `/v1/audit?key_id=${MISSING}&tenant_id=${t.id}`);
    await expectStatus(200, 'GET', '/v1/audit/verify');
    await expectStatus(200, 'GET', `/v1/audit/verify?tenant_id=${t.id}`);
    await expectStatus(404, 'GET', `/v1/audit/verify?tenant_id=${MISSING}`);
  });

  test('webhooks: create, list, get, update, rotate, test (sent), deliveries, retry, delete; both planes', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const t = await tenant('hooks');
    const k = await key(t.id);
    const send = async () => {
      const queued = sqsQueue.messages.splice(0);
      coldContainer();
      const out = await recorder.within('WebhookSender', () =>
        sendWebhooks({
          Records: queued.map((m) => ({ messageId: m.messageId, body: m.body, attributes: {} })),
        } as unknown as SQSEvent),
      );
      expect(out.batchItemFailures).toEqual([]);
    };
    for (const plane of ['operator', 'tenant'] as const) {
      const base = plane === 'operator' ? '/v1/webhooks' : `/${t.slug}/webhooks`;
      const opts = (rest: RequestOptions = {}) => (plane === 'operator' ? rest : as(k.plaintext, rest));
      const created = await expectStatus(
        201,
        'POST',
        base,
        opts({
          body: { url, events: ['tenant.updated'], ...(plane === 'operator' ? { tenant_id: t.id } : {}) },
        }),
      );
      const id = created.body.webhook.id as string;
      await expectStatus(200, 'GET', base, opts());
      if (plane === 'operator') {
        await expectStatus(200, 'GET', `${base}?tenant_id=${t.id}`, opts());
        await expectStatus(200, 'GET', `${base}?tenant_id=${MISSING}`, opts());
      }
      await expectStatus(200, 'GET', `${base}/${id}`, opts());
      await expectStatus(200, 'PATCH', `${base}/${id}`, opts({ body: { description: 'proof' } }));
      await expectStatus(201, 'POST', `${base}/${id}/rotate-secret`, opts());
      const tested = await expectStatus(202, 'POST', `${base}/${id}/test`, opts());
      await send();
      await expectStatus(200, 'GET', `${base}/${id}/deliveries`, opts());
      await expectStatus(202, 'POST', `${base}/${id}/deliveries/${tested.body.id}/retry`, opts());
      await send();
      await expectStatus(204, 'DELETE', `${base}/${id}`, opts());
      await expectStatus(404, 'GET', `${base}/${id}`, opts());
    }
  });

  test('claims', async () => {
    const t = await tenant('claims');
    await expectStatus(200, 'POST', '/v1/internal/keycloak/claims', { body: { tenant_id: t.id } });
    await expectStatus(200, 'POST', '/v1/internal/keycloak/claims', { body: { tenant_slug: t.slug } });
    await expectStatus(200, 'POST', '/v1/internal/keycloak/claims', {
      body: { user_attrs: { tenant_slug: t.slug } },
    });
    await expectStatus(404, 'POST', '/v1/internal/keycloak/claims', {
      body: { tenant_slug: slug('nobody') },
    });
    await expectStatus(404, 'POST', '/v1/internal/keycloak/claims', { body: { tenant_id: MISSING } });
  });

  test('the tenant plane: every operation, by path and by header, with the errors of admission', async () => {
    const t = await tenant('plane');
    const other = await tenant('plane-other');
    const k = await key(t.id);
    const trial = slug('pt');
    await expectStatus(200, 'PUT', `/v1/catalog/${trial}`, {
      body: { name: 'P', description: 'P', plans_required: [], supports_trial: true },
    });
    const at = (path: string) => `/${t.slug}${path}`;
    await expectStatus(200, 'GET', at('/profile'), as(k.plaintext));
    await expectStatus(200, 'GET', `/${t.id}/profile`, as(k.plaintext));
    await expectStatus(
      200,
      'GET',
      '/tenant/profile',
      as(k.plaintext, { headers: { 'x-tenant-id': t.slug } }),
    );
    await expectStatus(403, 'GET', `/${other.slug}/profile`, as(k.plaintext));
    // Naming a tenant that does not exist is the other tenant's case: 403, never a 404 that tells.
    await expectStatus(403, 'GET', `/${slug('nobody')}/profile`, as(k.plaintext));
    await expectStatus(401, 'GET', at('/profile'), as(`${k.plaintext.slice(0, -12)}${'A'.repeat(12)}`));
    await expectStatus(200, 'GET', at('/entitlements'), as(k.plaintext));
    await expectStatus(202, 'POST', at('/catalog/request'), as(k.plaintext, { body: { product: trial } }));
    await expectStatus(
      404,
      'POST',
      at('/catalog/request'),
      as(k.plaintext, { body: { product: slug('u') } }),
    );
    await expectStatus(
      201,
      'POST',
      at('/catalog/trial-request'),
      as(k.plaintext, { body: { product: trial } }),
    );
    await expectStatus(
      409,
      'POST',
      at('/catalog/trial-request'),
      as(k.plaintext, { body: { product: trial } }),
    );
    await expectStatus(201, 'POST', at('/audit'), as(k.plaintext, { body: { action: 'plane.did' } }));
    const audit = await expectStatus(200, 'GET', at('/audit?limit=1'), as(k.plaintext));
    await expectStatus(200, 'GET', at(`/audit?limit=1&cursor=${audit.body.next_cursor}`), as(k.plaintext));
    // Every combination of the other three filters: the tenant's own listing has an index for each.
    const filters = { product: 'p', actor_id: 'x', action: 'plane.did' };
    const names = Object.keys(filters) as (keyof typeof filters)[];
    for (let mask = 0; mask < 1 << names.length; mask++) {
      const q = new URLSearchParams(
        names.filter((_, i) => mask & (1 << i)).map((f): [string, string] => [f, filters[f]]),
      );
      await expectStatus(200, 'GET', at(`/audit?${q}`), as(k.plaintext));
      await expectStatus(200, 'GET', at(`/audit/export?${q}`), as(k.plaintext));
    }
    for (const q of ['origin=tenant', 'origin=tenant&product=p', `key_id=${k.id}`]) {
      await expectStatus(200, 'GET', at(`/audit?${q}`), as(k.plaintext));
      await expectStatus(200, 'GET', at(`/audit/export?${q}`), as(k.plaintext));
    }
    await expectStatus(200, 'GET', at('/swagger'), as(k.plaintext));
    const made = await expectStatus(
      201,
      'POST',
      at('/api-keys'),
      as(k.plaintext, { body: { name: 'child' } }),
    );
    await expectStatus(200, 'GET', at('/api-keys'), as(k.plaintext));
    const rolled = await expectStatus(
      201,
      'POST',
      at(`/api-keys/${made.body.api_key.id}/roll`),
      as(k.plaintext, { body: { overlap_seconds: 0 } }),
    );
    await expectStatus(409, 'POST', at(`/api-keys/${made.body.api_key.id}/roll`), as(k.plaintext));
    await expectStatus(404, 'POST', at(`/api-keys/${MISSING}/roll`), as(k.plaintext));
    await expectStatus(204, 'DELETE', at(`/api-keys/${rolled.body.api_key.id}`), as(k.plaintext));
    await expectStatus(204, 'DELETE', at(`/api-keys/${made.body.api_key.id}`), as(k.plaintext));
    await expectStatus(404, 'DELETE', at(`/api-keys/${MISSING}`), as(k.plaintext));
    // A retired tenant's key opens nothing.
    await expectStatus(200, 'DELETE', `/v1/tenants/${t.id}`);
    await expectStatus(401, 'GET', at('/profile'), as(k.plaintext));
  });
});

// ---------------------------------------------------------------------------------------------
// Keycloak mode: createTenant provisions an organization (its own run, its own template)
// ---------------------------------------------------------------------------------------------

const KEYCLOAK = 'createTenant (Keycloak)';
let keycloakSecretId = '';

describe('drive Keycloak mode', () => {
  test('createTenant provisions, replays, and records a failed provisioning', async () => {
    const kc = await startKeycloakStub();
    keycloakSecretId = `tenant-registry/keycloak-${randomUUID().slice(0, 8)}`;
    // The test's own client, not the app's: this is setup, not the function's doing.
    await stack.secrets.send(
      new CreateSecretCommand({ Name: keycloakSecretId, SecretString: kc.clientSecret }),
    );
    stack.configure({
      ...baseEnv,
      TENANT_REGISTRY_KEYCLOAK_URL: kc.url,
      TENANT_REGISTRY_KEYCLOAK_REALM: kc.realm,
      TENANT_REGISTRY_KEYCLOAK_CLIENT_ID: kc.clientId,
      TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET_ID: keycloakSecretId,
    });
    try {
      const create = (headers: Record<string, string>, s = slug('kc')) =>
        callAs(KEYCLOAK, 'POST', '/v1/tenants', {
          body: { slug: s, name: 'Kc', admin_email: 'ops@example.com' },
          headers,
        });
      const idem = { 'idempotency-key': randomUUID() };
      const s = slug('kc');
      const first = await create(idem, s);
      expect([first.status, typeof first.body.invite_url]).toEqual([201, 'string']);
      expect((await create(idem, s)).status).toBe(201);
      kc.faults = { organization: 500 };
      const failed = await create({});
      expect([failed.status, failed.body.invite_url]).toEqual([201, undefined]);
    } finally {
      stack.configure(baseEnv);
      await kc.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Operations without a scenario above still run: valid requests built from openapi.yaml
// ---------------------------------------------------------------------------------------------

const SWEEP_RUNS = 8;
const SWEEP_SEED = 20_251_010;

describe('operations no scenario reached', () => {
  test('valid requests built from the spec reach their own operation', () => {
    const ctx = fuzzContext({ id: [MISSING] }, { tenant: { names: ['acme'], key: 'k', others: ['globex'] } });
    for (const op of operationModels()) {
      for (const c of fc.sample(validRequests(op, ctx), { seed: SWEEP_SEED, numRuns: 3 })) {
        const found = stack.router.match(c.method, new URL(c.url, 'http://local').pathname);
        expect([c.method, c.url, found?.operation.operationId]).toEqual([c.method, c.url, op.operationId]);
      }
    }
  });

  test('run valid requests built from openapi.yaml', async () => {
    // Cheap insurance for a new operation: it is driven before anyone writes its scenario, so
    // the comparison below can say what its role holds that nothing used.
    const unreached = operationModels().filter((op) => !reached.has(op.operationId));
    if (unreached.length === 0) return;
    const t = await tenant('sweep');
    const other = await tenant('sweep-other');
    const k = await key(t.id);
    const spare = await key(t.id);
    const product = slug('sweep-p');
    await expectStatus(200, 'PUT', `/v1/catalog/${product}`, {
      body: { name: 'S', description: 'S', plans_required: [], supports_trial: true },
    });
    const ctx = fuzzContext(
      { id: [t.id, spare.id], tenant_id: [t.id], slug: [t.slug], product: [product], key: [product] },
      { tenant: { names: [t.slug, t.id], key: k.plaintext, others: [other.slug] } },
    );
    for (const op of unreached) {
      for (const c of fc.sample(validRequests(op, ctx), { seed: SWEEP_SEED, numRuns: SWEEP_RUNS })) {
        const res = await call(c.method, c.url, {
          headers: { ...c.headers },
          ...(c.body === undefined ? {} : { body: c.body }),
          unchecked: true,
          ...(op.plane === 'tenant' ? { token: null } : {}),
        });
        expect([op.operationId, c.url, res.status < 500]).toEqual([op.operationId, c.url, true]);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The jobs (the rotation last: it replaces the admin token the requests above use)
// ---------------------------------------------------------------------------------------------

describe('drive the jobs', () => {
  test('the alias reconciler repairs drift both ways', async () => {
    const t = await tenant('drift');
    const path = `${stack.ssmPrefix}/aliases`;
    await stack.ssm.send(new DeleteParameterCommand({ Name: `${path}/${t.slug}` }));
    await stack.ssm.send(
      new PutParameterCommand({ Name: `${path}/${slug('stray')}`, Value: MISSING, Type: 'String' }),
    );
    coldContainer();
    const report = await recorder.within('AliasReconciler', () => reconcileAliases());
    expect(report.published).toContain(t.slug);
    expect(report.removed.length).toBe(1);
  });

  test('the audit verifier walks the chains, moves a checkpoint and expires what is behind it', async () => {
    const t = await tenant('retained');
    await expectStatus(200, 'PATCH', `/v1/tenants/${t.id}`, {
      body: { audit_retention_days: 30 },
      headers: { 'if-match': t.etag ?? '' },
    });
    clock.advance(31 * 24 * 3600 * 1000);
    await expectStatus(201, 'POST', '/v1/audit', { body: { tenant_id: t.id, action: 'proof.fresh' } });
    coldContainer();
    const report = await recorder.within('AuditVerifier', () => verifyAudit());
    const mine = report.chains.find((c) => c.chain === t.id);
    expect(mine).toMatchObject({ ok: true, checkpoint: expect.any(Object) });
    expect(mine?.expired).toBeGreaterThan(0);
  });

  test('the stream consumer puts a committed change on the bus and queues its webhook deliveries', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hook = await expectStatus(201, 'POST', '/v1/webhooks', { body: { url, events: ['*'] } });
    endpointId = hook.body.webhook.id;
    const t = await tenant('published');
    // The stream's view of the commit: the tenant chain's event items, as inserted (the test's
    // own client: reading them is setup, not the consumer's doing), and an item that is no event.
    const items = await stack.dynamodb.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': { S: `AUDIT#${t.id}` } },
      }),
    );
    const records = (items.Items ?? []).map((item, i) => ({
      sequenceNumber: String(i + 1),
      eventName: 'INSERT',
      newImage: unmarshall(item),
    }));
    expect(records.filter((r) => r.newImage.entity === 'audit_event')).toHaveLength(1);
    const before = sqsQueue.messages.length;
    resetEventSinks();
    coldContainer();
    const consumer = new EventStreamConsumer(eventSinks(eventsConfig()));
    const client = eventBridgeClient();
    if (!client) throw new Error('no EventBridge sink: TENANT_REGISTRY_EVENT_BUS_NAME is not set');
    recorder.attach(client, 'events');
    const outcome = await recorder.within('StreamConsumer', () => consumer.consume(records));
    expect([outcome.batchItemFailures, outcome.published]).toEqual([[], 1]);
    expect(bus.putEventsSoFar().map((e) => e.detailType)).toContain('tenant.created');
    const mine = sqsQueue.messages.slice(before).filter((m) => m.body.includes(endpointId));
    expect(mine).toHaveLength(1);
  });

  test('the webhook sender delivers, queues a retry, and disables an endpoint that answers 410', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const ids = [endpointId];
    for (const path of ['gone', 'fail']) {
      const hook = await expectStatus(201, 'POST', '/v1/webhooks', {
        body: { url: `http://127.0.0.1:${port}/${path}`, events: ['tenant.created'] },
      });
      ids.push(hook.body.webhook.id);
      await expectStatus(202, 'POST', `/v1/webhooks/${hook.body.webhook.id}/test`);
    }
    const queued = sqsQueue.messages.filter((m) => ids.some((id) => m.body.includes(id)));
    expect(queued.length).toBe(3);
    const before = sqsQueue.messages.length;
    coldContainer();
    const event = {
      Records: queued.map((m) => ({ messageId: m.messageId, body: m.body, attributes: {} })),
    } as unknown as SQSEvent;
    const outcome = await recorder.within('WebhookSender', () => sendWebhooks(event));
    expect(outcome.batchItemFailures).toEqual([]);
    expect(received.length).toBeGreaterThan(0);
    // The 500's retry, back on the queue.
    expect(sqsQueue.messages.slice(before).filter((m) => m.body.includes(ids[2] ?? ''))).toHaveLength(1);
    expect((await call('GET', `/v1/webhooks/${ids[1]}`)).body.status).toBe('disabled');
  });

  test("the admin-token rotation, all four steps (of the stack's own secret: run last)", async () => {
    // The handler's own client is module-private; rotate() is the handler but for logging.
    const client = new SecretsManagerClient({});
    recorder.attach(client, 'secretsmanager');
    const token = randomUUID();
    await recorder.within('RotateAdminToken', async () => {
      for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'])
        await rotate(client, { SecretId: stack.secretId, ClientRequestToken: token, Step });
      // A retried step after finishSecret finds the version current and stops.
      await rotate(client, { SecretId: stack.secretId, ClientRequestToken: token, Step: 'finishSecret' });
    });
    client.destroy();
  });
});

// ---------------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------------

/** Every function with a role: the jobs of lib/permissions.ts (JOB_ACCESS), the rotation, every operation. */
const JOBS = [...Object.keys(JOB_ACCESS), 'RotateAdminToken'];
const FUNCTIONS = [...JOBS, ...operationModels().map((o) => o.operationId)];

/** A template's roles, and how a recorded resource reads in its terms. */
interface Roles {
  grantsOf(fn: string): Grant[];
  arnOf(resource: string): string;
}

/** The roles of a tested mode (test/infra/support/synth.ts), synthesized once and cached. */
function rolesOf(variant: Variant): Roles {
  const { template } = synthesize(variant);
  const stage = (VARIANTS[variant] as { stage?: string }).stage ?? 'dev';
  const only = (type: string) => {
    const found = resources(template, type);
    if (found.length !== 1) throw new Error(`${found.length} resources of type ${type}`);
    return found[0]?.[0] ?? '';
  };
  const tableArn = `<${only('AWS::DynamoDB::Table')}.Arn>`;
  const secret = `<${only('AWS::SecretsManager::Secret')}>`;
  const ssm = `arn:aws:ssm:${ENV.region}:${ENV.account}:parameter/tenant-registry/${stage}`;
  const deliveries = resources(template, 'AWS::SQS::Queue').find(([id]) =>
    id.startsWith('DataWebhookDeliveries'),
  );
  const queueArn = `<${deliveries?.[0]}.Arn>`;
  const busArn = `<${only('AWS::Events::EventBus')}.Arn>`;
  const under = (resource: string, prefix: string) =>
    resource === prefix || resource.startsWith(`${prefix}/`) ? resource.slice(prefix.length) : undefined;
  const functionId = (fn: string): string => {
    const label = fn.replace(/ \(.*\)$/, '');
    // A job's function is `<its name>/Function` in the construct tree (lib/constructs/job-function.ts);
    // an operation's says its operationId in its description.
    const found = resources(template, 'AWS::Lambda::Function').filter(([id, r]) =>
      JOBS.includes(label)
        ? new RegExp(`${label}Function[0-9A-F]{8}$`).test(id)
        : String(r.Properties.Description).endsWith(`(${label})`),
    );
    if (found.length !== 1) throw new Error(`${found.length} functions for ${label} in the template`);
    return found[0]?.[0] ?? '';
  };
  return {
    grantsOf: (fn) =>
      statementsOf(template, functionId(fn)).flatMap((s) =>
        s.Action.flatMap((action) => s.Resource.map((r) => ({ action, resource: render(r) }))),
      ),
    arnOf: (resource) => {
      const inTable = under(resource, `table/${stack.tableName}`);
      if (inTable !== undefined) return `${tableArn}${inTable}`;
      const inPrefix = under(resource, `parameter${stack.ssmPrefix}`);
      if (inPrefix !== undefined) return `${ssm}${inPrefix}`;
      if (resource === `secret:${stack.secretId}`) return secret;
      if (resource === 'queue/webhook-deliveries') return queueArn;
      if (resource === `event-bus/${LOCAL_BUS}`) return busArn;
      if (resource === `secret:${keycloakSecretId}`) return KEYCLOAK_SECRET_ARN;
      return resource; // matches nothing the stack grants: reported as not allowed
    },
  };
}

describe('every role allows exactly what its code was seen to call', () => {
  let roles: Roles;
  let keycloakRoles: Roles;
  const seen = (fn: string, r: Roles = roles) =>
    recorder.calls(fn).map((c) => ({ ...c, arn: r.arnOf(c.resource) }));

  beforeAll(() => {
    roles = rolesOf('api');
    keycloakRoles = rolesOf('keycloak');
  }, 300_000);

  test('every function ran (the comparisons mean nothing after a partial run)', () => {
    for (const op of operationModels())
      expect([op.operationId, reached.has(op.operationId)]).toEqual([op.operationId, true]);
    // A job in lib/permissions.ts that nothing drives: drive it in "drive the jobs" below, inside
    // `recorder.within('<its JOB_ACCESS name>', ...)`.
    for (const fn of [...JOBS, KEYCLOAK]) expect([fn, recorder.calls(fn).length > 0]).toEqual([fn, true]);
    // Every call the app's clients made was some function's.
    expect(recorder.unattributed).toEqual([]);
  });

  test.each([...FUNCTIONS, KEYCLOAK].map((fn) => [fn]))('%s', (fn) => {
    const r = fn === KEYCLOAK ? keycloakRoles : roles;
    expect(
      roleProblems(fn, r.grantsOf(fn), seen(fn, r), ALLOWANCES, (label) => seen(label, keycloakRoles)),
    ).toEqual([]);
  });

  test('every allowance names a grant a role holds, for a reason', () => {
    for (const a of ALLOWANCES) {
      const candidates = a.fn === '*' ? FUNCTIONS : [a.fn];
      const holders = candidates.filter((fn) =>
        (fn === KEYCLOAK ? keycloakRoles : roles)
          .grantsOf(fn)
          .some((g) => g.action === a.action && a.resource.test(g.resource)),
      );
      expect([a.fn, a.action, holders.length > 0]).toEqual([a.fn, a.action, true]);
      expect(a.reason.length).toBeGreaterThan(40);
    }
  });
});
