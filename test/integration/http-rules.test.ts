import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ALBEvent, APIGatewayProxyEvent, Context } from 'aws-lambda';
import { serve } from '../../bin/local/server';
import { isStreamed } from '../../lib/routing';
import * as app from '../../shared/app';
import { SCOPES } from '../../shared/domain/api-key';
import type { EndpointHandler } from '../../shared/http/endpoint';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import { uniqueSlug } from '../fixtures/tenants';
import { operationModels } from '../support/fuzz';
import { concreteRoutes } from '../support/routes';
import { type RequestOptions, startStack, type TestResponse, type TestStack } from '../support/stack';

/**
 * The HTTP rules every operation shares (issue 9): HEAD and OPTIONS from the route table,
 * strict JSON bodies (each key once, no NUL, UTF-8 only), no NUL in query values, repeated
 * Idempotency-Key refused; through the local router, over real HTTP, and straight into the
 * functions as API Gateway and ALB would invoke them.
 */

let stack: TestStack;
let tenant: { id: string; slug: string };
let key = '';
let keyId = '';
const models = operationModels();

beforeAll(async () => {
  stack = await startStack();
  const created = await stack.request('POST', '/v1/tenants', {
    body: { slug: uniqueSlug('http'), name: 'H' },
  });
  tenant = created.body.tenant;
  const k = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: tenant.id, name: 'k', scopes: SCOPES },
  });
  key = k.body.plaintext;
  keyId = k.body.api_key.id;
  const put = await stack.request('PUT', '/v1/catalog/http-product', {
    body: { name: 'p', description: 'p', supports_trial: true, plans_required: [] },
  });
  expect(put.status).toBe(200);
});
afterAll(async () => {
  await app.apiKeys().settled();
  await stack.close();
});

/** Every operation at a URL naming live records, with required query parameters filled in. */
function liveRoutes() {
  return concreteRoutes({ id: tenant.id, tenant: tenant.slug, slug: tenant.slug, key: 'http-product' }).map(
    (route) => {
      const model = models.find((m) => m.operationId === route.operationId);
      const required = (model?.parameters ?? []).filter((p) => p.in === 'query' && p.required);
      const query = required.map((p) => `${p.name}=${p.name === 'tenant_id' ? tenant.id : 'x'}`).join('&');
      // `/v1/api-keys/{id}` and `/{tenant}/api-keys/{id}` name a key, not a tenant.
      const url = route.path.includes('api-keys/{id}') ? route.url.replace(tenant.id, keyId) : route.url;
      return { ...route, model, url: query ? `${url}?${query}` : url };
    },
  );
}

/** The credential each plane takes: the admin token, or the tenant's key (never both). */
function credential(plane: string): RequestOptions {
  if (plane === 'public') return { token: null };
  return plane === 'tenant' ? { token: null, headers: { 'x-api-key': key } } : {};
}

describe('HEAD answers exactly like the GET, without the body', () => {
  const gets = () => liveRoutes().filter((r) => r.method === 'GET');

  test('every GET route: same status and headers (content-length and ETag included), no body', async () => {
    // Warm up first: the first use of a key records `last_used_at`, which the key list shows.
    for (const route of gets())
      await stack.request('GET', route.url, { ...credential(route.plane), unchecked: true });
    await app.apiKeys().settled();
    const routes = gets();
    expect(routes.length).toBeGreaterThanOrEqual(15);
    for (const route of routes) {
      const head = await stack.request('HEAD', route.url, credential(route.plane));
      const get = await stack.request('GET', route.url, credential(route.plane));
      expect([route.path, get.status]).toEqual([route.path, 200]);
      expect([route.path, head.status, head.text]).toEqual([route.path, get.status, '']);
      expect([route.path, head.headers]).toEqual([route.path, get.headers]);
      // A streamed answer (the exports) has no length up front, in the GET as in the HEAD.
      const length = isStreamed(route) ? undefined : String(Buffer.byteLength(get.text));
      expect([route.path, head.headers['content-length']]).toEqual([route.path, length]);
    }
  });

  test('the ETag of a tenant and a profile is in the HEAD too', async () => {
    for (const [url, opts] of [
      [`/v1/tenants/${tenant.id}`, {}],
      [`/${tenant.slug}/profile`, credential('tenant')],
    ] as const) {
      const head = await stack.request('HEAD', url, opts);
      expect(head.headers.etag).toMatch(/^"v\d+"$/);
    }
  });

  test('HEAD of a route without a GET, or of an unknown path, is the unknown route without a body', async () => {
    for (const url of [`/v1/tenants/${tenant.id}/activate`, '/v1/nothing-here']) {
      const res = await stack.request('HEAD', url, {});
      expect([url, res.status, res.text]).toEqual([url, 404, '']);
    }
  });
});

/** What OPTIONS must list for a path, from openapi.yaml's methods (not from the route table). */
function expectedAllow(path: string): string[] {
  const methods = new Set(models.filter((m) => m.path === path).map((m) => m.method));
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return [...methods].sort();
}

describe('OPTIONS answers 204 with Allow on every known path, before authentication', () => {
  const paths = () => {
    const seen = new Map<string, string>();
    for (const r of liveRoutes()) if (!seen.has(r.path)) seen.set(r.path, r.url.split('?')[0] ?? r.url);
    return [...seen];
  };

  test('every path of openapi.yaml, without any credential, and no auth.rejected line', async () => {
    stack.logs.clear();
    for (const [path, url] of paths()) {
      const res = await stack.request('OPTIONS', url, { token: null });
      expect([path, res.status, res.text]).toEqual([path, 204, '']);
      expect([path, (res.headers.allow ?? '').split(', ').sort()]).toEqual([path, expectedAllow(path)]);
    }
    expect(stack.logs.events('auth.rejected')).toEqual([]);
  });

  test.each([
    ['/v1/tenants', 'GET, HEAD, POST, OPTIONS'],
    ['/v1/tenants/00000000-0000-4000-8000-000000000000', 'GET, HEAD, PATCH, DELETE, OPTIONS'],
    ['/v1/tenants/00000000-0000-4000-8000-000000000000/activate', 'POST, OPTIONS'],
    ['/v1/catalog/some-product', 'PUT, OPTIONS'],
    ['/acme/api-keys', 'GET, HEAD, POST, OPTIONS'],
    ['/acme/api-keys/00000000-0000-4000-8000-000000000000', 'DELETE, OPTIONS'],
    ['/tenant/profile', 'GET, HEAD, OPTIONS'],
    // Tenants are never looked up: an unknown one is a known path, as to an unauthenticated GET.
    ['/nobody-has-this-slug/swagger', 'GET, HEAD, OPTIONS'],
  ])('%s -> Allow: %s', async (url, allow) => {
    const res = await stack.request('OPTIONS', url, { token: null });
    expect([res.status, res.headers.allow]).toEqual([204, allow]);
  });

  test.each([
    '/v1/no-such-route',
    '/v1/tenants/00000000-0000-4000-8000-000000000000/nothing',
    // `v1` and `api` can never name a tenant: the tenant routes are not there for them.
    '/v1/profile',
    '/api/profile',
    '/',
  ])('%s -> 404 with the unknown-route body', async (url) => {
    const res = await stack.request('OPTIONS', url, { token: null });
    expect([res.status, res.text]).toEqual([404, UNKNOWN_ROUTE_BODY]);
  });
});

describe('JSON bodies: each key once, no NUL, UTF-8 only, on every operation with a body', () => {
  const withBody = () => liveRoutes().filter((r) => r.model?.requestBody);
  const send = (route: ReturnType<typeof liveRoutes>[number], body: string | Uint8Array) =>
    stack.request(route.method, route.url, {
      ...credential(route.plane),
      headers: { ...credential(route.plane).headers, 'content-type': 'application/json' },
      body,
      unchecked: true,
    });
  const expect400 = (
    route: { path: string },
    res: TestResponse<{ error?: string; message?: string }>,
    message: string,
  ) =>
    expect([route.path, res.status, res.body?.error, res.body?.message]).toEqual([
      route.path,
      400,
      'invalid_input',
      message,
    ]);

  test('a key sent twice is a 400 naming it, at the top and nested', async () => {
    const routes = withBody();
    expect(routes.length).toBeGreaterThanOrEqual(15);
    for (const route of routes) {
      expect400(
        route,
        await send(route, '{"zz":1,"zz":2}'),
        'body.zz is sent twice: a JSON object may hold each key once',
      );
      expect400(
        route,
        await send(route, '{"zz":{"a":[{"k":1,"k":1}]}}'),
        'body.zz.a[0].k is sent twice: a JSON object may hold each key once',
      );
    }
  });

  test('the duplicate that JSON.parse would resolve silently (the last wins) is refused', async () => {
    const res = await stack.request('POST', '/v1/tenants', {
      body: `{"slug":"v1","slug":"${uniqueSlug('dup')}","name":"D"}`,
      headers: { 'content-type': 'application/json' },
      unchecked: true,
    });
    expect([res.status, res.body.message]).toEqual([
      400,
      'body.slug is sent twice: a JSON object may hold each key once',
    ]);
  });

  test('NUL in a text field is a 400 naming the field', async () => {
    for (const route of withBody()) {
      expect400(route, await send(route, '{"zz":"a\\u0000b"}'), 'body.zz contains a NUL character (\\u0000)');
    }
    const patch = await stack.request('PATCH', `/v1/tenants/${tenant.id}`, {
      body: { settings: { locale: 'de\u0000' } },
      unchecked: true,
    });
    expect([patch.status, patch.body.message]).toEqual([
      400,
      'body.settings.locale contains a NUL character (\\u0000)',
    ]);
  });

  test('bytes that are not UTF-8 are a 400, never read with U+FFFD in their place', async () => {
    const invalid = Buffer.concat([Buffer.from('{"name":"M'), Buffer.from([0xfc]), Buffer.from('ller"}')]);
    for (const route of withBody())
      expect400(route, await send(route, invalid), 'the body is not valid UTF-8');
  });

  test('a repeated Idempotency-Key is a 400 naming the header; nothing is created', async () => {
    const slug = uniqueSlug('idem');
    const res = await stack.request('POST', '/v1/tenants', {
      body: { slug, name: 'I' },
      headers: { 'idempotency-key': ['one', 'two'] },
      unchecked: true,
    });
    expect([res.status, res.body.error, res.body.message]).toEqual([
      400,
      'invalid_input',
      'the Idempotency-Key header is repeated: send one key per create',
    ]);
    expect((await stack.request('GET', `/v1/tenants/by-slug/${slug}`)).status).toBe(404);
  });
});

describe('query strings: no NUL in a parameter an operation reads', () => {
  test('every declared query parameter, with %00 in its value, is a 400 naming it', async () => {
    let checked = 0;
    for (const route of liveRoutes()) {
      const names = (route.model?.parameters ?? [])
        .filter((p) => p.in === 'query' && !(route.plane === 'tenant' && p.name === 'tenant_id'))
        .map((p) => p.name);
      for (const name of names) {
        const base = route.url.split('?')[0] ?? route.url;
        const url = `${base}?${name === 'tenant_id' ? '' : `tenant_id=${tenant.id}&`}${name}=a%00b`;
        const res = await stack.request(route.method, url, {
          ...credential(route.plane),
          ...(route.model?.requestBody ? { body: {} } : {}),
          unchecked: true,
        });
        expect([route.path, name, res.status, res.body?.message]).toEqual([
          route.path,
          name,
          400,
          `query parameter "${name}" contains a NUL character (%00)`,
        ]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });
});

describe('over real HTTP (the local server)', () => {
  let port = 0;
  let close: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    const server = await serve(stack.router, { port: 0 });
    port = (server.address() as AddressInfo).port;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(() => close());

  /** node:http sends a list header as one line per value, as a client repeating it would. */
  function call(
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
    body?: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  test('two Authorization lines are refused, though node keeps only the first in req.headers', async () => {
    const res = await call('GET', '/v1/version', {
      authorization: [`Bearer ${stack.token}`, 'Bearer other'],
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).message).toBe(
      'the Authorization header is repeated: send the credential once',
    );
    const once = await call('GET', '/v1/version', { authorization: `Bearer ${stack.token}` });
    expect(once.status).toBe(200);
  });

  test('two X-Api-Key lines and two X-Tenant-ID lines', async () => {
    const keys = await call('GET', `/${tenant.slug}/profile`, { 'x-api-key': [key, key] });
    expect([keys.status, JSON.parse(keys.body).error]).toEqual([401, 'unauthorized']);
    const names = await call('GET', '/tenant/profile', {
      'x-api-key': key,
      'x-tenant-id': [tenant.slug, tenant.slug],
    });
    expect([names.status, JSON.parse(names.body).message]).toEqual([
      400,
      'the X-Tenant-ID header is repeated: name the tenant once',
    ]);
  });

  test('HEAD sends the GET length and no body; OPTIONS lists the methods', async () => {
    const auth = { authorization: `Bearer ${stack.token}` };
    const get = await call('GET', `/v1/tenants/${tenant.id}`, auth);
    const head = await call('HEAD', `/v1/tenants/${tenant.id}`, auth);
    expect([head.status, head.body]).toEqual([200, '']);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
    expect(head.headers.etag).toBe(get.headers.etag);
    const options = await call('OPTIONS', `/v1/tenants/${tenant.id}`, {});
    expect([options.status, options.headers.allow]).toEqual([204, 'GET, HEAD, PATCH, DELETE, OPTIONS']);
  });

  test('a body that is not UTF-8 reaches the handler as bytes and is refused', async () => {
    const res = await call(
      'POST',
      '/v1/tenants',
      { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
      Buffer.concat([
        Buffer.from(`{"slug":"${uniqueSlug('utf')}","name":"`),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ]),
    );
    expect([res.status, JSON.parse(res.body).message]).toEqual([400, 'the body is not valid UTF-8']);
  });
});

describe('in Lambda: each function answers HEAD and OPTIONS itself, for either ingress', () => {
  const handlerOf = async (folder: string) =>
    ((await import(`../../functions/${folder}/handler.ts`)) as { handler: EndpointHandler }).handler;
  const context = { awsRequestId: 'lambda-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
  const apiGateway = (method: string, path: string, headers: Record<string, string[]> = {}) =>
    ({
      httpMethod: method,
      path,
      resource: path,
      headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.at(-1)])),
      multiValueHeaders: headers,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: 'r', identity: { sourceIp: '203.0.113.1' } },
    }) as unknown as APIGatewayProxyEvent;
  /** An ALB target group with multi-value headers on: lists in, lists out. */
  const albMulti = (method: string, path: string, headers: Record<string, string[]> = {}): ALBEvent => ({
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/t/1' } },
    httpMethod: method,
    path,
    multiValueHeaders: { 'x-forwarded-for': ['203.0.113.1'], ...headers },
    multiValueQueryStringParameters: {},
    body: '',
    isBase64Encoded: false,
  });
  const tenantPath = () => `/v1/tenants/${tenant.id}`;

  test('OPTIONS reaching any function of a path answers for the whole path', async () => {
    for (const folder of ['get-tenant', 'update-tenant', 'retire-tenant']) {
      const res = await (await handlerOf(folder))(apiGateway('OPTIONS', tenantPath()), context);
      expect([folder, res.statusCode, 'headers' in res && res.headers.allow]).toEqual([
        folder,
        204,
        'GET, HEAD, PATCH, DELETE, OPTIONS',
      ]);
    }
  });

  test('HEAD reaching the GET function is the GET without a body; reaching another is a 404', async () => {
    const auth = { authorization: [`Bearer ${stack.token}`] };
    const get = await (await handlerOf('get-tenant'))(apiGateway('GET', tenantPath(), auth), context);
    const head = await (await handlerOf('get-tenant'))(apiGateway('HEAD', tenantPath(), auth), context);
    expect(head).toEqual({ ...get, body: '' });
    const wrong = await (await handlerOf('update-tenant'))(apiGateway('HEAD', tenantPath(), auth), context);
    expect([wrong.statusCode, wrong.body]).toEqual([404, UNKNOWN_ROUTE_BODY]);
  });

  test('ALB with multi-value headers: repeats are seen, the answer is in multiValueHeaders', async () => {
    const handler = await handlerOf('get-tenant');
    const twice = await handler(
      albMulti('GET', tenantPath(), { authorization: [`Bearer ${stack.token}`, `Bearer ${stack.token}`] }),
      context,
    );
    expect(twice).toMatchObject({
      statusCode: 401,
      isBase64Encoded: false,
      multiValueHeaders: { 'www-authenticate': ['Bearer'], 'content-type': ['application/json'] },
    });
    expect(twice).not.toHaveProperty('headers');
    const options = await handler(albMulti('OPTIONS', tenantPath()), context);
    expect(options).toEqual({
      statusCode: 204,
      multiValueHeaders: { allow: ['GET, HEAD, PATCH, DELETE, OPTIONS'] },
      body: '',
      isBase64Encoded: false,
    });
  });
});
