import { randomBytes, randomUUID } from 'node:crypto';
import { QueryCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { jest } from '@jest/globals';
import { keys } from '../../shared/adapters/dynamodb/keys';
import * as app from '../../shared/app';
import { DEFAULT_SCOPES, formatKey, parseKey } from '../../shared/domain/api-key';
import { DEFAULT_ARGON2_PARAMS, KeyHasher, paramsOf } from '../../shared/domain/key-hash';
import type { Clock } from '../../shared/ports/clock';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { ManualClock } from '../support/clock';
import { liveMiddlewareStack } from '../support/sdk-middleware';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
/** DynamoDB commands the app sent, by name, since the last `calls.clear()`. */
const calls = new Map<string, number>();
const callCount = (name?: string) =>
  name ? (calls.get(name) ?? 0) : [...calls.values()].reduce((a, b) => a + b, 0);

/** Rebuilds the app (empty caches) and counts every DynamoDB command it sends from now on. */
function configure(env: Record<string, string | undefined> = {}, clock?: Clock): void {
  stack.configure(env, clock ? { clock } : {});
  liveMiddlewareStack(app.dynamodb()).add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  calls.clear();
}

beforeAll(async () => {
  stack = await startStack();
  configure();
});
afterAll(async () => {
  await app.apiKeys().settled();
  await stack.close();
});

async function createTenant(extra: Record<string, unknown> = {}): Promise<string> {
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('key'), extra) });
  expect(res.status).toBe(201);
  return res.body.tenant.id;
}

async function createKey(tenantId: string, extra: Record<string, unknown> = {}) {
  const res = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: tenantId, name: 'ci pipeline', ...extra },
  });
  expect(res.status).toBe(201);
  return res.body as { api_key: Record<string, any>; plaintext: string; warning: string };
}

const verify = (key: unknown) => stack.request('POST', '/v1/internal/api-keys/verify', { body: { key } });

async function chainActions(tenantId: string): Promise<string[]> {
  const out = await stack.dynamodb.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :ev)',
      ExpressionAttributeValues: { ':pk': { S: `AUDIT#${tenantId}` }, ':ev': { S: 'EVENT#' } },
    }),
  );
  return (out.Items ?? []).map((i) => String(unmarshall(i).action));
}

async function storedKey(id: string): Promise<Record<string, unknown>> {
  const out = await stack.dynamodb.send(
    new ScanCommand({
      TableName: stack.tableName,
      FilterExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': { S: keys.apiKey(id).PK } },
    }),
  );
  const item = out.Items?.[0];
  if (!item) throw new Error(`no stored key ${id}`);
  return unmarshall(item);
}

describe('createApiKey', () => {
  test('201 with the plaintext once, the read scopes by default, and an audit event on the tenant chain', async () => {
    const tenantId = await createTenant();
    const { api_key, plaintext, warning } = await createKey(tenantId, {
      product: 'orders',
      created_by: 'ops',
    });
    expect(plaintext).toMatch(/^trk_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{43}_[0-9a-f]{8}$/);
    expect(parseKey(plaintext)?.id).toBe(api_key.id);
    expect(plaintext.startsWith(api_key.prefix)).toBe(true);
    expect(api_key.prefix.length).toBeLessThan(16);
    expect(warning).toMatch(/only/);
    expect(api_key).toMatchObject({
      tenant_id: tenantId,
      name: 'ci pipeline',
      product: 'orders',
      created_by: 'ops',
      scopes: [...DEFAULT_SCOPES],
      revoked_at: null,
      last_used_at: null,
    });
    // No immortal keys by default: the maximum lifetime (365 days) unless an operator says null.
    expect(Date.parse(api_key.expires_at) - Date.parse(api_key.created_at)).toBe(365 * 86_400_000);
    expect(JSON.stringify(api_key)).not.toMatch(/argon2|secret_hash/);
    expect(await chainActions(tenantId)).toEqual(['tenant.created', 'api_key.created']);
  });

  test('scopes and expiry as given; the configured prefix', async () => {
    configure({ TENANT_REGISTRY_KEY_PREFIX: 'acme2' });
    const tenantId = await createTenant();
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const { api_key, plaintext } = await createKey(tenantId, {
      scopes: ['keys:manage', 'audit:write'],
      expires_at: expires,
    });
    expect(plaintext.startsWith('acme2_')).toBe(true);
    expect(api_key.scopes).toEqual(['keys:manage', 'audit:write']);
    expect(api_key.expires_at).toBe(expires);
    configure();
    // Keys survive a prefix change.
    expect((await verify(plaintext)).body).toMatchObject({ valid: true, tenant_id: tenantId });
  });

  test('unknown tenant 404, archived tenant 409, past expiry and bad fields 400', async () => {
    const unknown = await stack.request('POST', '/v1/api-keys', {
      body: { tenant_id: '00000000-0000-4000-8000-000000000000', name: 'x' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('not_found');

    const archived = await createTenant();
    expect((await stack.request('DELETE', `/v1/tenants/${archived}`)).status).toBe(200);
    const refused = await stack.request('POST', '/v1/api-keys', { body: { tenant_id: archived, name: 'x' } });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('tenant_inactive');

    const tenantId = await createTenant();
    const bad: Record<string, unknown>[] = [
      { expires_at: new Date(Date.now() - 1000).toISOString() },
      { expires_at: '2030-02-30T00:00:00Z' },
      { scopes: ['root'] },
      { scopes: ['audit:read', 'audit:read'] },
      { scopes: [] },
      { expires_at: new Date(Date.now() + 366 * 86_400_000).toISOString() },
      { name: 'x'.repeat(101) },
      { name: '' },
      { product: 'Not An Id' },
      { secret_hash: 'x' },
      { plaintext: 'x' },
    ];
    for (const extra of bad) {
      const res = await stack.request('POST', '/v1/api-keys', {
        body: { tenant_id: tenantId, name: 'x', ...extra },
      });
      expect([JSON.stringify(extra), res.status, res.body.error]).toEqual([
        JSON.stringify(extra),
        400,
        'invalid_input',
      ]);
    }
    expect(await chainActions(tenantId)).toEqual(['tenant.created']);
  });
});

describe('listApiKeys', () => {
  test('newest first, paged, never a secret or a hash; unknown tenant 404; bad input 400', async () => {
    const tenantId = await createTenant();
    const other = await createTenant();
    await createKey(other);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await createKey(tenantId, { name: `key ${i}` })).api_key.id);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await stack.request(
        'GET',
        `/v1/api-keys?tenant_id=${tenantId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toMatch(/argon2|secret_hash|plaintext|valid_until/);
      seen.push(...res.body.items.map((k: { id: string }) => k.id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());

    const missing = await stack.request('GET', '/v1/api-keys?tenant_id=00000000-0000-4000-8000-000000000001');
    expect(missing.status).toBe(404);
    for (const query of [
      '',
      `tenant_id=${tenantId}&limit=0`,
      `tenant_id=${tenantId}&cursor=v1.nope`,
      'tenant_id=x',
    ]) {
      const res = await stack.request('GET', `/v1/api-keys?${query}`);
      expect([query, res.status]).toEqual([query, 400]);
    }
  });

  test('an archived tenant still lists its keys', async () => {
    const tenantId = await createTenant();
    await createKey(tenantId);
    await stack.request('DELETE', `/v1/tenants/${tenantId}`);
    const res = await stack.request('GET', `/v1/api-keys?tenant_id=${tenantId}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
  });
});

describe('revokeApiKey', () => {
  test('204, revoked_at set, idempotent, one audit event; unknown 404; malformed id 400', async () => {
    const tenantId = await createTenant();
    const { api_key, plaintext } = await createKey(tenantId);
    // Cached as valid first: revocation in this container must evict it at once.
    expect((await verify(plaintext)).body.valid).toBe(true);

    const res = await stack.request('DELETE', `/v1/api-keys/${api_key.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await verify(plaintext)).body).toEqual({ valid: false });

    expect((await stack.request('DELETE', `/v1/api-keys/${api_key.id}`)).status).toBe(204);
    const listed = await stack.request('GET', `/v1/api-keys?tenant_id=${tenantId}`);
    expect(Date.parse(listed.body.items[0].revoked_at)).not.toBeNaN();
    expect(await chainActions(tenantId)).toEqual(['tenant.created', 'api_key.created', 'api_key.revoked']);

    const unknown = await stack.request('DELETE', '/v1/api-keys/00000000-0000-4000-8000-000000000002');
    expect(unknown.status).toBe(404);
    expect((await stack.request('DELETE', '/v1/api-keys/not-a-uuid')).status).toBe(400);
  });
});

describe('verifyApiKey', () => {
  test('a valid key answers its tenant, product and scopes; a frozen tenant fails once the cache TTL has passed', async () => {
    const clock = new ManualClock();
    configure({}, clock);
    const tenantId = await createTenant();
    const { plaintext } = await createKey(tenantId, { product: 'orders', scopes: ['profile:read'] });
    const res = await verify(plaintext);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      valid: true,
      tenant_id: tenantId,
      product: 'orders',
      scopes: ['profile:read'],
    });

    expect((await stack.request('POST', `/v1/tenants/${tenantId}/cancel`, { body: {} })).status).toBe(200);
    // Within the TTL this container still trusts its cached answer: the documented bound.
    expect((await verify(plaintext)).body.valid).toBe(true);
    clock.advance(31_000);
    expect((await verify(plaintext)).body).toEqual({ valid: false });
    // Reactivated: valid again once the short negative entry has gone.
    expect((await stack.request('POST', `/v1/tenants/${tenantId}/activate`, { body: {} })).status).toBe(200);
    clock.advance(5_001);
    expect((await verify(plaintext)).body.valid).toBe(true);
    await app.apiKeys().settled();
    configure();
  });

  test('an expired key fails, even from the cache', async () => {
    const clock = new ManualClock();
    configure({}, clock);
    const tenantId = await createTenant();
    const { plaintext } = await createKey(tenantId, {
      expires_at: new Date(clock.now().getTime() + 10_000).toISOString(),
    });
    expect((await verify(plaintext)).body.valid).toBe(true);
    clock.advance(10_001);
    expect((await verify(plaintext)).body).toEqual({ valid: false });
    await app.apiKeys().settled();
    configure();
  });

  test('last_used_at moves at most once a minute, off the answer path', async () => {
    const clock = new ManualClock();
    configure({}, clock);
    const tenantId = await createTenant();
    const { api_key, plaintext } = await createKey(tenantId);
    calls.clear();
    for (let i = 0; i < 20; i++) expect((await verify(plaintext)).body.valid).toBe(true);
    await app.apiKeys().settled();
    expect(callCount('UpdateItemCommand')).toBe(1);
    // One GetItem of the key and one of the tenant; every later answer came from the cache.
    expect(callCount('GetItemCommand')).toBe(2);
    const first = (await storedKey(api_key.id)).last_used_at as string;
    expect(Date.parse(first)).not.toBeNaN();

    clock.advance(61_000);
    expect((await verify(plaintext)).body.valid).toBe(true);
    await app.apiKeys().settled();
    expect(callCount('UpdateItemCommand')).toBe(2);
    const second = (await storedKey(api_key.id)).last_used_at as string;
    expect(Date.parse(second) - Date.parse(first)).toBeGreaterThanOrEqual(60_000);
    const listed = await stack.request('GET', `/v1/api-keys?tenant_id=${tenantId}`);
    expect(listed.body.items[0].last_used_at).toBe(second);
    configure();
  });

  test('a key hashed under old parameters verifies and is re-hashed with the current ones', async () => {
    const tenantId = await createTenant();
    const { api_key, plaintext } = await createKey(tenantId);
    const parsed = parseKey(plaintext);
    if (!parsed) throw new Error('unparsable key');
    const old = await new KeyHasher({ m: 8192, t: 1, p: 1 }).hash(parsed.secret);
    await stack.dynamodb.send(
      new UpdateItemCommand({
        TableName: stack.tableName,
        Key: { PK: { S: keys.apiKey(api_key.id).PK }, SK: { S: 'KEY' } },
        UpdateExpression: 'SET secret_hash = :h',
        ExpressionAttributeValues: { ':h': { S: old } },
      }),
    );
    configure();
    expect((await verify(plaintext)).body.valid).toBe(true);
    await app.apiKeys().settled();
    const rehashed = String((await storedKey(api_key.id)).secret_hash);
    expect(paramsOf(rehashed)).toEqual(DEFAULT_ARGON2_PARAMS);
    expect(rehashed).not.toBe(old);
    configure();
    expect((await verify(plaintext)).body.valid).toBe(true);
    // A wrong secret still fails against the new hash.
    const wrong = mint(idPart(plaintext), randomSecret());
    expect((await verify(wrong)).body.valid).toBe(false);
  });

  test('the matrix: 10,000 calls, always 200, valid exactly where valid', async () => {
    const clock = new ManualClock();
    configure({}, clock);
    const owner = await createTenant();
    const other = await createTenant();
    const good = await createKey(owner, { product: 'orders' });
    const others = await createKey(other);
    const revoked = await createKey(owner);
    await stack.request('DELETE', `/v1/api-keys/${revoked.api_key.id}`);
    const expiring = await createKey(owner, {
      expires_at: new Date(clock.now().getTime() + 60_000).toISOString(),
    });
    clock.advance(61_000);

    const cases: { name: string; key: unknown; expect: Record<string, unknown> }[] = [
      {
        name: 'valid',
        key: good.plaintext,
        expect: { valid: true, tenant_id: owner, product: 'orders', scopes: [...DEFAULT_SCOPES] },
      },
      {
        name: "other tenant's key",
        key: others.plaintext,
        expect: { valid: true, tenant_id: other, scopes: [...DEFAULT_SCOPES] },
      },
      ...Array.from({ length: 3 }, () => ({
        name: 'wrong secret',
        key: mint(idPart(good.plaintext), randomSecret()),
        expect: { valid: false },
      })),
      ...Array.from({ length: 3 }, () => ({
        name: 'unknown id',
        key: mint(randomId(), randomSecret()),
        expect: { valid: false },
      })),
      { name: 'bad checksum', key: `${good.plaintext.slice(0, -8)}00000000`, expect: { valid: false } },
      { name: 'revoked', key: revoked.plaintext, expect: { valid: false } },
      { name: 'expired', key: expiring.plaintext, expect: { valid: false } },
      { name: 'empty', key: '', expect: { valid: false } },
      { name: '10 kB', key: 'k'.repeat(10_240), expect: { valid: false } },
      { name: '10 kB key-like', key: `${good.plaintext}${'A'.repeat(10_240)}`, expect: { valid: false } },
      { name: 'number', key: 12345, expect: { valid: false } },
      { name: 'null', key: null, expect: { valid: false } },
      { name: 'boolean', key: true, expect: { valid: false } },
      { name: 'object', key: { key: good.plaintext }, expect: { valid: false } },
      { name: 'array', key: [good.plaintext], expect: { valid: false } },
    ];
    if (cases.some((c) => c.name === 'bad checksum' && c.key === good.plaintext))
      throw new Error('bad fixture');

    const outcomes = new Map<string, { calls: number; wrong: number }>();
    for (let i = 0; i < 10_000; i++) {
      const c = cases[i % cases.length];
      if (!c) throw new Error('no case');
      const res = await verify(c.key);
      const ok = res.status === 200 && JSON.stringify(res.body) === JSON.stringify(c.expect);
      const o = outcomes.get(c.name) ?? { calls: 0, wrong: 0 };
      o.calls += 1;
      if (!ok) o.wrong += 1;
      outcomes.set(c.name, o);
    }
    const wrong = [...outcomes.entries()].filter(([, o]) => o.wrong > 0);
    expect(wrong).toEqual([]);
    expect([...outcomes.values()].reduce((n, o) => n + o.calls, 0)).toBe(10_000);
    await app.apiKeys().settled();
    configure();
  }, 120_000);

  test('every single-character mutation of a valid key is rejected before any store read', async () => {
    const tenantId = await createTenant();
    const { plaintext } = await createKey(tenantId);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_. +/=';
    const mutants = new Set<string>();
    for (let i = 0; i < plaintext.length; i++) {
      for (const ch of alphabet) {
        mutants.add(plaintext.slice(0, i) + ch + plaintext.slice(i + 1)); // substitution
        mutants.add(plaintext.slice(0, i) + ch + plaintext.slice(i)); // insertion
      }
      mutants.add(plaintext.slice(0, i) + plaintext.slice(i + 1)); // deletion
      if (i + 1 < plaintext.length) {
        mutants.add(plaintext.slice(0, i) + plaintext[i + 1] + plaintext[i] + plaintext.slice(i + 2)); // swap
      }
    }
    for (const ch of alphabet) mutants.add(plaintext + ch);
    mutants.delete(plaintext);
    expect(mutants.size).toBeGreaterThan(10_000);

    configure();
    let accepted = 0;
    for (const mutant of mutants) {
      const res = await verify(mutant);
      if (res.status !== 200 || res.body.valid !== false) accepted += 1;
    }
    expect({ accepted, storeCalls: callCount() }).toEqual({ accepted: 0, storeCalls: 0 });
    // The key itself still reads the store: the counter counts.
    expect((await verify(plaintext)).body.valid).toBe(true);
    expect(callCount('GetItemCommand')).toBeGreaterThan(0);
    await app.apiKeys().settled();
  }, 120_000);

  test('no plaintext key or secret part in any stored item or log line', async () => {
    stack.logs.clear();
    configure({ TENANT_REGISTRY_LOG_LEVEL: 'DEBUG' });
    const tenantId = await createTenant();
    const plaintexts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { plaintext, api_key } = await createKey(tenantId);
      plaintexts.push(plaintext);
      await verify(plaintext);
      await verify(`${plaintext.slice(0, -1)}x`);
      if (i === 0) await stack.request('DELETE', `/v1/api-keys/${api_key.id}`);
    }
    await app.apiKeys().settled();
    const secrets = plaintexts.flatMap((p) => [p, parseKey(p)?.secret ?? p, p.slice(27, 60)]);

    const items: string[] = [];
    let start: Record<string, any> | undefined;
    do {
      const page = await stack.dynamodb.send(
        new ScanCommand({ TableName: stack.tableName, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) items.push(JSON.stringify(unmarshall(item)));
      start = page.LastEvaluatedKey;
    } while (start);
    expect(items.length).toBeGreaterThan(10);
    expect(items.filter((i) => i.includes('argon2id')).length).toBeGreaterThanOrEqual(3);
    const lines = stack.logs.lines;
    expect(lines.length).toBeGreaterThan(0);
    const leaks = secrets.filter((s) => items.some((i) => i.includes(s)) || lines.some((l) => l.includes(s)));
    expect(leaks).toEqual([]);
    configure();
  });
});

describe('what a key costs (issue 9: argon2 cost amplification)', () => {
  /** Every argon2 verify the app runs, whichever hasher instance runs it. */
  let argon2: jest.SpiedFunction<KeyHasher['verify']>;
  beforeEach(() => {
    argon2 = jest.spyOn(KeyHasher.prototype, 'verify');
  });
  afterEach(async () => {
    argon2.mockRestore();
    await app.apiKeys().settled();
    configure();
  });

  /** GET /{slug}/profile with the key: the tenant plane's answer. */
  const profile = (slug: string, key: string) =>
    stack.request('GET', `/${slug}/profile`, { token: null, headers: { authorization: `Bearer ${key}` } });
  const UNAUTHORIZED = { status: 401, error: 'unauthorized', message: 'the API key is not valid' };
  const answer = (res: { status: number; body: any }) => ({
    status: res.status,
    error: res.body.error,
    message: res.body.message,
  });

  async function tenantWithKey() {
    const slug = uniqueSlug('cost');
    const created = await stack.request('POST', '/v1/tenants', { body: tenantBody(slug) });
    expect(created.status).toBe(201);
    const { api_key, plaintext } = await createKey(created.body.tenant.id);
    return { slug, tenantId: created.body.tenant.id as string, keyId: api_key.id as string, plaintext };
  }

  test('random well-formed keys (unknown ids): one GetItem each, no argon2; 200 {valid:false} and 401 unauthorized', async () => {
    const { slug } = await tenantWithKey();
    configure();
    stack.logs.clear();
    for (let i = 0; i < 25; i++) {
      const random = () => formatKey('trk', randomUUID(), randomBytes(32));
      const verified = await verify(random());
      expect([verified.status, verified.body]).toEqual([200, { valid: false }]);
      expect(answer(await profile(slug, random()))).toEqual(UNAUTHORIZED);
    }
    expect(argon2).toHaveBeenCalledTimes(0);
    expect(callCount('GetItemCommand')).toBe(50);
    expect(stack.logs.events('auth.rejected').map((l) => l.reason)).toEqual(
      Array(25).fill('invalid_credential'),
    );
  });

  test('wrong secrets on a known id: argon2 bounded per window; the owner verified before is still admitted; the window resets', async () => {
    const clock = new ManualClock();
    const env = { TENANT_REGISTRY_KEY_FAILURE_LIMIT: '2', TENANT_REGISTRY_KEY_FAILURE_WINDOW_SECONDS: '120' };
    configure(env, clock);
    const owner = await tenantWithKey();
    expect((await profile(owner.slug, owner.plaintext)).status).toBe(200);
    expect(argon2).toHaveBeenCalledTimes(1);

    stack.logs.clear();
    const wrong = () => mint(idPart(owner.plaintext), randomSecret());
    for (let i = 0; i < 30; i++) {
      expect((await verify(wrong())).body).toEqual({ valid: false });
      expect(answer(await profile(owner.slug, wrong()))).toEqual(UNAUTHORIZED);
    }
    expect(argon2).toHaveBeenCalledTimes(3);
    expect(stack.logs.events('api_key.verify_throttled')).toEqual([
      expect.objectContaining({ limit: 2, window_seconds: 120 }),
    ]);
    expect(stack.logs.lines.filter((l) => l.includes(owner.keyId))).toEqual([]);

    // The owner's key outlives its 30 s cache entry inside the window: re-verified, not refused.
    clock.advance(31_000);
    const res = await profile(owner.slug, owner.plaintext);
    expect([res.status, res.body.id]).toEqual([200, owner.tenantId]);
    expect((await verify(owner.plaintext)).body).toMatchObject({ valid: true, tenant_id: owner.tenantId });
    expect(argon2).toHaveBeenCalledTimes(4);
    expect(answer(await profile(owner.slug, wrong()))).toEqual(UNAUTHORIZED);
    expect(argon2).toHaveBeenCalledTimes(4);

    // A new window: wrong secrets run argon2 again, up to the bound.
    clock.advance(90_000);
    for (let i = 0; i < 10; i++) expect((await verify(wrong())).body).toEqual({ valid: false });
    expect(argon2).toHaveBeenCalledTimes(6);
  });

  test('in a container that never verified the key, the flooded id refuses it until the window ends', async () => {
    const clock = new ManualClock();
    configure(
      { TENANT_REGISTRY_KEY_FAILURE_LIMIT: '2', TENANT_REGISTRY_KEY_FAILURE_WINDOW_SECONDS: '60' },
      clock,
    );
    const owner = await tenantWithKey();
    for (let i = 0; i < 10; i++) await verify(mint(idPart(owner.plaintext), randomSecret()));
    expect(argon2).toHaveBeenCalledTimes(2);
    expect(answer(await profile(owner.slug, owner.plaintext))).toEqual(UNAUTHORIZED);
    expect((await verify(owner.plaintext)).body).toEqual({ valid: false });
    expect(argon2).toHaveBeenCalledTimes(2);
    clock.advance(60_000);
    expect((await profile(owner.slug, owner.plaintext)).status).toBe(200);
    expect(argon2).toHaveBeenCalledTimes(3);
  });
});

/** A well-formed key (right checksum) for an id part and secret the server may never have issued. */
function mint(id: string, secret: string): string {
  const body = `trk_${id}_${secret}`;
  return `${body}_${crc(body)}`;
}
const idPart = (plaintext: string) => plaintext.slice(4, 26);
const randomSecret = () => randomBytes(32).toString('base64url');
const randomId = () => randomBytes(16).toString('base64url');

/** CRC32, as the key format computes it, for minting keys the server never issued. */
function crc(text: string): string {
  let c = ~0;
  for (const byte of Buffer.from(text)) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ((~c >>> 0) >>> 0).toString(16).padStart(8, '0');
}
