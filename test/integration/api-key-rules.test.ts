import { randomUUID } from 'node:crypto';
import { QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import * as app from '../../shared/app';
import type { ApiKeyRecord, Scope } from '../../shared/domain/api-key';
import { ALL_SCOPES, READ_SCOPES } from '../fixtures/scopes';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { ManualClock } from '../support/clock';
import { fileStack } from '../support/stack';

/**
 * Issue 9, API keys, through the real handlers over DynamoDB Local: the scope subset rule on
 * both planes (defect 1), the maximum key lifetime, and rolling a key.
 */

const clock = new ManualClock();
const stack = fileStack(clock);

const DAY_MS = 86_400_000;
const ALL = ALL_SCOPES;

interface Tenant {
  readonly id: string;
  readonly slug: string;
}

async function createTenant(): Promise<Tenant> {
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('kr')) });
  expect(res.status).toBe(201);
  return { id: res.body.tenant.id, slug: res.body.tenant.slug };
}

async function operatorKey(tenantId: string, extra: Record<string, unknown> = {}) {
  const res = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: tenantId, name: 'rules', ...extra },
  });
  if (res.status !== 201) throw new Error(`key not created: ${res.status} ${res.text}`);
  return res.body as { api_key: Record<string, any>; plaintext: string };
}

/** A request with a tenant key in X-Api-Key (no admin token). */
const as = (key: string, body?: unknown) => ({
  token: null,
  headers: { 'x-api-key': key },
  ...(body === undefined ? {} : { body }),
});

const verify = async (key: string) =>
  (await stack.request('POST', '/v1/internal/api-keys/verify', { body: { key } })).body as {
    valid: boolean;
    scopes?: string[];
  };

async function chain(tenantId: string): Promise<Record<string, any>[]> {
  const out = await stack.dynamodb.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :ev)',
      ExpressionAttributeValues: { ':pk': { S: `AUDIT#${tenantId}` }, ':ev': { S: 'EVENT#' } },
    }),
  );
  return (out.Items ?? []).map((i) => {
    const e = unmarshall(i);
    return { ...e, metadata: typeof e.metadata === 'string' ? JSON.parse(e.metadata) : e.metadata };
  });
}

async function keysOf(tenantId: string): Promise<Record<string, any>[]> {
  const res = await stack.request('GET', `/v1/api-keys?tenant_id=${tenantId}&limit=500`);
  expect(res.status).toBe(200);
  return res.body.items;
}

describe('the scope rule: a new key holds only what its maker holds (defect 1)', () => {
  test('regression: a keys:manage-only key gets no read scopes from {"scopes": []} or from no scopes', async () => {
    const t = await createTenant();
    const manager = await operatorKey(t.id, { scopes: ['keys:manage'] });
    const before = await chain(t.id);

    const empty = await stack.request(
      'POST',
      `/${t.slug}/api-keys`,
      as(manager.plaintext, { name: 'x', scopes: [] }),
    );
    expect([empty.status, empty.body.error]).toEqual([400, 'invalid_input']);
    expect(empty.body.message).toBe(
      'scopes must name at least one scope; leave it out for the default read scopes',
    );

    const none = await stack.request('POST', `/${t.slug}/api-keys`, as(manager.plaintext, { name: 'x' }));
    expect([none.status, none.body.error]).toEqual([400, 'invalid_input']);
    expect(none.body.message).toMatch(
      /^scopes is required: the calling API key holds none of the default read scopes/,
    );

    const query = await stack.request('POST', `/${t.slug}/api-keys?name=x`, as(manager.plaintext));
    expect([query.status, query.body.error]).toEqual([400, 'invalid_input']);

    // Nothing was made, so nothing reads the audit trail.
    expect((await keysOf(t.id)).map((k) => k.id)).toEqual([manager.api_key.id]);
    expect(await chain(t.id)).toHaveLength(before.length);
    const audit = await stack.request('GET', `/${t.slug}/audit`, as(manager.plaintext));
    expect([audit.status, audit.body.error]).toEqual([403, 'scope_missing']);
  });

  test('operator plane: scopes [] is a 400 naming scopes, no scopes the four read scopes', async () => {
    const t = await createTenant();
    const empty = await stack.request('POST', '/v1/api-keys', {
      body: { tenant_id: t.id, name: 'x', scopes: [] },
    });
    expect([empty.status, empty.body.error]).toEqual([400, 'invalid_input']);
    expect(empty.body.message).toContain('scopes');
    expect((await operatorKey(t.id)).api_key.scopes).toEqual(READ_SCOPES);
    expect(await keysOf(t.id)).toHaveLength(1);
  });

  test('property: for every held subset and request shape, the new key is a subset of the caller, or 400/403', async () => {
    const t = await createTenant();
    const callers = new Map<string, string>();
    const callerFor = async (held: readonly Scope[]) => {
      const name = held.join(',');
      let key = callers.get(name);
      if (!key) {
        key = (await operatorKey(t.id, { scopes: held })).plaintext;
        callers.set(name, key);
      }
      return key;
    };
    type Shape =
      | { kind: 'absent' }
      | { kind: 'empty' }
      | { kind: 'body'; scopes: Scope[] }
      | { kind: 'query'; scopes: Scope[] }
      | { kind: 'query-and-body'; query: Scope[]; body: Scope[] };
    const subset = fc.subarray([...ALL], { minLength: 1 });
    const shape: fc.Arbitrary<Shape> = fc.oneof(
      fc.constant<Shape>({ kind: 'absent' }),
      fc.constant<Shape>({ kind: 'empty' }),
      subset.map((scopes): Shape => ({ kind: 'body', scopes })),
      subset.map((scopes): Shape => ({ kind: 'query', scopes })),
      fc.tuple(subset, subset).map(([query, body]): Shape => ({ kind: 'query-and-body', query, body })),
    );
    let made = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.subarray([...ALL], { minLength: 1 }), shape, async (held, s) => {
        const key = await callerFor(held);
        const query =
          s.kind === 'query'
            ? `&scopes=${s.scopes.join(',')}`
            : s.kind === 'query-and-body'
              ? `&scopes=${s.query.join(',')}`
              : '';
        const body =
          s.kind === 'empty'
            ? { scopes: [] }
            : s.kind === 'body'
              ? { scopes: s.scopes }
              : s.kind === 'query-and-body'
                ? { scopes: s.body }
                : undefined;
        const res = await stack.request('POST', `/${t.slug}/api-keys?name=p${query}`, as(key, body));
        if (!held.includes('keys:manage')) {
          expect([res.status, res.body.error]).toEqual([403, 'scope_missing']);
          refused++;
          return;
        }
        // The body wins over the query string.
        const asked =
          s.kind === 'body' || s.kind === 'query'
            ? s.scopes
            : s.kind === 'query-and-body'
              ? s.body
              : undefined;
        if (res.status === 201) {
          made++;
          const scopes = res.body.api_key.scopes as Scope[];
          expect(scopes.length).toBeGreaterThan(0);
          for (const scope of scopes) expect(held).toContain(scope);
          expect(scopes).toEqual(asked ?? READ_SCOPES.filter((r) => held.includes(r as Scope)));
          // And that is what the key can do.
          expect((await verify(res.body.plaintext)).scopes).toEqual(scopes);
          return;
        }
        refused++;
        if (asked?.some((a) => !held.includes(a))) {
          expect([res.status, res.body.error]).toEqual([403, 'scope_not_held']);
        } else {
          expect([s.kind, res.status, res.body.error]).toEqual([s.kind, 400, 'invalid_input']);
          expect(s.kind === 'empty' || !READ_SCOPES.some((r) => held.includes(r as Scope))).toBe(true);
        }
        expect(res.body.message).toMatch(/\bscopes\b/);
      }),
      { numRuns: 40, seed: 20_250_909 },
    );
    expect(made).toBeGreaterThan(5);
    expect(refused).toBeGreaterThan(5);
    // Every key of the tenant holds only scopes its maker held.
    const keys = await keysOf(t.id);
    const byId = new Map(keys.map((k) => [k.id as string, k]));
    for (const k of keys) {
      if (!String(k.created_by ?? '').startsWith('api_key:')) continue;
      const maker = byId.get(String(k.created_by).slice('api_key:'.length));
      for (const scope of k.scopes) expect(maker?.scopes).toContain(scope);
    }
  }, 300_000);
});

describe('the maximum key lifetime', () => {
  test('no expires_at: the maximum lifetime (365 days) on both planes', async () => {
    const t = await createTenant();
    const operator = await operatorKey(t.id, { scopes: ['keys:manage', 'profile:read'] });
    expect(Date.parse(operator.api_key.expires_at) - Date.parse(operator.api_key.created_at)).toBe(
      365 * DAY_MS,
    );
    const tenant = await stack.request('POST', `/${t.slug}/api-keys?name=child`, as(operator.plaintext));
    expect(tenant.status).toBe(201);
    expect(Date.parse(tenant.body.api_key.expires_at) - Date.parse(tenant.body.api_key.created_at)).toBe(
      365 * DAY_MS,
    );
  });

  test('further ahead than the limit is a 400 naming expires_at and the limit, on both planes', async () => {
    const t = await createTenant();
    const manager = await operatorKey(t.id, { scopes: ['keys:manage', 'profile:read'] });
    const tooFar = new Date(clock.now().getTime() + 365 * DAY_MS + 60_000).toISOString();
    const justInside = new Date(clock.now().getTime() + 365 * DAY_MS - 60_000).toISOString();

    const op = await stack.request('POST', '/v1/api-keys', {
      body: { tenant_id: t.id, name: 'far', expires_at: tooFar },
    });
    const ten = await stack.request(
      'POST',
      `/${t.slug}/api-keys`,
      as(manager.plaintext, { name: 'far', expires_at: tooFar }),
    );
    const viaQuery = await stack.request(
      'POST',
      `/${t.slug}/api-keys?name=far&expires_at=${encodeURIComponent(tooFar)}`,
      as(manager.plaintext),
    );
    for (const res of [op, ten, viaQuery]) {
      expect([res.status, res.body.error]).toEqual([400, 'invalid_input']);
      expect(res.body.message).toMatch(
        /^expires_at must be at most 365 days ahead \(the maximum key lifetime\)/,
      );
    }
    expect((await operatorKey(t.id, { expires_at: justInside })).api_key.expires_at).toBe(justInside);
    const inside = await stack.request(
      'POST',
      `/${t.slug}/api-keys`,
      as(manager.plaintext, { name: 'in', expires_at: justInside }),
    );
    expect([inside.status, inside.body.api_key?.expires_at]).toEqual([201, justInside]);
  });

  test('the limit is configurable (TENANT_REGISTRY_KEY_MAX_LIFETIME_DAYS)', async () => {
    stack.configure({ TENANT_REGISTRY_KEY_MAX_LIFETIME_DAYS: '30' }, { clock });
    try {
      const t = await createTenant();
      const k = await operatorKey(t.id);
      expect(Date.parse(k.api_key.expires_at) - Date.parse(k.api_key.created_at)).toBe(30 * DAY_MS);
      const res = await stack.request('POST', '/v1/api-keys', {
        body: {
          tenant_id: t.id,
          name: 'x',
          expires_at: new Date(clock.now().getTime() + 31 * DAY_MS).toISOString(),
        },
      });
      expect([res.status, res.body.message]).toEqual([400, expect.stringContaining('at most 30 days ahead')]);
    } finally {
      stack.configure({}, { clock });
    }
  });

  test('a key that never expires is an operator choice (expires_at: null), recorded in its event; a tenant cannot make one', async () => {
    const t = await createTenant();
    const immortal = await operatorKey(t.id, { expires_at: null, scopes: ['keys:manage', 'profile:read'] });
    expect(immortal.api_key.expires_at).toBeNull();
    const created = (await chain(t.id)).find((e) => e.action === 'api_key.created');
    expect(created?.metadata.expires_at).toBeNull();
    const res = await stack.request(
      'POST',
      `/${t.slug}/api-keys`,
      as(immortal.plaintext, { name: 'x', expires_at: null }),
    );
    expect([res.status, res.body.error]).toEqual([400, 'invalid_input']);
    expect(res.body.message).toMatch(/expires_at/);
    // A key made by the immortal key still expires.
    const child = await stack.request('POST', `/${t.slug}/api-keys?name=child`, as(immortal.plaintext));
    expect(child.body.api_key.expires_at).not.toBeNull();
  });
});

/**
 * `at` lies `ms` after some instant of the request that produced it (between `before` and now):
 * exact however long the request took on a loaded machine.
 */
function expectAfterRequest(at: string, before: number, ms: number): void {
  expect(Date.parse(at)).toBeGreaterThanOrEqual(before + ms);
  expect(Date.parse(at)).toBeLessThanOrEqual(clock.now().getTime() + ms);
}

describe('rolling a key', () => {
  const roll = (id: string, body?: unknown) =>
    stack.request('POST', `/v1/api-keys/${id}/roll`, body === undefined ? {} : { body });

  test('operator: a new key like the old one; both verify during the overlap, then only the new one', async () => {
    const t = await createTenant();
    const old = await operatorKey(t.id, {
      name: 'billing sync',
      product: 'orders',
      scopes: ['audit:write', 'profile:read'],
      created_by: 'ops',
    });
    expect((await verify(old.plaintext)).valid).toBe(true); // cached here: the roll must evict it

    const before = clock.now().getTime();
    const res = await roll(old.api_key.id, { overlap_seconds: 3600 });
    expect(res.status).toBe(201);
    const { api_key, plaintext, warning, previous } = res.body;
    expect(warning).toMatch(/only/);
    expect(api_key).toMatchObject({
      tenant_id: t.id,
      name: 'billing sync',
      product: 'orders',
      scopes: ['audit:write', 'profile:read'],
      created_by: 'ops',
      rolled_from: old.api_key.id,
      revoked_at: null,
      last_used_at: null,
    });
    expect(api_key.id).not.toBe(old.api_key.id);
    expect(plaintext).not.toBe(old.plaintext);
    expect(Date.parse(api_key.expires_at) - Date.parse(api_key.created_at)).toBe(365 * DAY_MS);
    expect(previous.id).toBe(old.api_key.id);
    expectAfterRequest(previous.expires_at, before, 3_600_000);
    const listed = (await keysOf(t.id)).find((k) => k.id === old.api_key.id);
    expect(listed?.expires_at).toBe(previous.expires_at);

    expect(await verify(old.plaintext)).toMatchObject({
      valid: true,
      scopes: ['audit:write', 'profile:read'],
    });
    expect(await verify(plaintext)).toMatchObject({ valid: true, scopes: ['audit:write', 'profile:read'] });
    clock.advance(3_600_000 + 5_000);
    expect(await verify(old.plaintext)).toEqual({ valid: false });
    expect((await verify(plaintext)).valid).toBe(true);
  });

  test('one api_key.rolled event with both ids, never a secret or a hash, committed with both keys', async () => {
    const t = await createTenant();
    const old = await operatorKey(t.id);
    const res = await roll(old.api_key.id, { overlap_seconds: 60 });
    expect(res.status).toBe(201);
    const events = await chain(t.id);
    expect(events.map((e) => e.action)).toEqual(['tenant.created', 'api_key.created', 'api_key.rolled']);
    const rolled = events[2] as Record<string, any>;
    expect(rolled).toMatchObject({
      tenant_id: t.id,
      actor_type: 'operator',
      target_id: res.body.api_key.id,
      target_type: 'api_key',
      metadata: {
        key_id: res.body.api_key.id,
        rolled_from: old.api_key.id,
        previous_expires_at: res.body.previous.expires_at,
        overlap_seconds: 60,
        expires_at: res.body.api_key.expires_at,
      },
    });
    const text = JSON.stringify(rolled);
    for (const secret of [
      res.body.plaintext,
      old.plaintext,
      res.body.plaintext.slice(27, 70),
      old.plaintext.slice(27, 70),
    ])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/argon2|secret_hash/);
    // The chain still verifies with the new event in it.
    const verdict = await stack.request('GET', `/v1/audit/verify?tenant_id=${t.id}`);
    expect(verdict.body).toMatchObject({ ok: true, checked: 3 });
  });

  test('overlap 0 ends the old key at once in this container, although it was cached as valid', async () => {
    const t = await createTenant();
    const old = await operatorKey(t.id, { scopes: ['profile:read'] });
    expect((await stack.request('GET', `/${t.slug}/profile`, as(old.plaintext))).status).toBe(200);
    expect((await verify(old.plaintext)).valid).toBe(true);
    const res = await roll(old.api_key.id, { overlap_seconds: 0 });
    expect(res.status).toBe(201);
    expect(await verify(old.plaintext)).toEqual({ valid: false });
    expect((await stack.request('GET', `/${t.slug}/profile`, as(old.plaintext))).status).toBe(401);
    expect((await stack.request('GET', `/${t.slug}/profile`, as(res.body.plaintext))).status).toBe(200);
  });

  test('without a body: a day of overlap; a key expiring sooner keeps its expiry', async () => {
    const t = await createTenant();
    const old = await operatorKey(t.id);
    const before = clock.now().getTime();
    const res = await roll(old.api_key.id);
    expect(res.status).toBe(201);
    expectAfterRequest(res.body.previous.expires_at, before, DAY_MS);

    const soon = new Date(clock.now().getTime() + 600_000).toISOString();
    const brief = await operatorKey(t.id, { expires_at: soon });
    const kept = await roll(brief.api_key.id, { overlap_seconds: 86_400 });
    expect(kept.body.previous.expires_at).toBe(soon);
  });

  test('an operator may give the new key its expiry, or none; the limit holds', async () => {
    const t = await createTenant();
    const old = await operatorKey(t.id);
    const never = await roll(old.api_key.id, { expires_at: null });
    expect([never.status, never.body.api_key.expires_at]).toEqual([201, null]);
    const far = await roll(never.body.api_key.id, {
      expires_at: new Date(clock.now().getTime() + 400 * DAY_MS).toISOString(),
    });
    expect([far.status, far.body.error]).toEqual([400, 'invalid_input']);
    expect(far.body.message).toMatch(/^expires_at must be at most 365 days ahead/);
  });

  test('409 api_key_unusable for a revoked or expired key, and nothing is written', async () => {
    const t = await createTenant();
    const revoked = await operatorKey(t.id);
    expect((await stack.request('DELETE', `/v1/api-keys/${revoked.api_key.id}`)).status).toBe(204);
    const expiring = await operatorKey(t.id, {
      expires_at: new Date(clock.now().getTime() + 10_000).toISOString(),
    });
    const rolledAway = await operatorKey(t.id);
    expect((await roll(rolledAway.api_key.id, { overlap_seconds: 0 })).status).toBe(201);
    clock.advance(10_001);
    const before = { keys: (await keysOf(t.id)).length, events: (await chain(t.id)).length };

    for (const [id, why] of [
      [revoked.api_key.id, 'revoked'],
      [expiring.api_key.id, 'expired'],
      [rolledAway.api_key.id, 'expired'],
    ] as const) {
      const res = await roll(id);
      expect([res.status, res.body.error, res.body.message]).toEqual([
        409,
        'api_key_unusable',
        `the key is ${why}: only a live key can be rolled; create a new one instead`,
      ]);
    }
    expect({ keys: (await keysOf(t.id)).length, events: (await chain(t.id)).length }).toEqual(before);
  });

  test('404 unknown key, 409 archived tenant, 400 overlap out of bounds naming overlap_seconds', async () => {
    const unknown = await roll(randomUUID());
    expect([unknown.status, unknown.body.error]).toEqual([404, 'not_found']);
    expect((await roll('not-a-uuid')).status).toBe(400);

    const t = await createTenant();
    const k = await operatorKey(t.id);
    for (const overlap of [-1, 604_801, 1.5, '60', null, true]) {
      const res = await roll(k.api_key.id, { overlap_seconds: overlap });
      expect([JSON.stringify(overlap), res.status, res.body.error]).toEqual([
        JSON.stringify(overlap),
        400,
        'invalid_input',
      ]);
      expect(res.body.message).toContain('overlap_seconds');
    }
    const unknownField = await roll(k.api_key.id, { overlap: 60 });
    expect([unknownField.status, unknownField.body.message]).toEqual([
      400,
      expect.stringContaining('overlap'),
    ]);
    for (const overlap of [0, 604_800]) {
      const other = await operatorKey(t.id);
      expect((await roll(other.api_key.id, { overlap_seconds: overlap })).status).toBe(201);
    }

    expect((await stack.request('DELETE', `/v1/tenants/${t.id}`)).status).toBe(200);
    const archived = await roll(k.api_key.id);
    // An archived tenant's keys: refused before anything is written.
    expect([archived.status, archived.body.error]).toEqual([409, 'tenant_inactive']);
  });

  test('a roll that lost a race with a revoke or another roll writes nothing (409 conflict)', async () => {
    const t = await createTenant();
    const k = await operatorKey(t.id);
    const store = app.apiKeyStore();
    const record = (await store.getKey(k.api_key.id)) as ApiKeyRecord;
    const next: ApiKeyRecord = { ...record, id: randomUUID(), created_at: clock.now().toISOString() };
    const event = {
      tenant_id: t.id,
      actor_id: 'test',
      actor_type: 'operator',
      action: 'api_key.rolled',
      metadata: { rolled_from: record.id },
    };
    const before = (await chain(t.id)).length;
    // Read with another expiry than the stored one: someone rolled it meanwhile.
    await expect(
      store.rollKey(
        next,
        { id: record.id, was: '2031-01-01T00:00:00.000Z', expires_at: clock.now().toISOString() },
        event,
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect((await stack.request('DELETE', `/v1/api-keys/${record.id}`)).status).toBe(204);
    await expect(
      store.rollKey(
        next,
        { id: record.id, was: record.expires_at, expires_at: clock.now().toISOString() },
        event,
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
    const stored = await stack.dynamodb.send(
      new ScanCommand({
        TableName: stack.tableName,
        FilterExpression: 'id = :id',
        ExpressionAttributeValues: { ':id': { S: next.id } },
      }),
    );
    expect(stored.Items).toEqual([]);
    expect((await chain(t.id)).length).toBe(before + 1); // the revoke only
  });

  describe('on the tenant plane', () => {
    test('a keys:manage key rolls a key of its tenant whose scopes it holds, or itself', async () => {
      const t = await createTenant();
      const manager = await operatorKey(t.id, { scopes: [...ALL] });
      const worker = await operatorKey(t.id, { name: 'worker', scopes: ['audit:write'] });
      const before = clock.now().getTime();
      const res = await stack.request(
        'POST',
        `/${t.slug}/api-keys/${worker.api_key.id}/roll?overlap_seconds=120`,
        as(manager.plaintext),
      );
      expect(res.status).toBe(201);
      expect(res.body.api_key).toMatchObject({
        name: 'worker',
        scopes: ['audit:write'],
        created_by: `api_key:${manager.api_key.id}`,
        rolled_from: worker.api_key.id,
      });
      expectAfterRequest(res.body.previous.expires_at, before, 120_000);
      const event = (await chain(t.id)).find((e) => e.action === 'api_key.rolled');
      expect(event).toMatchObject({ actor_id: manager.api_key.id, actor_type: 'api_key' });

      // The body wins over the query string; the same routes under /tenant/... with the header.
      const beforeSelf = clock.now().getTime();
      const self = await stack.request(
        'POST',
        `/tenant/api-keys/${manager.api_key.id}/roll?overlap_seconds=5`,
        {
          token: null,
          headers: { 'x-api-key': manager.plaintext, 'x-tenant-id': t.slug },
          body: { overlap_seconds: 60 },
        },
      );
      expect(self.status).toBe(201);
      expectAfterRequest(self.body.previous.expires_at, beforeSelf, 60_000);
      // Its own old plaintext works until the overlap ends.
      expect((await stack.request('GET', `/${t.slug}/api-keys`, as(manager.plaintext))).status).toBe(200);
      clock.advance(61_000);
      expect((await stack.request('GET', `/${t.slug}/api-keys`, as(manager.plaintext))).status).toBe(401);
      expect((await stack.request('GET', `/${t.slug}/api-keys`, as(self.body.plaintext))).status).toBe(200);
    });

    test('a key cannot roll a key holding a scope it lacks (it would get that key): 403, nothing changes', async () => {
      const t = await createTenant();
      const manager = await operatorKey(t.id, { scopes: ['keys:manage', 'profile:read'] });
      const mighty = await operatorKey(t.id, { scopes: ['audit:write', 'profile:read'] });
      const before = await keysOf(t.id);
      const res = await stack.request(
        'POST',
        `/${t.slug}/api-keys/${mighty.api_key.id}/roll`,
        as(manager.plaintext),
      );
      expect([res.status, res.body.error, res.body.message]).toEqual([
        403,
        'scope_not_held',
        'scopes: the calling API key cannot grant audit:write, which it does not hold',
      ]);
      // The caller's own use stamps its last_used_at; nothing else moves.
      const unused = (keys: Record<string, any>[]) => keys.map(({ last_used_at: _, ...k }) => k);
      expect(unused(await keysOf(t.id))).toEqual(unused(before));
      expect((await chain(t.id)).map((e) => e.action)).not.toContain('api_key.rolled');
    });

    test("another tenant's key is 404 exactly like an unknown one, and stays as it was", async () => {
      const t = await createTenant();
      const other = await createTenant();
      const manager = await operatorKey(t.id, { scopes: [...ALL] });
      const theirs = await operatorKey(other.id, { scopes: ['profile:read'] });
      const theirsRevoked = await operatorKey(other.id, { scopes: ['profile:read'] });
      expect((await stack.request('DELETE', `/v1/api-keys/${theirsRevoked.api_key.id}`)).status).toBe(204);
      const before = await keysOf(other.id);
      const events = (await chain(other.id)).length;

      const bodies = [];
      for (const id of [theirs.api_key.id, theirsRevoked.api_key.id, randomUUID()]) {
        const res = await stack.request(
          'POST',
          `/${t.slug}/api-keys/${id}/roll?overlap_seconds=0`,
          as(manager.plaintext),
        );
        expect([res.status, res.body.error]).toEqual([404, 'not_found']);
        const { request_id: _id, ...rest } = res.body;
        bodies.push(JSON.stringify(rest));
      }
      expect(new Set(bodies).size).toBe(1);
      expect(await keysOf(other.id)).toEqual(before);
      expect((await chain(other.id)).length).toBe(events);
      expect((await verify(theirs.plaintext)).valid).toBe(true);
    });

    test('bad overlap or expiry is a 400 naming the field; the new key always expires', async () => {
      const t = await createTenant();
      const manager = await operatorKey(t.id, { scopes: [...ALL] });
      const target = await operatorKey(t.id, { expires_at: null });
      for (const [query, body, field] of [
        ['?overlap_seconds=abc', undefined, 'overlap_seconds'],
        ['?overlap_seconds=604801', undefined, 'overlap_seconds'],
        ['', { overlap_seconds: -1 }, 'overlap_seconds'],
        ['', { expires_at: null }, 'expires_at'],
        ['', { expires_at: new Date(clock.now().getTime() + 366 * DAY_MS).toISOString() }, 'expires_at'],
      ] as const) {
        const res = await stack.request(
          'POST',
          `/${t.slug}/api-keys/${target.api_key.id}/roll${query}`,
          as(manager.plaintext, body),
        );
        expect([query, res.status, res.body.error]).toEqual([query, 400, 'invalid_input']);
        expect(res.body.message).toContain(field);
      }
      const ok = await stack.request(
        'POST',
        `/${t.slug}/api-keys/${target.api_key.id}/roll`,
        as(manager.plaintext),
      );
      expect(ok.status).toBe(201);
      expect(Date.parse(ok.body.api_key.expires_at) - Date.parse(ok.body.api_key.created_at)).toBe(
        365 * DAY_MS,
      );
    });

    test('needs keys:manage; a frozen tenant cannot roll', async () => {
      const t = await createTenant();
      const reader = await operatorKey(t.id, { scopes: ['profile:read'] });
      const res = await stack.request(
        'POST',
        `/${t.slug}/api-keys/${reader.api_key.id}/roll`,
        as(reader.plaintext),
      );
      expect([res.status, res.body.error]).toEqual([403, 'scope_missing']);
      const manager = await operatorKey(t.id, { scopes: [...ALL] });
      expect((await stack.request('POST', `/v1/tenants/${t.id}/cancel`, { body: {} })).status).toBe(200);
      const frozen = await stack.request(
        'POST',
        `/${t.slug}/api-keys/${reader.api_key.id}/roll`,
        as(manager.plaintext),
      );
      expect([frozen.status, frozen.body.error]).toEqual([403, 'tenant_frozen']);
    });
  });
});
