import { randomUUID } from 'node:crypto';
import { SCOPES } from '../../shared/domain/api-key';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { fileStack, type TestResponse } from '../support/stack';

/**
 * What a 201 says besides its body (issue 10): `Location` leads to what was created, on both
 * planes, as a reference relative to the URL called, so it also holds behind an API Gateway
 * stage; createTenant's `ETag` is the new tenant's version, and a replay answers the first
 * response's headers again. Each Location is followed with the operation that lives there.
 */
const stack = fileStack();

/** Where a Location lands, resolved as a client resolves it against the URL it called. */
const follow = (res: TestResponse, called: string, prefix = '') =>
  new URL(res.headers.location ?? '(none)', `https://api.example${prefix}${called}`).pathname;

const as = (key: string, headers: Record<string, string> = {}) => ({
  token: null,
  headers: { 'x-api-key': key, ...headers },
});

async function tenant(): Promise<{ id: string; slug: string }> {
  const slug = uniqueSlug('loc');
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug) });
  expect(res.status).toBe(201);
  return { id: res.body.tenant.id, slug };
}

describe('createTenant', () => {
  test('sends the tenant URL and its version; GET there answers the same ETag', async () => {
    const slug = uniqueSlug('loc');
    const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug) });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`tenants/${res.body.tenant.id}`);
    expect(res.headers.etag).toBe('"v1"');
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    for (const prefix of ['', '/prod'])
      expect(follow(res, '/v1/tenants', prefix)).toBe(`${prefix}/v1/tenants/${res.body.tenant.id}`);
    const got = await stack.request('GET', follow(res, '/v1/tenants'));
    expect([got.status, got.headers.etag, got.body.slug]).toEqual([200, '"v1"', slug]);
  });

  test('a trailing slash in the URL called still leads to the tenant', async () => {
    const res = await stack.request('POST', '/v1/tenants/', { body: tenantBody(uniqueSlug('loc')) });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(res.body.tenant.id);
    expect(follow(res, '/v1/tenants/')).toBe(`/v1/tenants/${res.body.tenant.id}`);
  });

  test('a replay answers the first response again: status, body, ETag and Location', async () => {
    const key = randomUUID();
    const body = tenantBody(uniqueSlug('loc'));
    const first = await stack.request('POST', '/v1/tenants', { body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    const id = first.body.tenant.id as string;
    // The tenant moves on; the replay is still the first response, whose ETag matches its body.
    const patched = await stack.request('PATCH', `/v1/tenants/${id}`, { body: { name: 'Renamed' } });
    expect(patched.headers.etag).toBe('"v2"');
    const replay = await stack.request('POST', '/v1/tenants', { body, headers: { 'idempotency-key': key } });
    expect({
      status: replay.status,
      body: replay.body,
      etag: replay.headers.etag,
      location: replay.headers.location,
      replayed: replay.headers['idempotent-replayed'],
    }).toEqual({
      status: 201,
      body: first.body,
      etag: '"v1"',
      location: `tenants/${id}`,
      replayed: 'true',
    });
  });
});

describe('operator plane', () => {
  test('addAlias: the alias URL, where removeAlias removes it', async () => {
    const t = await tenant();
    const alias = uniqueSlug('loc-a');
    const called = `/v1/tenants/${t.id}/aliases`;
    const res = await stack.request('POST', called, { body: { slug: alias } });
    expect([res.status, res.headers.location]).toEqual([201, `aliases/${alias}`]);
    const removed = await stack.request('DELETE', follow(res, called));
    expect([removed.status, removed.body.slug]).toEqual([200, alias]);
  });

  test('createApiKey and rollApiKey: the key URL, where it is rolled and revoked', async () => {
    const t = await tenant();
    const created = await stack.request('POST', '/v1/api-keys', { body: { tenant_id: t.id, name: 'loc' } });
    expect([created.status, created.headers.location]).toEqual([201, `api-keys/${created.body.api_key.id}`]);
    const keyUrl = follow(created, '/v1/api-keys');
    const rolled = await stack.request('POST', `${keyUrl}/roll`, { body: { overlap_seconds: 0 } });
    expect([rolled.status, rolled.headers.location]).toEqual([201, `../${rolled.body.api_key.id}`]);
    expect(follow(rolled, `${keyUrl}/roll`, '/prod')).toBe(`/prod/v1/api-keys/${rolled.body.api_key.id}`);
    expect((await stack.request('DELETE', follow(rolled, `${keyUrl}/roll`))).status).toBe(204);
    const listed = await stack.request('GET', `/v1/api-keys?tenant_id=${t.id}`);
    const revoked = listed.body.items.find((k: { id: string }) => k.id === rolled.body.api_key.id);
    expect(revoked.revoked_at).not.toBeNull();
  });

  test('requestTrial: the entitlement URL, where it is changed and revoked', async () => {
    const t = await tenant();
    const product = uniqueSlug('loc-p');
    const put = await stack.request('PUT', `/v1/catalog/${product}`, {
      body: { name: 'P', description: 'p', plans_required: [], supports_trial: true },
    });
    expect(put.status).toBe(200);
    const called = '/v1/catalog/trial-request';
    const res = await stack.request('POST', called, { body: { tenant_id: t.id, product } });
    expect([res.status, res.headers.location]).toEqual([201, `../tenants/${t.id}/entitlements/${product}`]);
    const granted = await stack.request('PUT', follow(res, called), { body: { config: { seats: 3 } } });
    expect([granted.status, granted.body.trial, granted.body.config]).toEqual([200, false, { seats: 3 }]);
    expect((await stack.request('DELETE', follow(res, called))).status).toBe(204);
  });

  test('appendAuditEvent: no Location, no URL names one event', async () => {
    const res = await stack.request('POST', '/v1/audit', { body: { action: 'loc.tested' } });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBeUndefined();
  });
});

describe('tenant plane', () => {
  let t: { id: string; slug: string };
  let key: string;
  beforeAll(async () => {
    t = await tenant();
    const k = await stack.request('POST', '/v1/api-keys', {
      body: { tenant_id: t.id, name: 'loc', scopes: [...SCOPES] },
    });
    key = k.body.plaintext;
  });

  test('createTenantApiKey: the key URL under the name the request used', async () => {
    const called = `/${t.slug}/api-keys`;
    const res = await stack.request('POST', called, { ...as(key), body: { name: 'made here' } });
    expect([res.status, res.headers.location]).toEqual([201, `api-keys/${res.body.api_key.id}`]);
    expect((await stack.request('DELETE', follow(res, called), as(key))).status).toBe(204);
  });

  test('under /tenant/..., the Location names the tenant in its path: no header needed there', async () => {
    const called = '/tenant/api-keys';
    const res = await stack.request('POST', called, {
      ...as(key, { 'x-tenant-id': t.slug }),
      body: { name: 'h' },
    });
    expect([res.status, res.headers.location]).toEqual([201, `../${t.slug}/api-keys/${res.body.api_key.id}`]);
    expect(follow(res, called, '/prod')).toBe(`/prod/${t.slug}/api-keys/${res.body.api_key.id}`);
    const rolled = await stack.request('POST', `${follow(res, called)}/roll`, as(key));
    expect([rolled.status, rolled.headers.location]).toEqual([201, `../${rolled.body.api_key.id}`]);
    expect(
      (await stack.request('DELETE', follow(rolled, `${follow(res, called)}/roll`), as(key))).status,
    ).toBe(204);
  });

  test('appendTenantAuditEvent and requestTenantTrial: no Location, no tenant-plane URL for one', async () => {
    const product = uniqueSlug('loc-tp');
    await stack.request('PUT', `/v1/catalog/${product}`, {
      body: { name: 'P', description: 'p', plans_required: [], supports_trial: true },
    });
    const trial = await stack.request('POST', `/${t.slug}/catalog/trial-request`, {
      ...as(key),
      body: { product },
    });
    const event = await stack.request('POST', `/${t.slug}/audit`, {
      ...as(key),
      body: { action: 'loc.tested' },
    });
    expect([trial.status, trial.headers.location, event.status, event.headers.location]).toEqual([
      201,
      undefined,
      201,
      undefined,
    ]);
  });
});
