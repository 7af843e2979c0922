import { SCOPES } from '../../shared/domain/api-key';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import { concreteRoutes } from '../support/routes';
import { randomToken, startStack, type TestStack } from '../support/stack';

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

const credentials: [string, (token: string) => Record<string, string>, string][] = [
  ['no credential', () => ({}), 'missing_credential'],
  ['a wrong token', () => ({ authorization: `Bearer ${randomToken()}` }), 'invalid_credential'],
  [
    'the right token one character short',
    (t) => ({ authorization: `Bearer ${t.slice(0, -1)}` }),
    'invalid_credential',
  ],
  ['the wrong scheme', (t) => ({ authorization: `Basic ${t}` }), 'wrong_scheme'],
  ['a bare token', (t) => ({ authorization: t }), 'wrong_scheme'],
];

describe.each(guarded)('$method $path', (route) => {
  test.each(credentials)('%s -> 401 and exactly one auth.rejected line', async (_, headers, reason) => {
    stack.logs.clear();
    const res = await stack.request(route.method, route.url, { token: null, headers: headers(stack.token) });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthorized');
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
    }
    // Nobody's credential was judged: the API is simply not there.
    expect(stack.logs.events('auth.rejected')).toHaveLength(0);
  });

  test('health probes stay up with the API off, without credentials', async () => {
    stack.configure({ TENANT_REGISTRY_API_ENABLED: 'false' });
    for (const route of open) {
      const res = await stack.request(route.method, route.url, { token: null });
      expect(res.status).toBe(200);
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
