import * as app from '../../shared/app';
import { SCOPES } from '../../shared/domain/api-key';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import { AliasRemoval } from '../../shared/services/aliases';
import { ManualClock } from '../support/clock';
import { startStack, type TestStack } from '../support/stack';

/**
 * The tenant plane's rules, one by one (issue 5; DESIGN.md "Tenant endpoints"): credentials,
 * the ways of naming a tenant and their errors, the selection settings, scopes, frozen and
 * archived tenants, and each endpoint touching only the caller's own tenant. The isolation
 * matrix (tenant-isolation.test.ts) crosses all of it; this file says what each rule is.
 */

let stack: TestStack;
interface Fixture {
  readonly id: string;
  readonly slug: string;
  readonly key: string;
  readonly keyId: string;
}
let acme: Fixture;
let corp: Fixture;

async function tenantWithKey(slug: string, scopes: readonly string[] = SCOPES): Promise<Fixture> {
  const t = await stack.request('POST', '/v1/tenants', { body: { slug, name: `Tenant ${slug}` } });
  expect(t.status).toBe(201);
  const k = await newKey(t.body.tenant.id, scopes);
  return { id: t.body.tenant.id, slug, ...k };
}

async function newKey(tenantId: string, scopes: readonly string[] = SCOPES, extra: object = {}) {
  const k = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: tenantId, name: 'tenant plane', scopes, ...extra },
  });
  expect(k.status).toBe(201);
  return { key: k.body.plaintext as string, keyId: k.body.api_key.id as string };
}

/** A request with a tenant key in X-Api-Key (no admin token). */
const as = (key: string, headers: Record<string, string> = {}) => ({
  token: null,
  headers: { 'x-api-key': key, ...headers },
});
const withoutRequestId = (body: Record<string, unknown>) => {
  const { request_id: _id, ...rest } = body;
  return rest;
};

beforeAll(async () => {
  stack = await startStack();
});
// The shared tenants are made before the first test that runs, not in beforeAll: what a test's
// hooks run counts as that test's (`npm run mutate` then re-runs only the tests that reach a
// mutant, rather than every test for code run in beforeAll).
beforeEach(async () => {
  if (acme) return;
  acme = await tenantWithKey('acme');
  corp = await tenantWithKey('acme-corp');
  expect(
    (await stack.request('POST', `/v1/tenants/${acme.id}/aliases`, { body: { slug: 'acme-legacy' } })).status,
  ).toBe(201);
});
afterAll(async () => {
  await app.apiKeys().settled();
  await stack.close();
});
afterEach(() => stack.configure({}));

describe('naming the tenant', () => {
  test.each([
    ['the primary slug', () => '/acme/profile', {}],
    ['an alias', () => '/acme-legacy/profile', {}],
    ['the UUID', () => `/${acme.id}/profile`, {}],
    ['the X-Tenant-ID header', () => '/tenant/profile', { 'x-tenant-id': 'acme' }],
    [
      'the header by UUID, any case',
      () => '/tenant/profile',
      () => ({ 'X-Tenant-ID': acme.id.toUpperCase() }),
    ],
    ['the tenant_id query', () => '/tenant/profile?tenant_id=acme-legacy', {}],
    ['the header over the query', () => '/tenant/profile?tenant_id=acme-corp', { 'x-tenant-id': 'acme' }],
    ['the path with an agreeing header (by alias)', () => '/acme/profile', { 'x-tenant-id': 'acme-legacy' }],
    // One rule for all three forms: ASCII case folds (the header and query are also trimmed).
    ['the path in upper case', () => '/ACME/profile', {}],
    ['an alias in mixed case', () => '/Acme-Legacy/profile', {}],
    ['the UUID in upper case', () => `/${acme.id.toUpperCase()}/profile`, {}],
    ['the query in upper case, padded', () => '/tenant/profile?tenant_id=%20ACME%20', {}],
    [
      'the path with an agreeing header, cases apart',
      () => '/ACME/profile',
      { 'x-tenant-id': ' acme-LEGACY ' },
    ],
  ] as [string, () => string, Record<string, string> | (() => Record<string, string>)][])(
    'by %s',
    async (_how, path, headers) => {
      const res = await stack.request(
        'GET',
        path(),
        as(acme.key, typeof headers === 'function' ? headers() : headers),
      );
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(acme.id);
      expect(res.body.aliases.sort()).toEqual(['acme', 'acme-legacy']);
      expect(res.headers.etag).toBe(`"v${res.body.version}"`);
      // The operators' business references are not the tenant's to read.
      for (const field of ['sales_owner', 'erp_customer_id', 'stripe_cust_id', 'cancel_reason'])
        expect(res.body).not.toHaveProperty(field);
    },
  );

  test('/tenant/... without header or query is 400 and says what to send, listing no tenant', async () => {
    const res = await stack.request('GET', '/tenant/profile', as(acme.key));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('tenant_required');
    expect(res.body.message).toContain('X-Tenant-ID header');
    expect(res.body.message).toContain('tenant_id query parameter');
    expect(res.text).not.toMatch(/acme/);
  });

  test('a header or query that can name no tenant is 400', async () => {
    for (const headers of [{ 'x-tenant-id': 'Not A Slug!' }, { 'x-tenant-id': 'x'.repeat(65) }]) {
      const res = await stack.request('GET', '/tenant/profile', as(acme.key, headers));
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('X-Tenant-ID header must be a tenant slug or UUID');
    }
    const q = await stack.request('GET', '/tenant/profile?tenant_id=%20%2F..', as(acme.key));
    expect(q.status).toBe(400);
    const repeated = await stack.request(
      'GET',
      '/tenant/profile?tenant_id=acme&tenant_id=acme',
      as(acme.key),
    );
    expect(repeated.status).toBe(400);
  });

  test('path and header (or query) naming different tenants is 400, whether the other exists or not', async () => {
    const bodies = [];
    for (const [path, headers] of [
      ['/acme/profile', { 'x-tenant-id': 'acme-corp' }],
      ['/acme/profile', { 'x-tenant-id': 'nobody-here' }],
      ['/acme/profile?tenant_id=acme-corp', {}],
      [`/${acme.id}/profile`, { 'x-tenant-id': corp.id }],
    ] as const) {
      const res = await stack.request('GET', path, as(acme.key, headers));
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('tenant_conflict');
      bodies.push(withoutRequestId(res.body));
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
  });

  test('a path segment no tenant can have is exactly an unknown route', async () => {
    for (const path of [
      '/v1/profile',
      '/swagger/profile',
      '/SWAGGER/profile',
      '/a/profile',
      '/%ZZ/profile',
      '/%20acme/profile',
      '/6f1c2d3e4a5b4c6d8e7f0123456789ab/profile',
    ]) {
      const res = await stack.request('GET', path, { ...as(acme.key), unchecked: true });
      expect(res.status).toBe(404);
      expect(res.text).toBe(UNKNOWN_ROUTE_BODY);
    }
    // No global swagger.
    expect((await stack.request('GET', '/swagger', as(acme.key))).text).toBe(UNKNOWN_ROUTE_BODY);
  });
});

describe('the credential', () => {
  test('Bearer and X-Api-Key both work; both together must agree', async () => {
    expect((await stack.request('GET', '/acme/profile', { token: acme.key })).status).toBe(200);
    expect(
      (await stack.request('GET', '/acme/profile', { token: acme.key, headers: { 'x-api-key': acme.key } }))
        .status,
    ).toBe(200);
    const mixed = await stack.request('GET', '/acme/profile', {
      token: acme.key,
      headers: { 'x-api-key': corp.key },
    });
    expect(mixed.status).toBe(401);
  });

  test('no key, another scheme, garbage, or the admin token: 401 with one auth.rejected line each', async () => {
    stack.logs.clear();
    const attempts = [
      { token: null },
      { token: null, headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } },
      { token: 'trk_not-a-key' },
      { token: `${acme.key.slice(0, -1)}${acme.key.endsWith('0') ? '1' : '0'}` },
      { token: stack.token },
    ];
    for (const options of attempts) {
      const res = await stack.request('GET', '/acme/profile', options);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body.error).toBe('unauthorized');
    }
    const rejected = stack.logs.events('auth.rejected');
    expect(rejected).toHaveLength(attempts.length);
    for (const line of rejected) expect(line.route).toBe('GET /{tenant}/profile');
    const text = JSON.stringify(stack.logs.json());
    expect(text).not.toContain(stack.token);
    expect(text).not.toContain(acme.key.slice(4, 30));
  });

  test('a valid key naming another tenant, or one that does not exist, gets the same 403', async () => {
    stack.logs.clear();
    const other = await stack.request('GET', '/acme-corp/profile', as(acme.key));
    const missing = await stack.request('GET', '/no-such-tenant/profile', as(acme.key));
    const missingId = await stack.request(
      'GET',
      '/00000000-0000-4000-8000-000000000000/profile',
      as(acme.key),
    );
    for (const res of [other, missing, missingId]) {
      expect(res.status).toBe(403);
      expect(withoutRequestId(res.body)).toEqual(withoutRequestId(other.body));
    }
    expect(stack.logs.events('auth.rejected').map((l) => l.reason)).toEqual([
      'tenant_mismatch',
      'tenant_mismatch',
      'tenant_mismatch',
    ]);
    expect(JSON.stringify(stack.logs.json())).not.toContain(corp.id);
  });

  test('each endpoint needs its scope', async () => {
    const narrow = await newKey(acme.id, ['profile:read']);
    expect((await stack.request('GET', '/acme/profile', as(narrow.key))).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/acme/entitlements'],
      ['GET', '/acme/audit'],
      ['POST', '/acme/audit?action=a.b'],
      ['GET', '/acme/api-keys'],
      ['POST', `/acme/api-keys/${narrow.keyId}/roll`],
      ['GET', '/acme/swagger'],
      ['POST', '/acme/catalog/request?product=p'],
    ] as const) {
      const res = await stack.request(method, path, as(narrow.key));
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('scope_missing');
    }
  });

  test('a revoked or expired key is 401', async () => {
    const doomed = await newKey(acme.id);
    expect((await stack.request('GET', '/acme/profile', as(doomed.key))).status).toBe(200);
    expect((await stack.request('DELETE', `/v1/api-keys/${doomed.keyId}`)).status).toBe(204);
    expect((await stack.request('GET', '/acme/profile', as(doomed.key))).status).toBe(401);

    // A manual clock, not a sleep: the key expires in a minute and the test moves time past it.
    const clock = new ManualClock();
    stack.configure({}, { clock });
    try {
      const expiresAt = new Date(clock.now().getTime() + 60_000).toISOString();
      const brief = await newKey(acme.id, SCOPES, { expires_at: expiresAt });
      expect((await stack.request('GET', '/acme/profile', as(brief.key))).status).toBe(200);
      // The manual clock runs on real time plus its offset: leave a margin for a slow machine.
      clock.advance(40_000);
      expect((await stack.request('GET', '/acme/profile', as(brief.key))).status).toBe(200);
      clock.advance(20_000);
      const expired = await stack.request('GET', '/acme/profile', as(brief.key));
      expect([expired.status, expired.body.error]).toEqual([401, 'unauthorized']);
    } finally {
      stack.configure({});
    }
  });
});

describe('selection settings', () => {
  test('the header name is configurable, and messages name it', async () => {
    stack.configure({ TENANT_REGISTRY_TENANT_HEADER: 'X-Org' });
    expect((await stack.request('GET', '/tenant/profile', as(acme.key, { 'x-org': 'acme' }))).status).toBe(
      200,
    );
    const res = await stack.request('GET', '/tenant/profile', as(acme.key, { 'x-tenant-id': 'acme' }));
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('X-Org header');
  });

  test('not required: the default tenant, else the key’s own', async () => {
    stack.configure({
      TENANT_REGISTRY_TENANT_REQUIRED: 'false',
      TENANT_REGISTRY_DEFAULT_TENANT: 'acme-corp',
    });
    expect((await stack.request('GET', '/tenant/profile', as(corp.key))).body.id).toBe(corp.id);
    expect((await stack.request('GET', '/tenant/profile', as(acme.key))).status).toBe(403);
    stack.configure({ TENANT_REGISTRY_TENANT_REQUIRED: 'false' });
    expect((await stack.request('GET', '/tenant/profile', as(acme.key))).body.id).toBe(acme.id);
  });

  test('allowed tenants: any other is 403 on every form, and the error lists none', async () => {
    stack.configure({
      TENANT_REGISTRY_ALLOWED_TENANTS: `acme-legacy,${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`,
    });
    expect((await stack.request('GET', '/acme/profile', as(acme.key))).status).toBe(200);
    expect((await stack.request('GET', `/${acme.id}/profile`, as(acme.key))).status).toBe(200);
    for (const path of ['/acme-corp/profile', '/tenant/profile?tenant_id=acme-corp']) {
      const res = await stack.request('GET', path, as(corp.key));
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('tenant_not_allowed');
      expect(res.text).not.toMatch(/acme|0000/);
    }
  });
});

describe('a removed alias and a retired tenant stop resolving at once in this container', () => {
  const clock = new ManualClock();
  beforeEach(() => stack.configure({}, { clock }));

  /** What a valid key gets for a name no tenant holds: the same 403 as any other tenant's. */
  async function unknownName(key: string) {
    const res = await stack.request('GET', '/no-such-org/profile', as(key));
    expect(res.status).toBe(403);
    return withoutRequestId(res.body);
  }

  test('DELETE alias: the removed slug answers as an unknown name on the very next request', async () => {
    expect(
      (await stack.request('POST', `/v1/tenants/${acme.id}/aliases`, { body: { slug: 'acme-gone' } })).status,
    ).toBe(201);
    // Both resolvers of this container hold the alias now: the tenant plane's and by-slug's.
    expect((await stack.request('GET', '/acme-gone/profile', as(acme.key))).status).toBe(200);
    expect(
      (await stack.request('GET', '/tenant/profile', as(acme.key, { 'x-tenant-id': 'acme-gone' }))).status,
    ).toBe(200);
    expect((await stack.request('GET', '/v1/tenants/by-slug/acme-gone')).status).toBe(200);

    expect((await stack.request('DELETE', `/v1/tenants/${acme.id}/aliases/acme-gone`)).status).toBe(200);
    // No time passes: the clock stands still, far inside the alias cache TTL.
    const unknown = await unknownName(acme.key);
    for (const [path, headers] of [
      ['/acme-gone/profile', {}],
      ['/tenant/profile', { 'x-tenant-id': 'acme-gone' }],
      ['/tenant/profile?tenant_id=acme-gone', {}],
    ] as const) {
      const res = await stack.request('GET', path, as(acme.key, headers));
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('forbidden');
      expect(withoutRequestId(res.body)).toEqual(unknown);
    }
    const conflict = await stack.request(
      'GET',
      '/acme/profile',
      as(acme.key, { 'x-tenant-id': 'acme-gone' }),
    );
    expect(conflict.status).toBe(400);
    expect(conflict.body.error).toBe('tenant_conflict');
    const bySlug = await stack.request('GET', '/v1/tenants/by-slug/acme-gone');
    expect(bySlug.status).toBe(404);
    expect(bySlug.body.error).toBe('not_found');
    // The tenant's other names still work.
    expect((await stack.request('GET', '/acme-legacy/profile', as(acme.key))).status).toBe(200);
  });

  test('removed in another container (this cache not told): still refused at once, as the tenant read decides', async () => {
    expect(
      (await stack.request('POST', `/v1/tenants/${acme.id}/aliases`, { body: { slug: 'acme-elsewhere' } }))
        .status,
    ).toBe(201);
    expect((await stack.request('GET', '/acme-elsewhere/profile', as(acme.key))).status).toBe(200);
    // The removeAlias function of another container: its own resolver, none of this one's caches.
    const elsewhere = new AliasRemoval(
      app.tenantStore(),
      app.aliasRegistry(),
      app.aliasResolver(),
      app.clock,
      30,
    );
    await elsewhere.remove(acme.id, 'acme-elsewhere', {
      actor_id: 'ops',
      actor_type: 'operator',
      origin: 'operator',
    });
    const unknown = await unknownName(acme.key);
    const res = await stack.request('GET', '/acme-elsewhere/profile', as(acme.key));
    expect(res.status).toBe(403);
    expect(withoutRequestId(res.body)).toEqual(unknown);
    const header = await stack.request(
      'GET',
      '/acme/profile',
      as(acme.key, { 'x-tenant-id': 'acme-elsewhere' }),
    );
    expect(header.status).toBe(400);
    expect(header.body.error).toBe('tenant_conflict');
  });

  test('DELETE tenant: none of its aliases resolves any more, at once', async () => {
    const t = await tenantWithKey('retiring');
    expect(
      (await stack.request('POST', `/v1/tenants/${t.id}/aliases`, { body: { slug: 'retiring-alias' } }))
        .status,
    ).toBe(201);
    for (const name of ['retiring', 'retiring-alias'])
      expect((await stack.request('GET', `/${name}/profile`, as(t.key))).status).toBe(200);
    expect((await stack.request('DELETE', `/v1/tenants/${t.id}`)).status).toBe(200);
    // Its key may still be in this container's key cache: the names resolve to nobody regardless.
    const unknown = await unknownName(t.key);
    for (const name of ['retiring', 'retiring-alias']) {
      const res = await stack.request('GET', `/${name}/profile`, as(t.key));
      expect(res.status).toBe(403);
      expect(withoutRequestId(res.body)).toEqual(unknown);
      expect((await stack.request('GET', `/v1/tenants/by-slug/${name}`)).status).toBe(404);
    }
    expect((await stack.request('GET', `/${t.id}/profile`, as(t.key))).status).toBe(401);
  });
});

describe('frozen and archived tenants', () => {
  test('a frozen tenant reads but does not write; the service plane says its keys are invalid', async () => {
    const t = await tenantWithKey('frosty');
    expect((await stack.request('POST', `/v1/tenants/${t.id}/cancel`, { body: {} })).status).toBe(200);
    expect((await stack.request('GET', '/frosty/profile', as(t.key))).body.status).toBe('frozen');
    expect((await stack.request('GET', '/frosty/audit', as(t.key))).status).toBe(200);
    for (const [method, path] of [
      ['POST', '/frosty/audit?action=a.b'],
      ['POST', '/frosty/api-keys?name=n'],
      ['DELETE', `/frosty/api-keys/${t.keyId}`],
      ['POST', `/frosty/api-keys/${t.keyId}/roll`],
      ['POST', '/frosty/catalog/request?product=p'],
    ] as const) {
      const res = await stack.request(method, path, as(t.key));
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('tenant_frozen');
    }
    const verify = await stack.request('POST', '/v1/internal/api-keys/verify', { body: { key: t.key } });
    expect(verify.body).toEqual({ valid: false });
  });

  test("an archived tenant's keys are invalid", async () => {
    const t = await tenantWithKey('gone-soon');
    expect((await stack.request('GET', '/gone-soon/profile', as(t.key))).status).toBe(200);
    expect((await stack.request('DELETE', `/v1/tenants/${t.id}`)).status).toBe(200);
    expect((await stack.request('GET', `/${t.id}/profile`, as(t.key))).status).toBe(401);
  });
});

describe('endpoints touch only the caller’s tenant', () => {
  test('audit: appended events belong to the caller; the list holds only its own', async () => {
    const appended = await stack.request('POST', '/acme/audit', {
      ...as(acme.key),
      body: { action: 'widget.made', target_id: 'w-1' },
    });
    expect(appended.status).toBe(201);
    expect(appended.body).toMatchObject({
      tenant_id: acme.id,
      actor_id: acme.keyId,
      actor_type: 'api_key',
      origin: 'tenant',
      key_id: acme.keyId,
    });
    // Passing for the operator is refused: the registry's actions and its actor types are its own.
    const asOperator = await stack.request('POST', '/acme/audit', {
      ...as(acme.key),
      body: { action: 'tenant.activated', actor_id: 'admin', actor_type: 'operator' },
    });
    expect([asOperator.status, asOperator.body.error]).toEqual([400, 'reserved_action']);
    const typed = await stack.request('POST', '/acme/audit', {
      ...as(acme.key),
      body: { action: 'widget.made', actor_id: 'admin', actor_type: 'operator' },
    });
    expect([typed.status, typed.body.error]).toEqual([400, 'reserved_actor_type']);
    const forged = await stack.request('POST', '/acme/audit', {
      ...as(acme.key),
      body: { action: 'x.y', tenant_id: corp.id },
    });
    expect(forged.status).toBe(400);
    const list = await stack.request('GET', '/acme/audit?limit=500', as(acme.key));
    expect(list.body.items.length).toBeGreaterThan(0);
    for (const e of list.body.items) expect(e.tenant_id).toBe(acme.id);
    expect(list.body.items.map((e: { action: string }) => e.action)).toContain('widget.made');
    const filtered = await stack.request('GET', '/acme/audit?action=widget.made', as(acme.key));
    expect(filtered.body.items).toHaveLength(1);
    const byKey = await stack.request('GET', `/acme/audit?key_id=${acme.keyId}&origin=tenant`, as(acme.key));
    expect(byKey.body.items.map((e: { id: number }) => e.id)).toContain(appended.body.id);
    for (const e of byKey.body.items) expect(e).toMatchObject({ origin: 'tenant', key_id: acme.keyId });
    expect((await stack.request('GET', `/acme/audit?tenant_id=${corp.id}`, as(acme.key))).status).toBe(400);
  });

  test('api keys: list own, create within held scopes, revoke own only', async () => {
    const list = await stack.request('GET', '/acme/api-keys', as(acme.key));
    expect(list.status).toBe(200);
    for (const k of list.body.items) {
      expect(k.tenant_id).toBe(acme.id);
      expect(k).not.toHaveProperty('secret_hash');
    }
    const reader = await newKey(acme.id, ['profile:read', 'keys:manage']);
    const escalate = await stack.request('POST', '/acme/api-keys', {
      ...as(reader.key),
      body: { name: 'sneaky', scopes: ['audit:write'] },
    });
    expect(escalate.status).toBe(403);
    expect(escalate.body.error).toBe('scope_not_held');
    const defaults = await stack.request('POST', '/acme/api-keys?name=child', as(reader.key));
    expect(defaults.status).toBe(201);
    expect(defaults.body.api_key).toMatchObject({
      tenant_id: acme.id,
      scopes: ['profile:read'],
      created_by: `api_key:${reader.keyId}`,
    });
    expect((await stack.request('GET', '/acme/profile', as(defaults.body.plaintext))).status).toBe(200);

    const foreign = await stack.request('DELETE', `/acme/api-keys/${corp.keyId}`, as(acme.key));
    expect(foreign.status).toBe(404);
    expect((await stack.request('GET', '/acme-corp/profile', as(corp.key))).status).toBe(200);
    const own = await stack.request('DELETE', `/acme/api-keys/${defaults.body.api_key.id}`, as(acme.key));
    expect(own.status).toBe(204);
    expect((await stack.request('GET', '/acme/profile', as(defaults.body.plaintext))).status).toBe(401);
  });

  test('catalog: a product request and a trial for the caller’s tenant, visible to operators', async () => {
    const put = await stack.request('PUT', '/v1/catalog/widgets', {
      body: { name: 'Widgets', description: 'w', supports_trial: true, plans_required: [] },
    });
    expect(put.status).toBe(200);
    const asked = await stack.request('POST', '/acme/catalog/request', {
      ...as(acme.key),
      body: { product: 'widgets' },
    });
    expect(asked.status).toBe(202);
    const trial = await stack.request('POST', '/acme/catalog/trial-request?product=widgets', as(acme.key));
    expect(trial.status).toBe(201);
    expect(trial.body).toMatchObject({ tenant_id: acme.id, product: 'widgets', trial: true, enabled: true });
    const again = await stack.request('POST', '/acme/catalog/trial-request?product=widgets', as(acme.key));
    expect(again.status).toBe(409);
    const own = await stack.request('GET', '/acme/entitlements', as(acme.key));
    expect(own.body.items.map((e: { product: string }) => e.product)).toEqual(['widgets']);
    const theirs = await stack.request('GET', '/acme-corp/entitlements', as(corp.key));
    expect(theirs.body.items).toEqual([]);
    const operator = await stack.request('GET', `/v1/entitlements?tenant_id=${acme.id}`);
    expect(operator.body.items[0]).toMatchObject({ product: 'widgets', trial: true });
  });
});
