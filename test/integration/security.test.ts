import { randomUUID } from 'node:crypto';
import { SCOPES } from '../../shared/domain/api-key';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import { uniqueSlug } from '../fixtures/tenants';
import { concreteRoutes } from '../support/routes';
import { type RequestOptions, randomToken, startStack, type TestStack } from '../support/stack';

/**
 * The shared security suite, generated from openapi.yaml: every route, every way of getting
 * the credential wrong, the API switched off, a token too short to count.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

const guarded = concreteRoutes().filter((r) => r.plane !== 'public');
const adminGuarded = guarded.filter((r) => r.plane === 'operator' || r.plane === 'service');
const open = concreteRoutes().filter((r) => r.plane === 'public');

type Headers = NonNullable<RequestOptions['headers']>;

const credentials: [string, (token: string) => Headers, string][] = [
  ['no credential', () => ({}), 'missing_credential'],
  ['a wrong token', () => ({ authorization: `Bearer ${randomToken()}` }), 'invalid_credential'],
  [
    'the right token one character short',
    (t) => ({ authorization: `Bearer ${t.slice(0, -1)}` }),
    'invalid_credential',
  ],
  ['the wrong scheme', (t) => ({ authorization: `Basic ${t}` }), 'wrong_scheme'],
  ['a bare token', (t) => ({ authorization: t }), 'wrong_scheme'],
  // Which copy of a repeated credential counts is not ours to guess (issue 9): always refused.
  [
    'Authorization twice, the right token both times',
    (t) => ({ authorization: [`Bearer ${t}`, `Bearer ${t}`] }),
    'repeated_credential',
  ],
  [
    'Authorization twice, the right token second',
    (t) => ({ authorization: [`Bearer ${randomToken()}`, `Bearer ${t}`] }),
    'repeated_credential',
  ],
  [
    'Authorization twice, spelled differently',
    (t) => ({ Authorization: `Bearer ${t}`, authorization: `Bearer ${t}` }),
    'repeated_credential',
  ],
  [
    'the right token and X-Api-Key twice',
    (t) => ({ authorization: `Bearer ${t}`, 'x-api-key': [t, t] }),
    'repeated_credential',
  ],
];

const REPEATED_MESSAGE = /^the (Authorization|X-Api-Key) header is repeated: send the credential once$/;

describe.each(guarded)('$method $path', (route) => {
  test.each(credentials)('%s -> 401 and exactly one auth.rejected line', async (_, headers, reason) => {
    stack.logs.clear();
    const res = await stack.request(route.method, route.url, { token: null, headers: headers(stack.token) });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthorized');
    if (reason === 'repeated_credential') expect(res.body.message).toMatch(REPEATED_MESSAGE);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    const lines = stack.logs.events('auth.rejected');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      reason,
      // The metric filters count operator/service and tenant rejections apart by this field.
      plane: route.plane,
      route: `${route.method} ${route.path}`,
      source_ip: '127.0.0.1',
      request_id: res.body.request_id,
    });
    // The credential never reaches a log line, whole or in part.
    expect(stack.logs.lines.join('\n')).not.toContain(stack.token.slice(4, 20));
  });
});

describe('HEAD of every guarded GET route goes through authentication like the GET', () => {
  test.each(guarded.filter((r) => r.method === 'GET'))('HEAD $path', async (route) => {
    stack.logs.clear();
    const res = await stack.request('HEAD', route.url, { token: null });
    expect(res.status).toBe(401);
    expect(res.text).toBe('');
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
    expect(stack.logs.events('auth.rejected')).toEqual([
      expect.objectContaining({ reason: 'missing_credential', route: `GET ${route.path}` }),
    ]);
  });
});

describe('a live tenant key sent twice, on every tenant route', () => {
  let key = '';
  let routesOfKey: ReturnType<typeof concreteRoutes> = [];
  beforeAll(async () => {
    const tenant = await stack.request('POST', '/v1/tenants', {
      body: { slug: uniqueSlug('twice'), name: 'T' },
    });
    const created = await stack.request('POST', '/v1/api-keys', {
      body: { tenant_id: tenant.body.tenant.id, name: 'k', scopes: SCOPES },
    });
    key = created.body.plaintext;
    routesOfKey = concreteRoutes({ tenant: tenant.body.tenant.slug }).filter((r) => r.plane === 'tenant');
  });
  const sent: [string, (k: string) => Headers, string][] = [
    ['Authorization', (k) => ({ authorization: [`Bearer ${k}`, `Bearer ${k}`] }), 'Authorization'],
    ['X-Api-Key', (k) => ({ 'x-api-key': [k, k] }), 'X-Api-Key'],
    ['X-Api-Key in two spellings', (k) => ({ 'X-Api-Key': k, 'x-api-key': k }), 'X-Api-Key'],
  ];

  test.each(sent)(
    '%s -> 401 repeated_credential, one auth.rejected line, on every route',
    async (_, h, name) => {
      for (const route of routesOfKey) {
        stack.logs.clear();
        const res = await stack.request(route.method, route.url, { token: null, headers: h(key) });
        expect([route.path, res.status, res.body.error, res.body.message]).toEqual([
          route.path,
          401,
          'unauthorized',
          `the ${name} header is repeated: send the credential once`,
        ]);
        const lines = stack.logs.events('auth.rejected');
        expect([route.path, lines.length, lines[0]?.reason]).toEqual([route.path, 1, 'repeated_credential']);
      }
    },
  );

  test('the key once, the tenant header twice -> 400 naming the header, on every route', async () => {
    for (const route of routesOfKey) {
      const res = await stack.request(route.method, route.url.replace(/^\/[^/]+/, '/tenant'), {
        token: null,
        headers: { 'x-api-key': key, 'x-tenant-id': ['a', 'b'] },
      });
      expect([route.path, res.status, res.body.error, res.body.message]).toEqual([
        route.path,
        400,
        'invalid_input',
        'the X-Tenant-ID header is repeated: name the tenant once',
      ]);
    }
  });
});

describe('a tenant that exists and one that does not get the same answer (issue: existence leak)', () => {
  // A key of `own` names `other` (exists) or a name of nobody, in every combination of path,
  // tenant header and tenant_id. The status and the body (but its request id) must be the same
  // for both, on every tenant route and whether or not allowed tenants are configured: else the
  // answer tells an attacker which tenants exist. Before the fix, path and header both naming
  // a tenant that does not exist was 400 tenant_conflict and an existing one 403 forbidden.
  let key = '';
  let own = { id: '', slug: '' };
  let other = { id: '', slug: '' };
  const tenantRoutes = concreteRoutes({ tenant: '{tenant}' }).filter((r) => r.plane === 'tenant');
  beforeAll(async () => {
    const make = async (base: string) => {
      const res = await stack.request('POST', '/v1/tenants', { body: { slug: uniqueSlug(base), name: 'T' } });
      return { id: res.body.tenant.id as string, slug: res.body.tenant.slug as string };
    };
    own = await make('own');
    other = await make('other');
    const created = await stack.request('POST', '/v1/api-keys', {
      body: { tenant_id: own.id, name: 'k', scopes: SCOPES },
    });
    key = created.body.plaintext;
  });
  afterAll(() => stack.configure({}));

  type Form = (x: string) => { segment: string; header?: string; query?: string };
  const forms: [string, Form][] = [
    ['path', (x) => ({ segment: x })],
    ['path + header', (x) => ({ segment: x, header: x })],
    ['path + query', (x) => ({ segment: x, query: x })],
    ['path + header + query', (x) => ({ segment: x, header: x, query: x })],
    ['header', (x) => ({ segment: 'tenant', header: x })],
    ['query', (x) => ({ segment: 'tenant', query: x })],
    ['header + query', (x) => ({ segment: 'tenant', header: x, query: x })],
    ['path + own header', (x) => ({ segment: x, header: own.slug })],
    ['own path + header', (x) => ({ segment: own.slug, header: x })],
    ['own path + query', (x) => ({ segment: own.slug, query: x })],
  ];
  const configs: [string, () => Record<string, string>][] = [
    ['all tenants served', () => ({})],
    ['allowed tenants: both', () => ({ TENANT_REGISTRY_ALLOWED_TENANTS: `${own.slug},${other.slug}` })],
    ['allowed tenants: the own only', () => ({ TENANT_REGISTRY_ALLOWED_TENANTS: own.id })],
  ];

  test.each(configs)('%s: same status and body on every tenant route and naming form', async (_, env) => {
    stack.configure(env());
    const answer = async (route: (typeof tenantRoutes)[number], form: Form, name: string) => {
      const { segment, header, query } = form(name);
      const url =
        route.url.replace('{tenant}', encodeURIComponent(segment)) +
        (query === undefined ? '' : `?tenant_id=${encodeURIComponent(query)}`);
      const res = await stack.request(route.method, url, {
        token: null,
        headers: { 'x-api-key': key, ...(header === undefined ? {} : { 'x-tenant-id': header }) },
      });
      const { request_id: _id, ...body } = res.body as Record<string, unknown>;
      return { status: res.status, body };
    };
    const outcomes = new Map<string, number>();
    for (const route of tenantRoutes) {
      for (const [label, form] of forms) {
        for (const [existing, missing] of [
          [other.slug, uniqueSlug('nobody')],
          [other.id, randomUUID()],
        ] as const) {
          const seen = await answer(route, form, existing);
          const unseen = await answer(route, form, missing);
          expect([route.operationId, label, seen]).toEqual([route.operationId, label, unseen]);
          const outcome = `${seen.status} ${String(seen.body.error)}`;
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
      }
    }
    // The sweep covered both refusals: none of the names is the key's tenant (403) and some are (400).
    expect([...outcomes.keys()].sort()).toEqual(['400 tenant_conflict', '403 forbidden']);
  });
});

describe('the other plane', () => {
  test('a valid tenant API key, all scopes, opens no operator or service route', async () => {
    const tenant = await stack.request('POST', '/v1/tenants', { body: { slug: 'plane-hopper', name: 'P' } });
    const key = await stack.request('POST', '/v1/api-keys', {
      body: {
        tenant_id: tenant.body.tenant.id,
        name: 'k',
        scopes: SCOPES,
      },
    });
    expect((await stack.request('GET', '/plane-hopper/profile', { token: key.body.plaintext })).status).toBe(
      200,
    );
    for (const route of adminGuarded) {
      const sent: Record<string, string>[] = [
        { authorization: `Bearer ${key.body.plaintext}` },
        { 'x-api-key': key.body.plaintext },
      ];
      for (const headers of sent) {
        const res = await stack.request(route.method, route.url, { token: null, headers });
        expect([route.path, res.status]).toEqual([route.path, 401]);
      }
    }
  });
});

describe('switched off', () => {
  afterEach(() => stack.configure({}));

  const offStates: [string, Record<string, string | undefined>][] = [
    ['API not enabled', { TENANT_REGISTRY_API_ENABLED: undefined }],
    ['API enabled=false', { TENANT_REGISTRY_API_ENABLED: 'false' }],
    ['no token configured', { TENANT_REGISTRY_API_TOKEN_SECRET_ID: undefined }],
    [
      'a token under 32 characters',
      { TENANT_REGISTRY_API_TOKEN_SECRET_ID: undefined, TENANT_REGISTRY_API_TOKEN: 'x'.repeat(31) },
    ],
  ];

  test.each(offStates)('%s: every guarded route answers exactly like an unknown route', async (_, env) => {
    stack.configure(env);
    const unknown = await stack.request('GET', '/v1/no-such-route');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe(UNKNOWN_ROUTE_BODY);
    stack.logs.clear();
    for (const route of guarded) {
      const res = await stack.request(route.method, route.url, { token: stack.token });
      expect([route.path, res.status, res.text]).toEqual([route.path, 404, UNKNOWN_ROUTE_BODY]);
      expect(res.headers).toEqual(unknown.headers);
      // HEAD and OPTIONS are behind the same gate.
      const options = await stack.request('OPTIONS', route.url, { token: null });
      expect([route.path, options.status, options.text]).toEqual([route.path, 404, UNKNOWN_ROUTE_BODY]);
      expect(options.headers).toEqual(unknown.headers);
      if (route.method === 'GET') {
        const head = await stack.request('HEAD', route.url, { token: stack.token });
        expect([route.path, head.status, head.text]).toEqual([route.path, 404, '']);
        expect(head.headers).toEqual(unknown.headers);
      }
    }
    // Nobody's credential was judged: the API is simply not there.
    expect(stack.logs.events('auth.rejected')).toHaveLength(0);
  });

  test('health probes stay up with the API off, without credentials', async () => {
    stack.configure({ TENANT_REGISTRY_API_ENABLED: 'false' });
    for (const route of open) {
      const res = await stack.request(route.method, route.url, { token: null });
      expect(res.status).toBe(200);
      const head = await stack.request('HEAD', route.url, { token: null });
      expect([head.status, head.text]).toEqual([200, '']);
      const options = await stack.request('OPTIONS', route.url, { token: null });
      expect([options.status, options.headers.allow]).toEqual([204, 'GET, HEAD, OPTIONS']);
    }
  });

  test('a 32-character local token turns the API on', async () => {
    const token = 'y'.repeat(32);
    stack.configure({ TENANT_REGISTRY_API_TOKEN_SECRET_ID: undefined, TENANT_REGISTRY_API_TOKEN: token });
    expect((await stack.request('GET', '/v1/version', { token })).status).toBe(200);
    expect((await stack.request('GET', '/v1/version', { token: 'y'.repeat(33) })).status).toBe(401);
  });
});

describe('token rotation', () => {
  test('the previous version stays valid; the new one is picked up without waiting for the cache', async () => {
    const { PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    stack.configure({ TENANT_REGISTRY_TOKEN_REFRESH_MIN_SECONDS: '0' });
    const old = stack.token;
    expect((await stack.request('GET', '/v1/version', { token: old })).status).toBe(200);
    const next = randomToken();
    await stack.secrets.send(new PutSecretValueCommand({ SecretId: stack.secretId, SecretString: next }));
    expect((await stack.request('GET', '/v1/version', { token: next })).status).toBe(200);
    expect((await stack.request('GET', '/v1/version', { token: old })).status).toBe(200);
    // Put the original back for the other tests.
    await stack.secrets.send(new PutSecretValueCommand({ SecretId: stack.secretId, SecretString: old }));
    stack.configure({});
  });

  test('a flood of bad tokens costs at most one Secrets Manager refresh per interval', async () => {
    stack.configure({});
    await stack.request('GET', '/v1/version');
    stack.resetStats();
    for (let i = 0; i < 200; i++) await stack.request('GET', '/v1/version', { token: randomToken() });
    const calls = Object.values(stack.secretsStats()).reduce((a, b) => a + b, 0);
    expect(calls).toBeLessThanOrEqual(3);
  });
});
