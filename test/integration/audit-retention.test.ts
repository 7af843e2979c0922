import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { verifyFile } from '../../bin/audit-verify';
import * as app from '../../shared/app';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { ManualClock } from '../support/clock';
import { startStack, type TestStack } from '../support/stack';
import { expireByTtl } from '../support/ttl';

/**
 * Retention through the API and the scheduled verifier, with a manual clock and DynamoDB's TTL
 * emulated (`expireByTtl` deletes exactly what TTL would have deleted by then).
 */

type Item = Record<string, unknown>;
const DAY = 86_400_000;

let stack: TestStack;
const clock = new ManualClock();

beforeAll(async () => {
  stack = await startStack();
  stack.configure({}, { clock });
});
afterAll(async () => {
  await stack.close();
});

async function createTenant(): Promise<string> {
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('keep')) });
  expect(res.status).toBe(201);
  return res.body.tenant.id as string;
}

async function append(tenant: string, action: string): Promise<Item> {
  const res = await stack.request('POST', '/v1/audit', {
    body: { tenant_id: tenant, action, actor_id: 'ops' },
  });
  expect(res.status).toBe(201);
  return res.body as Item;
}

async function items(pk: string): Promise<Item[]> {
  const out = await stack.dynamodb.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': { S: pk } },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((i) => unmarshall(i as Record<string, AttributeValue>));
}

async function getItem(pk: string, sk: string): Promise<Item | undefined> {
  const out = await stack.dynamodb.send(
    new GetItemCommand({
      TableName: stack.tableName,
      Key: marshall({ PK: pk, SK: sk }),
      ConsistentRead: true,
    }),
  );
  return out.Item ? unmarshall(out.Item) : undefined;
}

async function listIds(tenant: string): Promise<number[]> {
  const res = await stack.request('GET', `/v1/audit?tenant_id=${tenant}&limit=500`);
  expect(res.status).toBe(200);
  return (res.body.items as Item[]).map((e) => Number(e.id)).reverse();
}

describe('audit_retention_days', () => {
  test.each([
    [29, 'body.audit_retention_days'],
    [3651, 'body.audit_retention_days'],
    [45.5, 'body.audit_retention_days'],
    ['90', 'body.audit_retention_days'],
  ])('%p is refused with a 400 naming the field', async (value, field) => {
    const tenant = await createTenant();
    const res = await stack.request('PATCH', `/v1/tenants/${tenant}`, {
      body: { audit_retention_days: value },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_input');
    expect(res.body.message).toContain(field);
  });

  test('a change is a tenant.updated event with from and to, which the tenant sees', async () => {
    const tenant = await createTenant();
    const set = await stack.request('PATCH', `/v1/tenants/${tenant}`, { body: { audit_retention_days: 30 } });
    expect(set.status).toBe(200);
    expect(set.body.audit_retention_days).toBe(30);
    expect((await stack.request('GET', `/v1/tenants/${tenant}`)).body.audit_retention_days).toBe(30);
    const back = await stack.request('PATCH', `/v1/tenants/${tenant}`, {
      body: { audit_retention_days: null },
    });
    expect(back.status).toBe(200);
    expect(back.body).not.toHaveProperty('audit_retention_days');

    const events = await stack.request('GET', `/v1/audit?tenant_id=${tenant}&action=tenant.updated`);
    // The operators' view also holds the request id; the tenant's does not (not its request).
    expect(events.body.items.map(({ metadata: { request_id: _r, ...m } }: any) => m)).toEqual([
      { fields: ['audit_retention_days'], audit_retention_days: { from: 30, to: null } },
      { fields: ['audit_retention_days'], audit_retention_days: { from: null, to: 30 } },
    ]);
    const key = await stack.request('POST', '/v1/api-keys', {
      body: { tenant_id: tenant, name: 'reader', scopes: ['audit:read', 'profile:read'] },
    });
    const own = await stack.request('GET', `/${tenant}/audit?action=tenant.updated`, {
      token: null,
      headers: { 'x-api-key': key.body.plaintext },
    });
    expect(own.status).toBe(200);
    expect(own.body.items.map((e: Item) => e.metadata)).toEqual([
      { fields: ['audit_retention_days'], audit_retention_days: { from: 30, to: null } },
      { fields: ['audit_retention_days'], audit_retention_days: { from: null, to: 30 } },
    ]);
  });
});

describe('expiry behind a checkpoint', () => {
  test('events past retention expire only behind a verified checkpoint; verify starts there', async () => {
    const tenant = await createTenant();
    await stack.request('PATCH', `/v1/tenants/${tenant}`, { body: { audit_retention_days: 30 } });
    const old: Item[] = [];
    for (let i = 0; i < 5; i++) old.push(await append(tenant, `old.${i}`));
    clock.advance(31 * DAY);
    const fresh: Item[] = [];
    for (let i = 0; i < 3; i++) fresh.push(await append(tenant, `new.${i}`));
    const before = await listIds(tenant);
    expect(before).toHaveLength(10);

    const report = await app.auditMonitor().run();
    const mine = report.chains.find((c) => c.chain === tenant);
    const last = old[4] as Item;
    const checkpoint = { id: last.id, hash: last.hash, at: last.created_at };
    expect(mine).toEqual({
      chain: tenant,
      ok: true,
      checked: 10,
      round_complete: true,
      checkpoint,
      expired: 7,
    });

    // Stamped but not yet deleted: still listed, and verify already starts at the checkpoint.
    expect(await listIds(tenant)).toEqual(before);
    expect((await stack.request('GET', `/v1/audit/verify?tenant_id=${tenant}`)).body).toEqual({
      ok: true,
      checked: 3,
      from_checkpoint: checkpoint,
    });

    clock.advance(2 * DAY);
    const deleted = await expireByTtl(stack.dynamodb, stack.tableName, clock.now());
    const pad = (id: unknown) => String(id).padStart(16, '0');
    const expiredIds = before.slice(0, 7);
    expect(
      deleted
        .filter((k) => k.PK === `AUDIT#${tenant}`)
        .map((k) => k.SK)
        .sort(),
    ).toEqual(expiredIds.map((id) => `EVENT#${pad(id)}`));
    for (const id of expiredIds) expect(deleted).toContainEqual({ PK: `AUDITID#${pad(id)}`, SK: 'CLAIM' });
    // The head, the checkpoint, the progress and the newer events stay.
    expect((await items(`AUDIT#${tenant}`)).map((i) => String(i.SK).replace(/#\d+$/, '#')).sort()).toEqual([
      'CHECKPOINT',
      'EVENT#',
      'EVENT#',
      'EVENT#',
      'HEAD',
      'VERIFIED',
    ]);
    expect(await listIds(tenant)).toEqual(fresh.map((e) => Number(e.id)));
    expect((await stack.request('GET', `/v1/audit/verify?tenant_id=${tenant}`)).body).toEqual({
      ok: true,
      checked: 3,
      from_checkpoint: checkpoint,
    });
    // The chain's export says where it starts, and verifies offline from there.
    const exported = await stack.request('GET', `/v1/audit/export?tenant_id=${tenant}`);
    expect(exported.status).toBe(200);
    const [header, ...lines] = exported.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(header.export.from_checkpoint).toEqual(checkpoint);
    expect(lines.map((e) => Number(e.id))).toEqual(fresh.map((e) => Number(e.id)));
    const file = join(mkdtempSync(join(tmpdir(), 'retention-')), 'export.ndjson');
    writeFileSync(file, exported.text);
    expect(await verifyFile(file)).toMatchObject({ ok: true, events: 3, chains: [{ starts: 'checkpoint' }] });

    // Appends go on as before, and the next run verifies and keeps what is within retention.
    await append(tenant, 'after');
    const again = await app.auditMonitor().run();
    expect(again.chains.find((c) => c.chain === tenant)).toEqual({
      chain: tenant,
      ok: true,
      checked: 4,
      round_complete: true,
      expired: 0,
    });
    expect((await stack.request('GET', `/v1/audit/verify?tenant_id=${tenant}`)).body).toMatchObject({
      ok: true,
      checked: 4,
    });
  });

  test('a shorter retention applies to the events already stored; without one nothing expires', async () => {
    const keep = await createTenant();
    const shorten = await createTenant();
    await append(keep, 'a');
    await append(shorten, 'a');
    clock.advance(40 * DAY);
    await append(shorten, 'b');
    let report = await app.auditMonitor().run();
    expect(report.chains.find((c) => c.chain === shorten)?.expired).toBe(0);
    await stack.request('PATCH', `/v1/tenants/${shorten}`, { body: { audit_retention_days: 30 } });
    report = await app.auditMonitor().run();
    // created + `a` (40 days old); `b` and the PATCH's event are within the 30 days.
    expect(report.chains.find((c) => c.chain === shorten)).toMatchObject({ ok: true, expired: 2 });
    expect(report.chains.find((c) => c.chain === keep)).toMatchObject({ ok: true, expired: 0 });
    expect(await getItem(`AUDIT#${keep}`, 'CHECKPOINT')).toBeUndefined();
  });

  test('the stack default applies where the tenant sets none; the head never expires', async () => {
    stack.configure({ TENANT_REGISTRY_AUDIT_RETENTION_DAYS: '30' }, { clock });
    try {
      const tenant = await createTenant();
      await append(tenant, 'only');
      clock.advance(31 * DAY);
      const report = await app.auditMonitor().run();
      expect(report.chains.find((c) => c.chain === tenant)).toMatchObject({ ok: true, expired: 2 });
      clock.advance(DAY);
      await expireByTtl(stack.dynamodb, stack.tableName, clock.now());
      // Every event is gone; the head is the checkpoint, and the chain goes on from it.
      const head = await getItem(`AUDIT#${tenant}`, 'HEAD');
      expect(head).not.toHaveProperty('expires_at');
      expect((await stack.request('GET', `/v1/audit/verify?tenant_id=${tenant}`)).body).toMatchObject({
        ok: true,
        checked: 0,
        from_checkpoint: { id: head?.last_id, hash: head?.hash },
      });
      await append(tenant, 'later');
      expect((await stack.request('GET', `/v1/audit/verify?tenant_id=${tenant}`)).body).toMatchObject({
        ok: true,
        checked: 1,
      });
    } finally {
      stack.configure({}, { clock });
    }
  });

  test('a chain that is broken keeps everything: no checkpoint moves, nothing expires', async () => {
    const tenant = await createTenant();
    await stack.request('PATCH', `/v1/tenants/${tenant}`, { body: { audit_retention_days: 30 } });
    const victim = await append(tenant, 'victim');
    clock.advance(31 * DAY);
    await append(tenant, 'new');
    const [stored] = (await items(`AUDIT#${tenant}`)).filter((i) => i.id === victim.id);
    await stack.dynamodb.send(
      new PutItemCommand({
        TableName: stack.tableName,
        Item: marshall({ ...stored, actor_id: 'someone else' }),
      }),
    );
    const report = await app.auditMonitor().run();
    expect(report.chains.find((c) => c.chain === tenant)).toEqual({
      chain: tenant,
      ok: false,
      checked: 2,
      round_complete: false,
      event_id: victim.id,
      reason: 'altered event',
      expired: 0,
    });
    expect(await getItem(`AUDIT#${tenant}`, 'CHECKPOINT')).toBeUndefined();
    expect((await items(`AUDIT#${tenant}`)).filter((i) => i.expires_at !== undefined)).toEqual([]);
    expect(await getItem(`AUDIT#${tenant}`, 'VERIFIED')).toMatchObject({
      broken: { event_id: victim.id, reason: 'altered event' },
    });
  });
});
