import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { report, verifyFile } from '../../bin/audit-verify';
import { serve } from '../../bin/local/server';
import { DynamoAuditLog } from '../../shared/adapters/dynamodb/audit-log';
import { SCOPES } from '../../shared/domain/api-key';
import { GENESIS_HASH } from '../../shared/domain/audit';
import { carriedBytes, PAGE_BYTE_BUDGET } from '../../shared/domain/page-budget';
import { EXPORT_PAGE } from '../../shared/services/audit';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { seedTenantChain } from '../support/audit-seed';
import { ManualClock } from '../support/clock';
import { startStack, type TestStack } from '../support/stack';

interface Event {
  id: number;
  tenant_id?: string;
  action: string;
  prev_hash: string;
  hash: string;
  redacted?: true;
  [key: string]: unknown;
}

let stack: TestStack;
const dir = mkdtempSync(join(tmpdir(), 'audit-export-'));
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

async function createTenant(): Promise<string> {
  const res = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('export')) });
  expect(res.status).toBe(201);
  return res.body.tenant.id;
}

async function newKey(tenantId: string, scopes: readonly string[] = SCOPES) {
  const k = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: tenantId, name: 'export', scopes },
  });
  expect(k.status).toBe(201);
  return { key: k.body.plaintext as string, keyId: k.body.api_key.id as string };
}

const as = (key: string) => ({ token: null, headers: { 'x-api-key': key } });

async function append(body: Record<string, unknown>): Promise<Event> {
  const res = await stack.request('POST', '/v1/audit', { body });
  expect(res.status).toBe(201);
  return res.body;
}

/** Every page of a listing, oldest first (the order of an export). */
async function listAll(path: string, query: Record<string, string>, options = {}): Promise<Event[]> {
  const out: Event[] = [];
  let cursor: number | undefined;
  for (;;) {
    const qs = new URLSearchParams({ ...query, limit: '500', ...(cursor ? { cursor: String(cursor) } : {}) });
    const res = await stack.request('GET', `${path}?${qs}`, options);
    expect(res.status).toBe(200);
    out.push(...res.body.items);
    if (res.body.next_cursor === undefined) return out.reverse();
    cursor = res.body.next_cursor;
  }
}

function ndjson(text: string): { header: Record<string, unknown>; events: Event[] } {
  const lines = text.split('\n');
  expect(lines.at(-1)).toBe('');
  const [first, ...rest] = lines.slice(0, -1).map((l) => JSON.parse(l));
  return { header: first.export, events: rest };
}

function saved(text: string): string {
  const path = join(dir, `${randomUUID()}.ndjson`);
  writeFileSync(path, text);
  return path;
}

/** RFC 4180, for the test only: quoted fields with doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  expect(field).toBe('');
  expect(row).toEqual([]);
  return rows;
}

describe('operator export', () => {
  test('NDJSON: a header line, then every event of the chain oldest first as stored; it verifies offline', async () => {
    const tenant = await createTenant();
    for (let i = 0; i < 5; i++)
      await append({ tenant_id: tenant, action: 'invoice.sent', metadata: { n: i } });
    const res = await stack.request('GET', `/v1/audit/export?tenant_id=${tenant}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    expect(res.headers['content-disposition']).toMatch(
      new RegExp(`^attachment; filename="audit-${tenant}-\\d{8}T\\d{6}Z\\.ndjson"$`),
    );
    expect(res.headers['content-length']).toBeUndefined();
    const { header, events } = ndjson(res.text);
    expect(header).toMatchObject({
      version: 1,
      view: 'operator',
      filters: { tenant_id: tenant },
      contiguous: true,
      from_checkpoint: null,
    });
    expect(events).toEqual(await listAll('/v1/audit', { tenant_id: tenant }));
    expect(events.map((e) => e.action)).toEqual(['tenant.created', ...Array(5).fill('invoice.sent')]);
    expect(events[0]?.prev_hash).toBe(GENESIS_HASH);
    const verdict = await verifyFile(saved(res.text));
    expect(verdict).toMatchObject({ ok: true, events: 6, hashes: 6, links: 5, redacted: 0 });
    const head = await stack.request('GET', `/v1/audit/verify?tenant_id=${tenant}`);
    expect(head.body).toEqual({ ok: true, checked: 6 });
  });

  test('the same filters as the list, origin and key_id included; a filtered export still verifies', async () => {
    const tenant = await createTenant();
    const { key, keyId } = await newKey(tenant);
    await append({ tenant_id: tenant, action: 'invoice.sent', product: 'billing', actor_id: 'alice' });
    const own = await stack.request('POST', '/tenant/audit', {
      ...as(key),
      headers: { 'x-api-key': key, 'x-tenant-id': tenant },
      body: { action: 'report.viewed' },
    });
    expect(own.status).toBe(201);
    await append({ tenant_id: tenant, action: 'invoice.sent', product: 'orders', actor_id: 'bob' });
    const cases: Record<string, string>[] = [
      { tenant_id: tenant, product: 'billing' },
      { tenant_id: tenant, actor_id: 'bob' },
      { tenant_id: tenant, action: 'invoice.sent' },
      { tenant_id: tenant, origin: 'tenant' },
      { tenant_id: tenant, origin: 'operator', action: 'invoice.sent' },
      { key_id: keyId },
    ];
    for (const filters of cases) {
      const res = await stack.request('GET', `/v1/audit/export?${new URLSearchParams(filters)}`);
      expect(res.status).toBe(200);
      const { header, events } = ndjson(res.text);
      expect({ filters, ids: events.map((e) => e.id) }).toEqual({
        filters,
        ids: (await listAll('/v1/audit', filters)).map((e) => e.id),
      });
      expect(events.length).toBeGreaterThan(0);
      expect(header).toMatchObject({ filters, contiguous: false });
      expect(await verifyFile(saved(res.text))).toMatchObject({ ok: true, events: events.length });
    }
    const byKey = ndjson((await stack.request('GET', `/v1/audit/export?key_id=${keyId}`)).text).events;
    expect(byKey.map((e) => [e.action, e.origin, e.key_id])).toEqual([['report.viewed', 'tenant', keyId]]);
  });

  test('since and until select a time range (until exclusive); since > until is a 400 naming the query', async () => {
    const tenant = await createTenant();
    const events = [
      await append({ tenant_id: tenant, action: 'a.one' }),
      await append({ tenant_id: tenant, action: 'a.two' }),
    ];
    const second = events[1] as Event;
    const at = second.created_at as string;
    const from = await stack.request('GET', `/v1/audit/export?tenant_id=${tenant}&since=${at}`);
    const got = ndjson(from.text);
    expect(got.events.map((e) => e.id)).toEqual([second.id]);
    expect(got.header).toMatchObject({ filters: { tenant_id: tenant, since: at }, contiguous: true });
    // A range starts mid-chain: its first link is taken as the anchor, the rest must hold.
    expect(await verifyFile(saved(from.text))).toMatchObject({ ok: true, chains: [{ starts: 'since' }] });
    const before = await stack.request('GET', `/v1/audit/export?tenant_id=${tenant}&until=${at}`);
    expect(ndjson(before.text).events.map((e) => e.id)).not.toContain(second.id);
    const wrong = await stack.request(
      'GET',
      `/v1/audit/export?since=2025-01-02T00:00:00Z&until=2025-01-01T00:00:00Z`,
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({
      error: 'invalid_input',
      message: 'query.since must not be after query.until',
    });
  });

  test('bad input is a 400 naming the parameter; an unknown tenant a 404; HEAD reads nothing', async () => {
    const format = await stack.request('GET', '/v1/audit/export?format=xml');
    expect(format.status).toBe(400);
    expect(format.body.error).toBe('invalid_input');
    expect(format.body.message).toContain('format');
    const limit = await stack.request('GET', '/v1/audit/export?limit=5');
    expect(limit.status).toBe(400);
    expect(limit.body.message).toContain('limit');
    const unknown = await stack.request('GET', `/v1/audit/export?tenant_id=${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('not_found');
    const head = await stack.request('HEAD', '/v1/audit/export?format=csv');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers['content-type']).toBe('text/csv; charset=utf-8; header=present');
  });

  test('CSV: RFC 4180 with a header row, fixed columns, metadata as JSON; commas, quotes and newlines survive', async () => {
    const tenant = await createTenant();
    const tricky = { note: 'a, "quoted"\r\nsecond line', list: [1, 'two,'], nested: { x: '"' } };
    const event = await append({
      tenant_id: tenant,
      action: 'note.added',
      actor_name: 'Doe, "Jane"',
      target_name: 'line one\nline two',
      metadata: tricky,
    });
    const res = await stack.request('GET', `/v1/audit/export?tenant_id=${tenant}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/filename="audit-[0-9a-f-]+-\d{8}T\d{6}Z\.csv"$/);
    const rows = parseCsv(res.text);
    expect(rows[0]).toEqual([
      'id',
      'created_at',
      'tenant_id',
      'project_id',
      'actor_id',
      'actor_name',
      'actor_type',
      'action',
      'target_id',
      'target_type',
      'target_name',
      'product',
      'origin',
      'key_id',
      'source_ip',
      'user_agent',
      'metadata',
      'nonce',
      'prev_hash',
      'hash',
    ]);
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toHaveLength(20);
    const header = rows[0] as string[];
    const row = Object.fromEntries(header.map((c, i) => [c, (rows[2] as string[])[i]]));
    expect(row).toMatchObject({
      id: String(event.id),
      actor_name: 'Doe, "Jane"',
      target_name: 'line one\nline two',
      action: 'note.added',
      origin: 'operator',
      project_id: '',
      prev_hash: event.prev_hash,
      hash: event.hash,
    });
    expect(JSON.parse(row.metadata as string)).toEqual(tricky);
  });

  test('an export larger than one store page: every event, in order, and it verifies', async () => {
    const tenant = randomUUID();
    const count = EXPORT_PAGE * 2 + 37;
    await seedTenantChain(stack.dynamodb, stack.tableName, tenant, count);
    const res = await stack.request('GET', `/v1/audit/export?tenant_id=${tenant}`);
    expect(res.status).toBe(200);
    const { events } = ndjson(res.text);
    expect(events).toHaveLength(count);
    expect(events.map((e) => e.target_id)).toEqual(Array.from({ length: count }, (_, i) => `record-${i}`));
    expect(await verifyFile(saved(res.text))).toMatchObject({ ok: true, events: count, links: count - 1 });
    const csv = parseCsv(
      (await stack.request('GET', `/v1/audit/export?tenant_id=${tenant}&format=csv`)).text,
    );
    expect(csv).toHaveLength(count + 1);
  });
});

describe('store pages of an export', () => {
  test("a streamed page is cut by DynamoDB's 1 MB alone, a listed one also by the response budget", async () => {
    const tenant = randomUUID();
    // Events of about 12 KB: 100 carry about 2.4 MB in a response, over the budget (768 KiB).
    const filler = 'x'.repeat(12_000);
    await seedTenantChain(stack.dynamodb, stack.tableName, tenant, EXPORT_PAGE, {
      input: (i) => ({ action: 'record.touched', target_id: `record-${i}`, metadata: { filler } }),
    });
    const log = new DynamoAuditLog(stack.dynamodb, stack.tableName, new ManualClock());
    const query = {
      tenant_id: tenant,
      minId: 0,
      maxId: Number.MAX_SAFE_INTEGER,
      limit: EXPORT_PAGE,
      oldestFirst: true,
    };
    const listed = await log.page(query);
    const streamed = await log.page({ ...query, streamed: true });
    const carried = listed.items.reduce((sum, event) => sum + carriedBytes(event), 0);
    expect(carried).toBeLessThanOrEqual(PAGE_BYTE_BUDGET);
    expect(listed.items.length).toBeLessThan(streamed.items.length);
    // DynamoDB's 1 MB: fewer than asked, and a `next` to go on from.
    expect(streamed.items.length).toBeLessThan(EXPORT_PAGE);
    expect(streamed.items.length * 12_000).toBeGreaterThan(PAGE_BYTE_BUDGET);
    expect(streamed.next).toBe(streamed.items.at(-1)?.id);
    expect(streamed.items.slice(0, listed.items.length)).toEqual(listed.items);
    // The whole export still holds every event, in order.
    const res = await stack.request('GET', `/v1/audit/export?tenant_id=${tenant}`);
    expect(ndjson(res.text).events.map((e) => e.target_id)).toEqual(
      Array.from({ length: EXPORT_PAGE }, (_, i) => `record-${i}`),
    );
  });
});

describe('over HTTP (npm start)', () => {
  test('the local server streams the same body, chunked, with the same headers; HEAD sends none', async () => {
    const tenant = randomUUID();
    await seedTenantChain(stack.dynamodb, stack.tableName, tenant, EXPORT_PAGE + 3);
    const server = await serve(stack.router, { port: 0 });
    try {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const url = `http://127.0.0.1:${port}/v1/audit/export?tenant_id=${tenant}`;
      const headers = { authorization: `Bearer ${stack.token}` };
      const res = await fetch(url, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      expect(res.headers.get('content-length')).toBeNull();
      expect(res.headers.get('content-type')).toBe('application/x-ndjson');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-/);
      const text = await res.text();
      const direct = (await stack.request('GET', `/v1/audit/export?tenant_id=${tenant}`)).text;
      expect(ndjson(text).events).toEqual(ndjson(direct).events);
      expect(ndjson(text).events).toHaveLength(EXPORT_PAGE + 3);
      const head = await fetch(url, { method: 'HEAD', headers });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('tenant export', () => {
  test('the caller chain only, as the tenant projection, never a global or another tenant event', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const { key } = await newKey(tenant, ['audit:read', 'audit:write']);
    await append({ tenant_id: tenant, action: 'invoice.sent' });
    await append({ tenant_id: other, action: 'invoice.sent' });
    await append({ action: 'global.thing' });
    const res = await stack.request('GET', `/tenant/audit/export?tenant_id=${tenant}`, as(key));
    expect(res.status).toBe(200);
    const { header, events } = ndjson(res.text);
    expect(header).toMatchObject({ view: 'tenant', filters: { tenant_id: tenant }, contiguous: true });
    expect(events.every((e) => e.tenant_id === tenant)).toBe(true);
    expect(events).toEqual(await listAll('/tenant/audit', { tenant_id: tenant }, as(key)));
    // The operator's append on the tenant's chain: its request context is withheld.
    const invoice = events.find((e) => e.action === 'invoice.sent') as Event;
    expect(invoice.redacted).toBe(true);
    expect(invoice.source_ip).toBeUndefined();
    expect(invoice.nonce).toBeUndefined();
    // Offline: the links verify; a redacted event's hash is not recomputed, and that is no break.
    const verdict = await verifyFile(saved(res.text));
    expect(verdict).toMatchObject({ ok: true, view: 'tenant', events: events.length });
    if (!verdict.ok) throw new Error('unreachable');
    expect(verdict.redacted).toBe(events.filter((e) => e.redacted).length);
    expect(verdict.hashes).toBe(events.length - verdict.redacted);
    expect(report(verdict).join('\n')).toContain('The operator export verifies them fully');
    const csv = parseCsv(
      (await stack.request('GET', `/tenant/audit/export?tenant_id=${tenant}&format=csv`, as(key))).text,
    );
    expect(csv[0]).toContain('redacted');
    expect(csv[0]).not.toContain('nonce');
    expect(csv).toHaveLength(events.length + 1);
  });

  test('tenant_id as a filter is the selector only; the scope audit:read is required', async () => {
    const tenant = await createTenant();
    const { key } = await newKey(tenant, ['profile:read']);
    const res = await stack.request('GET', `/tenant/audit/export?tenant_id=${tenant}`, as(key));
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('scope_missing');
  });
});

describe('offline verifier', () => {
  let text: string;
  let events: Event[];
  beforeAll(async () => {
    const tenant = await createTenant();
    for (let i = 0; i < 4; i++)
      await append({ tenant_id: tenant, action: 'invoice.sent', metadata: { n: i } });
    await append({ action: 'global.one' });
    text = (await stack.request('GET', `/v1/audit/export?tenant_id=${tenant}`)).text;
    events = ndjson(text).events;
    expect(events).toHaveLength(5);
  });
  const lines = () => text.split('\n');
  const at = (i: number) => events[i] as Event;

  test('a changed field is an altered event at its id', async () => {
    const changed = lines().map((l, i) => (i === 3 ? l.replace('"n":1', '"n":5') : l));
    expect(await verifyFile(saved(changed.join('\n')))).toMatchObject({
      ok: false,
      event_id: at(2).id,
      line: 4,
      reason: 'altered event: its hash does not match its content',
      found: at(2).hash,
    });
  });

  test('a deleted line breaks the link of the event after it: expected and found hashes', async () => {
    const deleted = lines().filter((_, i) => i !== 2);
    expect(await verifyFile(saved(deleted.join('\n')))).toMatchObject({
      ok: false,
      event_id: at(2).id,
      reason: `broken link: prev_hash is not the hash of event ${at(0).id}`,
      expected: at(0).hash,
      found: at(1).hash,
    });
  });

  test('a deleted first line: the chain does not start at genesis', async () => {
    const deleted = lines().filter((_, i) => i !== 1);
    expect(await verifyFile(saved(deleted.join('\n')))).toMatchObject({
      ok: false,
      event_id: at(1).id,
      expected: GENESIS_HASH,
      found: at(0).hash,
    });
  });

  test('reordered lines: the event that moved up is out of place', async () => {
    const l = lines();
    const swapped = [l[0], l[1], l[3], l[2], ...l.slice(4)];
    expect(await verifyFile(saved(swapped.join('\n')))).toMatchObject({
      ok: false,
      event_id: at(2).id,
      reason: `broken link: prev_hash is not the hash of event ${at(0).id}`,
    });
    const l2 = lines();
    const back = [l2[0], l2[1], l2[2], l2[4], l2[3], ...l2.slice(5)];
    expect(await verifyFile(saved(back.join('\n')))).toMatchObject({ ok: false, event_id: at(3).id });
  });

  test('a flipped contiguous flag does not hide a gap; a line of another chain is refused', async () => {
    const l = lines();
    const flipped = [l[0]?.replace('"contiguous":true', '"contiguous":false'), l[1], l[3], ...l.slice(4)];
    expect(await verifyFile(saved(flipped.join('\n')))).toMatchObject({ ok: false, event_id: at(2).id });
    const foreign = JSON.stringify({ ...at(4), tenant_id: randomUUID() });
    expect(await verifyFile(saved([...l.slice(0, -1), foreign, ''].join('\n')))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('an event of another chain'),
    });
  });

  test('npm run audit:verify: exit 0 and counts, 1 and the break, 2 for usage', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'bin/audit-verify.ts', ...args], { encoding: 'utf8' });
    const ok = run(saved(text));
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(
      /^OK: 5 events in 1 chain\(s\), operator export; 5 hashes recomputed, 4 links checked/,
    );
    const broken = run(
      saved(
        lines()
          .filter((_, i) => i !== 2)
          .join('\n'),
      ),
    );
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain(`BROKEN at event ${at(2).id} (line 3`);
    expect(broken.stderr).toContain(`expected: ${at(0).hash}`);
    expect(run().status).toBe(2);
    expect(run(join(dir, 'missing.ndjson')).status).toBe(2);
    const notExport = run(saved('{"id":1}\n'));
    expect(notExport.status).toBe(1);
    expect(notExport.stderr).toContain('not an export header');
  });
});
