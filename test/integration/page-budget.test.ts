import { uniqueSlug } from '../fixtures/tenants';
import { fileStack } from '../support/stack';

/**
 * Lists stop before their response outgrows what a Lambda may answer: 6 MB per invocation, and
 * 1 MB of response JSON behind an Application Load Balancer (AWS quotas). 500 tenants with 16 KiB
 * of settings each would be 8 MB at least; a settings value of quotes doubles again when the
 * body travels escaped inside the Lambda response. A page ends early with a cursor, and the
 * cursors still cover every record exactly once.
 */

const stack = fileStack();

/** ALB's limit on a Lambda target's response JSON, the smaller of the two. */
const ALB_RESPONSE_LIMIT = 1_000_000;
/** 16,011 bytes of JSON text (under the 16 KiB rule), 32,021 once escaped again. */
const heavy = () => ({ blob: '"'.repeat(8_000) });

/** The size of the response as a Lambda hands it over: the body is a JSON string in the response JSON. */
const carried = (text: string) => Buffer.byteLength(JSON.stringify(text), 'utf8');

async function walk(first: string): Promise<{ ids: string[]; sizes: number[]; counts: number[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  const counts: number[] = [];
  let url: string | undefined = first;
  while (url) {
    const res = await stack.request('GET', url);
    expect([url, res.status]).toEqual([url, 200]);
    const body = res.body as { items: { id: string | number }[]; next_cursor?: string | number };
    ids.push(...body.items.map((i) => String(i.id)));
    sizes.push(carried(res.text));
    counts.push(body.items.length);
    url =
      body.next_cursor === undefined
        ? undefined
        : `${first}&cursor=${encodeURIComponent(String(body.next_cursor))}`;
  }
  return { ids, sizes, counts };
}

test('GET /v1/tenants?limit=500 over tenants with 16 KiB settings: short pages whose cursors cover each tenant once', async () => {
  const made = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const res = await stack.request('POST', '/v1/tenants', {
      body: { slug: uniqueSlug('big'), name: 'Big', kind: 'demo', settings: heavy() },
    });
    expect(res.status).toBe(201);
    made.add(res.body.tenant.id);
  }
  const { ids, sizes, counts } = await walk('/v1/tenants?status=demo&limit=500');
  const ours = ids.filter((id) => made.has(id));
  expect(ours.length).toBe(made.size);
  expect(new Set(ours).size).toBe(made.size);
  expect(new Set(ids).size).toBe(ids.length);
  // 40 such tenants do not fit one page; every page fits behind either ingress.
  expect(counts[0]).toBeLessThan(40);
  expect(counts.length).toBeGreaterThan(1);
  for (const size of sizes) expect(size).toBeLessThan(ALB_RESPONSE_LIMIT);
  // Not one item per page either: the cut is by size, not a fixed small number.
  expect(counts[0]).toBeGreaterThan(10);
}, 120_000);

test('GET /v1/audit?limit=500 and GET /{tenant}/audit over events with 16 KiB metadata: the same, on both planes', async () => {
  const tenant = await stack.request('POST', '/v1/tenants', { body: { slug: uniqueSlug('log'), name: 'L' } });
  const id = tenant.body.tenant.id as string;
  const made = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const res = await stack.request('POST', '/v1/audit', {
      body: { tenant_id: id, action: 'report.exported', actor_id: 'ci', metadata: heavy() },
    });
    expect(res.status).toBe(201);
    made.add(String(res.body.id));
  }
  const key = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: id, name: 'reader', scopes: ['audit:read'] },
  });
  for (const first of [
    `/v1/audit?tenant_id=${id}&limit=500`,
    `/v1/audit?tenant_id=${id}&action=report.exported&origin=operator&limit=500`,
  ]) {
    const { ids, sizes, counts } = await walk(first);
    expect([first, ids.filter((e) => made.has(e)).sort()]).toEqual([first, [...made].sort()]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(counts[0]).toBeLessThan(40);
    for (const size of sizes) expect(size).toBeLessThan(ALB_RESPONSE_LIMIT);
  }
  // The tenant plane's list, paged with the tenant's own key.
  const slug = tenant.body.tenant.slug as string;
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const res = await stack.request(
      'GET',
      `/${slug}/audit?limit=500${cursor === undefined ? '' : `&cursor=${cursor}`}`,
      { token: key.body.plaintext },
    );
    expect(res.status).toBe(200);
    expect(carried(res.text)).toBeLessThan(ALB_RESPONSE_LIMIT);
    seen.push(...(res.body.items as { id: number }[]).map((e) => String(e.id)));
    cursor = res.body.next_cursor === undefined ? undefined : String(res.body.next_cursor);
    pages++;
  } while (cursor !== undefined);
  expect(pages).toBeGreaterThan(1);
  expect(seen.filter((e) => made.has(e)).sort()).toEqual([...made].sort());
  expect(new Set(seen).size).toBe(seen.length);
}, 120_000);
