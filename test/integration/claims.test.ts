import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { fileStack } from '../support/stack';

/** POST /v1/internal/keycloak/claims: lookup order, products, and dead disabled tenants. */

let now = Date.parse('2030-06-01T08:00:00.000Z');
const clock = { now: () => new Date(now) };
const DAY = 86_400_000;

const stack = fileStack(clock);

let n = 0;
const productKey = (base: string) => `${base}-${Date.now().toString(36)}-${++n}`;

async function createTenant(extra: Record<string, unknown> = {}) {
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('claims'), extra) });
  expect(res.status).toBe(201);
  return res.body.tenant as { id: string; slug: string };
}

async function product(key: string) {
  const res = await stack.request('PUT', `/v1/catalog/${key}`, {
    body: { name: key, description: '', plans_required: [], supports_trial: true },
  });
  expect(res.status).toBe(200);
  return key;
}

const claims = (body: unknown) => stack.request('POST', '/v1/internal/keycloak/claims', { body });

describe('lookup', () => {
  test('by tenant_id, tenant_slug (primary or alias), user_attrs.tenant_id and user_attrs.tenant_slug', async () => {
    const tenant = await createTenant({ plan: 'business' });
    const alias = uniqueSlug('claims-alias');
    expect(
      (await stack.request('POST', `/v1/tenants/${tenant.id}/aliases`, { body: { slug: alias } })).status,
    ).toBe(201);
    const expected = {
      tenant_id: tenant.id,
      tenant_slug: tenant.slug,
      plan: 'business',
      tenant_status: 'trial',
      org_roles: [],
      products: [],
    };
    for (const body of [
      { tenant_id: tenant.id },
      { tenant_id: tenant.id.toUpperCase() },
      { tenant_slug: tenant.slug },
      { tenant_slug: alias },
      { user_attrs: { tenant_id: tenant.id, locale: 'de' } },
      { user_attrs: { tenant_slug: alias } },
    ]) {
      const res = await claims(body);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expected);
    }
  });

  test('the first key present decides, even when it names nobody', async () => {
    const a = await createTenant();
    const b = await createTenant();
    expect((await claims({ tenant_id: a.id, tenant_slug: b.slug })).body.tenant_id).toBe(a.id);
    expect((await claims({ tenant_slug: b.slug, user_attrs: { tenant_id: a.id } })).body.tenant_id).toBe(
      b.id,
    );
    expect((await claims({ user_attrs: { tenant_id: a.id, tenant_slug: b.slug } })).body.tenant_id).toBe(
      a.id,
    );

    // A stale first key is a 404, never a fall-through to the next key's tenant.
    for (const body of [
      { tenant_id: crypto.randomUUID(), tenant_slug: b.slug },
      { tenant_slug: uniqueSlug('gone'), user_attrs: { tenant_id: a.id } },
      { tenant_slug: '', user_attrs: { tenant_id: a.id } },
      { user_attrs: { tenant_id: 'not-a-uuid', tenant_slug: b.slug } },
      { user_attrs: { tenant_id: crypto.randomUUID(), tenant_slug: b.slug } },
      { user_attrs: { tenant_slug: 'UPPER' } },
    ]) {
      const res = await claims(body);
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('not_found');
    }
  });

  test('no lookup key is a 400; malformed input is a 400', async () => {
    for (const body of [{}, { user_attrs: {} }, { user_attrs: { locale: 'de' } }]) {
      const res = await claims(body);
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('tenant_id');
    }
    for (const body of [
      { tenant_id: 'nope' },
      { user_attrs: { tenant_id: 5 } },
      { user_attrs: [] },
      { user_attrs: null },
      { user_attrs: { tenant_id: 'x'.repeat(1025) } },
      { tenant: 'x' },
    ]) {
      expect((await claims(body)).status).toBe(400);
    }
  });

  test('a removed alias names nobody at once', async () => {
    const tenant = await createTenant();
    const alias = uniqueSlug('claims-old');
    await stack.request('POST', `/v1/tenants/${tenant.id}/aliases`, { body: { slug: alias } });
    expect((await claims({ tenant_slug: alias })).status).toBe(200);
    await stack.request('DELETE', `/v1/tenants/${tenant.id}/aliases/${alias}`);
    expect((await claims({ tenant_slug: alias })).status).toBe(404);
  });
});

describe('products', () => {
  test('enabled, unexpired entitlements only, sorted', async () => {
    const tenant = await createTenant();
    const [pa, pb, pc, pd] = await Promise.all(['pa', 'pb', 'pc', 'pd'].map((p) => product(productKey(p))));
    const grant = (p: string | undefined, body?: unknown) =>
      stack.request('PUT', `/v1/tenants/${tenant.id}/entitlements/${p}`, body === undefined ? {} : { body });
    await grant(pb);
    await grant(pa, { expires_at: new Date(now + DAY).toISOString() });
    await grant(pc);
    await stack.request('DELETE', `/v1/tenants/${tenant.id}/entitlements/${pc}`);
    expect(
      (
        await stack.request('POST', '/v1/catalog/trial-request', {
          body: { tenant_id: tenant.id, product: pd },
        })
      ).status,
    ).toBe(201);

    expect((await claims({ tenant_id: tenant.id })).body.products).toEqual([pa, pb, pd]);
    now += DAY;
    expect((await claims({ tenant_id: tenant.id })).body.products).toEqual([pb, pd]);
    now += 14 * DAY;
    expect((await claims({ tenant_id: tenant.id })).body.products).toEqual([pb]);
  });

  test('a frozen or archived tenant keeps its current status and gets no products', async () => {
    const tenant = await createTenant();
    const p = await product(productKey('live'));
    await stack.request('PUT', `/v1/tenants/${tenant.id}/entitlements/${p}`);
    expect((await claims({ tenant_slug: tenant.slug })).body.products).toEqual([p]);

    await stack.request('POST', `/v1/tenants/${tenant.id}/cancel`, { body: {} });
    expect((await claims({ tenant_slug: tenant.slug })).body).toMatchObject({
      tenant_status: 'frozen',
      products: [],
    });
    expect((await claims({ user_attrs: { tenant_id: tenant.id } })).body).toMatchObject({
      tenant_status: 'frozen',
      products: [],
    });

    await stack.request('POST', `/v1/tenants/${tenant.id}/activate`, { body: {} });
    expect((await claims({ tenant_id: tenant.id })).body).toMatchObject({
      tenant_status: 'active',
      products: [p],
    });

    await stack.request('DELETE', `/v1/tenants/${tenant.id}`);
    expect((await claims({ tenant_id: tenant.id })).body).toMatchObject({
      tenant_status: 'archived',
      products: [],
      org_roles: [],
    });
    // Its slugs went into quarantine with it: they name nobody.
    expect((await claims({ tenant_slug: tenant.slug })).status).toBe(404);
  });
});
