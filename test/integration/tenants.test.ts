import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

async function create(extra: Record<string, unknown> = {}, slug = uniqueSlug()) {
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug, extra) });
  expect(res.status).toBe(201);
  return res.body.tenant;
}

describe('create', () => {
  test('a customer tenant starts in trial on the starter plan with its slug as primary alias', async () => {
    const slug = uniqueSlug('acme');
    const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug) });
    expect(res.status).toBe(201);
    expect(res.body.tenant).toMatchObject({
      slug,
      kind: 'customer',
      plan: 'starter',
      status: 'trial',
      aliases: [slug],
      version: 1,
      active_components: [],
      settings: {},
    });
    const trialDays =
      (Date.parse(res.body.tenant.trial_ends_at) - Date.parse(res.body.tenant.created_at)) / 86_400_000;
    expect(trialDays).toBe(14);
  });

  test('a demo tenant starts in status demo', async () => {
    const tenant = await create({ kind: 'demo' });
    expect(tenant).toMatchObject({ kind: 'demo', status: 'demo', trial_ends_at: null });
  });

  test('a taken slug is 409 and a reserved or malformed slug is 400', async () => {
    const tenant = await create();
    const again = await stack.request('POST', '/v1/tenants', { body: tenantBody(tenant.slug) });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('slug_taken');
    for (const slug of [
      'tenant',
      'v1',
      'healthz',
      'readyz',
      'swagger',
      'internal',
      'api',
      'docs',
      'version',
    ]) {
      const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug) });
      expect(res.status).toBe(400);
      if (slug.length >= 3) expect(res.body.message).toContain('reserved');
    }
    for (const slug of ['A', 'ab', '-abc', 'abc-', 'a_b_c', 'x'.repeat(41)]) {
      const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug) });
      expect(res.status).toBe(400);
    }
  });

  test('unknown fields are refused', async () => {
    const res = await stack.request('POST', '/v1/tenants', {
      body: { ...tenantBody(uniqueSlug()), status: 'active' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_input' });
    expect(res.body.message).toContain('status');
  });
});

describe('read and list', () => {
  test('get by id carries an ETag; by-slug resolves the primary slug and every alias', async () => {
    const tenant = await create();
    const got = await stack.request('GET', `/v1/tenants/${tenant.id}`);
    expect(got.status).toBe(200);
    expect(got.headers.etag).toBe('"v1"');
    expect(got.body).toEqual(tenant);

    await stack.request('POST', `/v1/tenants/${tenant.id}/aliases`, { body: { slug: `${tenant.slug}-x` } });
    for (const slug of [tenant.slug, `${tenant.slug}-x`]) {
      const bySlug = await stack.request('GET', `/v1/tenants/by-slug/${slug}`);
      expect(bySlug.status).toBe(200);
      expect(bySlug.body.id).toBe(tenant.id);
    }
  });

  test('unknown ids and slugs are 404; a malformed id is 400', async () => {
    expect((await stack.request('GET', '/v1/tenants/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await stack.request('GET', '/v1/tenants/by-slug/no-such-tenant')).status).toBe(404);
    expect((await stack.request('GET', '/v1/tenants/not-a-uuid')).status).toBe(400);
  });

  test('list pages through every tenant once, newest first, and filters by status', async () => {
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await create()).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await stack.request(
        'GET',
        `/v1/tenants?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.items.map((t: { id: string }) => t.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of made) expect(seen).toContain(id);

    const demo = await create({ kind: 'demo' });
    const demos = await stack.request('GET', '/v1/tenants?status=demo&limit=500');
    expect(demos.body.items.every((t: { status: string }) => t.status === 'demo')).toBe(true);
    expect(demos.body.items.map((t: { id: string }) => t.id)).toContain(demo.id);
  });

  test('limit out of range, unknown filters and forged cursors are 400', async () => {
    for (const q of [
      'limit=0',
      'limit=501',
      'limit=abc',
      'status=gone',
      'foo=bar',
      'cursor=forged',
      'cursor=v1.Zm9yZ2Vk',
    ]) {
      const res = await stack.request('GET', `/v1/tenants?${q}`);
      expect(res.status).toBe(400);
    }
  });
});

describe('patch', () => {
  test('capabilities change at once for every later read, and the version moves', async () => {
    const tenant = await create();
    const res = await stack.request('PATCH', `/v1/tenants/${tenant.id}`, {
      body: {
        active_components: ['orders', 'customs'],
        active_record_types: ['order'],
        settings: { locale: 'de' },
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"v2"');
    const got = await stack.request('GET', `/v1/tenants/${tenant.id}`);
    expect(got.body).toMatchObject({
      active_components: ['orders', 'customs'],
      settings: { locale: 'de' },
      version: 2,
    });
  });

  test('empty, unknown-field and server-owned-field patches are 400', async () => {
    const tenant = await create();
    for (const body of [
      {},
      { nope: 1 },
      { id: 'x' },
      { status: 'active' },
      { version: 9 },
      { slug: 'abc' },
      { created_at: 'x' },
    ]) {
      const res = await stack.request('PATCH', `/v1/tenants/${tenant.id}`, { body });
      expect(res.status).toBe(400);
    }
  });

  test('If-Match with a stale ETag is 412; with the current one it applies', async () => {
    const tenant = await create();
    const ok = await stack.request('PATCH', `/v1/tenants/${tenant.id}`, {
      body: { name: 'one' },
      headers: { 'if-match': '"v1"' },
    });
    expect(ok.status).toBe(200);
    const stale = await stack.request('PATCH', `/v1/tenants/${tenant.id}`, {
      body: { name: 'two' },
      headers: { 'if-match': '"v1"' },
    });
    expect(stale.status).toBe(412);
    const foreign = await stack.request('PATCH', `/v1/tenants/${tenant.id}`, {
      body: { name: 'two' },
      headers: { 'if-match': 'W/"xyz"' },
    });
    expect(foreign.status).toBe(412);
    expect((await stack.request('GET', `/v1/tenants/${tenant.id}`)).body.name).toBe('one');
  });

  test('a malformed If-Match is a 400 naming the header on every operation that takes one, not a 412', async () => {
    const tenant = await create();
    const operations: [string, string, unknown][] = [
      ['PATCH', `/v1/tenants/${tenant.id}`, { name: 'changed' }],
      ['POST', `/v1/tenants/${tenant.id}/activate`, {}],
      ['POST', `/v1/tenants/${tenant.id}/cancel`, {}],
      ['DELETE', `/v1/tenants/${tenant.id}`, undefined],
    ];
    const malformed = ['v1', 'garbage', '', ' , ', 'W/ "v1"', '"v1'];
    for (const [method, path, body] of operations) {
      for (const header of malformed) {
        const res = await stack.request(method, path, { body, headers: { 'if-match': header } });
        expect([method, path, header, res.status, res.body.error, res.body.message]).toEqual([
          method,
          path,
          header,
          400,
          'invalid_input',
          'the If-Match header must be * or a quoted ETag such as "v3"',
        ]);
      }
      // Well-formed but never issued: still the 412 that says the tenant is not at that version.
      const never = await stack.request(method, path, { body, headers: { 'if-match': '"v999"' } });
      expect([method, never.status, never.body.error]).toEqual([method, 412, 'precondition_failed']);
    }
    const both = await stack.request('PATCH', `/v1/tenants/${tenant.id}`, {
      body: { name: 'x' },
      headers: { 'if-match': '"v1", "v2"' },
    });
    expect([both.status, both.body.message]).toEqual([
      400,
      'the If-Match header names several versions: send the one ETag you last read',
    ]);
    const after = await stack.request('GET', `/v1/tenants/${tenant.id}`);
    expect([after.body.version, after.body.status, after.body.name]).toEqual([1, tenant.status, tenant.name]);
    // `*` and a list holding the current tag still apply.
    const star = await stack.request('PATCH', `/v1/tenants/${tenant.id}`, {
      body: { name: 'star' },
      headers: { 'if-match': '*' },
    });
    expect(star.status).toBe(200);
    const listed = await stack.request('PATCH', `/v1/tenants/${tenant.id}`, {
      body: { name: 'listed' },
      headers: { 'if-match': '"nope", "v2"' },
    });
    expect([listed.status, listed.body.name]).toEqual([200, 'listed']);
  });
});

describe('free-form JSON limits hold at every depth, on every field that takes it', () => {
  test('settings, entitlement config and audit metadata (both planes) refuse a nested object of 3,000 keys', async () => {
    const tenant = await create();
    const wide = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`k${i}`, i]));
    const key = await stack.request('POST', '/v1/api-keys', {
      body: { tenant_id: tenant.id, name: 'limits', scopes: ['audit:write'] },
    });
    expect(
      (
        await stack.request('PUT', '/v1/catalog/limits', {
          body: { name: 'Limits', description: 'd', plans_required: [], supports_trial: false },
        })
      ).status,
    ).toBe(200);
    const attempts: [string, Promise<{ status: number; body: any }>][] = [
      [
        'body.settings.a',
        stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug(), { settings: { a: wide } }) }),
      ],
      [
        'body.settings.a',
        stack.request('PATCH', `/v1/tenants/${tenant.id}`, { body: { settings: { a: wide } } }),
      ],
      [
        'body.config.a',
        stack.request('PUT', `/v1/tenants/${tenant.id}/entitlements/limits`, {
          body: { config: { a: wide } },
        }),
      ],
      [
        'body.metadata.a',
        stack.request('POST', '/v1/audit', {
          body: { tenant_id: tenant.id, action: 'x.y', metadata: { a: wide } },
        }),
      ],
      [
        // The tenant plane merges query and body into one set of parameters.
        'parameters.metadata.a',
        stack.request('POST', `/${tenant.slug}/audit`, {
          token: null,
          headers: { 'x-api-key': key.body.plaintext },
          body: { action: 'x.y', metadata: { a: wide } },
        }),
      ],
    ];
    for (const [where, attempt] of attempts) {
      const res = await attempt;
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_input');
      expect(res.body.message).toBe(`${where} must have at most 100 keys (has 3000)`);
    }
    expect((await stack.request('GET', `/v1/tenants/${tenant.id}`)).body.settings).toEqual({});
  });
});

describe('lifecycle', () => {
  test('activate, cancel, activate again, retire; invalid transitions are 409', async () => {
    const tenant = await create();
    const active = await stack.request('POST', `/v1/tenants/${tenant.id}/activate`, {
      body: { plan: 'business', contract_start: '2026-01-01' },
    });
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ status: 'active', plan: 'business', contract_start: '2026-01-01' });
    expect((await stack.request('POST', `/v1/tenants/${tenant.id}/activate`)).status).toBe(409);

    const frozen = await stack.request('POST', `/v1/tenants/${tenant.id}/cancel`, {
      body: { reason: 'unpaid' },
    });
    expect(frozen.body).toMatchObject({ status: 'frozen', cancel_reason: 'unpaid' });
    expect((await stack.request('POST', `/v1/tenants/${tenant.id}/cancel`)).status).toBe(409);
    expect((await stack.request('POST', `/v1/tenants/${tenant.id}/activate`)).status).toBe(200);

    const retired = await stack.request('DELETE', `/v1/tenants/${tenant.id}`);
    expect(retired.status).toBe(200);
    expect(retired.body).toMatchObject({ status: 'archived', aliases: [] });
    for (const [method, path] of [
      ['POST', `/v1/tenants/${tenant.id}/activate`],
      ['POST', `/v1/tenants/${tenant.id}/cancel`],
      ['DELETE', `/v1/tenants/${tenant.id}`],
    ] as const) {
      expect((await stack.request(method, path)).status).toBe(409);
    }
    expect((await stack.request('PATCH', `/v1/tenants/${tenant.id}`, { body: { name: 'x' } })).status).toBe(
      409,
    );
    // The record stays readable; its slug no longer resolves.
    expect((await stack.request('GET', `/v1/tenants/${tenant.id}`)).body.status).toBe('archived');
    expect((await stack.request('GET', `/v1/tenants/by-slug/${tenant.slug}`)).status).toBe(404);
  });
});

describe('aliases', () => {
  test('add, list, remove; the primary cannot be removed; a removed alias stops resolving', async () => {
    const tenant = await create();
    const alias = `${tenant.slug}-b`;
    const added = await stack.request('POST', `/v1/tenants/${tenant.id}/aliases`, { body: { slug: alias } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ slug: alias, primary: false });
    expect(
      (await stack.request('POST', `/v1/tenants/${tenant.id}/aliases`, { body: { slug: alias } })).status,
    ).toBe(409);

    expect((await stack.request('DELETE', `/v1/tenants/${tenant.id}/aliases/${tenant.slug}`)).status).toBe(
      409,
    );
    const removed = await stack.request('DELETE', `/v1/tenants/${tenant.id}/aliases/${alias}`);
    expect(removed.status).toBe(200);
    expect(removed.body.retired_at).toBeDefined();
    expect((await stack.request('GET', `/v1/tenants/by-slug/${alias}`)).status).toBe(404);
    const list = await stack.request('GET', `/v1/tenants/${tenant.id}/aliases`);
    expect(list.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ slug: tenant.slug, primary: true }),
        expect.objectContaining({ slug: alias, retired_at: expect.any(String) }),
      ]),
    );
    expect((await stack.request('DELETE', `/v1/tenants/${tenant.id}/aliases/${alias}`)).status).toBe(404);
  });

  test('a quarantined slug can be taken back by its former tenant only; others learn until when', async () => {
    const a = await create();
    const b = await create();
    const slug = `${a.slug}-q`;
    await stack.request('POST', `/v1/tenants/${a.id}/aliases`, { body: { slug } });
    const held = await stack.request('POST', `/v1/tenants/${b.id}/aliases`, { body: { slug } });
    expect(held.status).toBe(409);
    expect(held.body.error).toBe('slug_taken');
    expect(held.body).not.toHaveProperty('quarantine_until');
    const removed = await stack.request('DELETE', `/v1/tenants/${a.id}/aliases/${slug}`);
    const until = removed.body.quarantine_until as string;
    // 30 days (the default) from the removal, give or take the request's own duration.
    expect(Math.abs(Date.parse(until) - Date.parse(removed.body.retired_at) - 30 * 86_400_000)).toBeLessThan(
      60_000,
    );
    for (const attempt of [
      stack.request('POST', `/v1/tenants/${b.id}/aliases`, { body: { slug } }),
      stack.request('POST', '/v1/tenants', { body: tenantBody(slug) }),
    ]) {
      const res = await attempt;
      expect(res.status).toBe(409);
      expect(res.body.error).toBe('slug_quarantined');
      expect(res.body.quarantine_until).toBe(until);
      expect(res.body.message).toBe(
        `slug '${slug}' is quarantined until ${until} for the tenant it was removed from`,
      );
      // Whose quarantine it is stays with the operators' alias list.
      expect(res.text).not.toContain(a.id);
    }
    const back = await stack.request('POST', `/v1/tenants/${a.id}/aliases`, { body: { slug } });
    expect(back.status).toBe(201);
    expect((await stack.request('GET', `/v1/tenants/by-slug/${slug}`)).body.id).toBe(a.id);
  });

  test("a retired tenant's slugs are quarantined the same way", async () => {
    const a = await create();
    const b = await create();
    expect((await stack.request('DELETE', `/v1/tenants/${a.id}`)).status).toBe(200);
    const res = await stack.request('POST', `/v1/tenants/${b.id}/aliases`, { body: { slug: a.slug } });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('slug_quarantined');
    const list = await stack.request('GET', `/v1/tenants/${a.id}/aliases`);
    expect(res.body.quarantine_until).toBe(list.body.items[0].quarantine_until);
  });

  test('a UUID-shaped slug is 400 on create and on alias add, with or without dashes', async () => {
    const a = await create();
    for (const slug of [
      '6f1c2d3e4a5b4c6d8e7f0123456789ab',
      '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab',
      '00000000000000000000000000000000',
      '6f1c2d3e4a5b-4c6d8e7f-0123456789ab',
    ]) {
      for (const res of [
        await stack.request('POST', '/v1/tenants', { body: tenantBody(slug) }),
        await stack.request('POST', `/v1/tenants/${a.id}/aliases`, { body: { slug } }),
      ]) {
        expect(res.status).toBe(400);
        expect(res.body.error).toBe('invalid_input');
        expect(res.body.message).toBe(`'${slug}' is shaped like a UUID (32 hex digits) and cannot be a slug`);
      }
    }
    // 31 or 33 hex digits are ordinary slugs.
    expect(
      (await stack.request('POST', `/v1/tenants/${a.id}/aliases`, { body: { slug: 'a'.repeat(31) } })).status,
    ).toBe(201);
  });

  test('after the quarantine anyone may take the slug', async () => {
    stack.configure({ TENANT_REGISTRY_ALIAS_QUARANTINE_DAYS: '0' });
    try {
      const a = await create();
      const b = await create();
      const slug = `${a.slug}-z`;
      await stack.request('POST', `/v1/tenants/${a.id}/aliases`, { body: { slug } });
      await stack.request('DELETE', `/v1/tenants/${a.id}/aliases/${slug}`);
      await new Promise((r) => setTimeout(r, 5));
      expect((await stack.request('POST', `/v1/tenants/${b.id}/aliases`, { body: { slug } })).status).toBe(
        201,
      );
      expect((await stack.request('GET', `/v1/tenants/by-slug/${slug}`)).body.id).toBe(b.id);
    } finally {
      stack.configure({});
    }
  });
});

describe('idempotency', () => {
  test('a replay returns the first response; another body with the same key is 422', async () => {
    const slug = uniqueSlug();
    const key = `key-${slug}`;
    const first = await stack.request('POST', '/v1/tenants', {
      body: tenantBody(slug),
      headers: { 'idempotency-key': key },
    });
    expect(first.status).toBe(201);
    const replay = await stack.request('POST', '/v1/tenants', {
      body: tenantBody(slug),
      headers: { 'idempotency-key': key },
    });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await stack.request('POST', '/v1/tenants', {
      body: tenantBody(uniqueSlug()),
      headers: { 'idempotency-key': key },
    });
    expect(other.status).toBe(422);
  });

  test('concurrent duplicates: one 201, the others 409 or the same replayed response', async () => {
    const slug = uniqueSlug();
    const key = `dup-${slug}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        stack.request('POST', '/v1/tenants', { body: tenantBody(slug), headers: { 'idempotency-key': key } }),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    const ids = new Set(created.map((r) => r.body.tenant.id));
    expect(ids.size).toBe(1);
    for (const r of results) expect([201, 409]).toContain(r.status);
  });
});
