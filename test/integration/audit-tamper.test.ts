import {
  type AttributeValue,
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as app from '../../shared/app';
import { hashEvent } from '../../shared/domain/audit';
import { tenantBody, uniqueSlug } from '../fixtures/tenants';
import { ManualClock } from '../support/clock';
import { startStack, type TestStack } from '../support/stack';
import { expireByTtl } from '../support/ttl';

/**
 * Tamper evidence through the API: each case changes the stored items of a chain directly in
 * the table (as someone with write access to it could), asks GET /v1/audit/verify, and expects
 * the first broken link to be reported; then the original items are put back and the chain
 * verifies again.
 */

type Item = Record<string, unknown>;

interface Case {
  readonly name: string;
  /** Items to put (replacing any with the same key) and keys to delete. */
  readonly put: Item[];
  readonly remove: Item[];
  /** The event id the verdict must name (null: the head names no event). */
  readonly eventId: number | null;
  readonly checked: number;
  /** The reason the verdict must give (the walker's words, written out here, not imported). */
  readonly reason: string;
}

const ALTERED = 'altered event';
const BROKEN = 'broken link';
const ELSEWHERE = 'stored under another id';
const HEAD = 'head does not match the last event';

let stack: TestStack;
let chainKey: string;
let original: Item[];
let events: Item[];
let head: Item;
let verdictUrl: string;

beforeAll(async () => {
  stack = await startStack();
  const created = await stack.request('POST', '/v1/tenants', { body: tenantBody(uniqueSlug('tamper')) });
  const tenant = created.body.tenant.id as string;
  verdictUrl = `/v1/audit/verify?tenant_id=${tenant}`;
  // Events of every shape: state changes and appended events with metadata.
  await stack.request('PATCH', `/v1/tenants/${tenant}`, {
    body: { settings: { locale: 'de', n: [1, { x: 2 }] } },
  });
  await stack.request('POST', `/v1/tenants/${tenant}/aliases`, {
    body: { slug: uniqueSlug('tamper-alias') },
  });
  for (let i = 0; i < 7; i++) {
    const res = await stack.request('POST', '/v1/audit', {
      body: {
        tenant_id: tenant,
        action: `step.${i}`,
        actor_id: `user-${i}`,
        actor_name: 'Some One',
        target_id: `t-${i}`,
        product: 'billing',
        metadata: { i, tags: ['a', 'b'], nested: { ok: true, n: 1.5 } },
      },
      headers: { 'user-agent': 'tamper-test' },
    });
    expect(res.status).toBe(201);
  }
  // A tenant-plane write: origin `tenant` and the writing key, both inside the hash.
  const key = await stack.request('POST', '/v1/api-keys', {
    body: { tenant_id: tenant, name: 'writer', scopes: ['audit:write'] },
  });
  expect(key.status).toBe(201);
  const written = await stack.request('POST', `/${tenant}/audit`, {
    token: null,
    headers: { 'x-api-key': key.body.plaintext, 'user-agent': 'tamper-test' },
    body: { action: 'widget.made', metadata: { n: 1 } },
  });
  expect(written.status).toBe(201);
  // Batches: consecutive ids of one millisecond's block, linked like any other event.
  const batch = await stack.request('POST', '/v1/audit/batch', {
    body: {
      events: [0, 1, 2].map((i) => ({ tenant_id: tenant, action: `batch.${i}`, metadata: { i, list: [i] } })),
    },
  });
  expect(batch.status).toBe(201);
  const tenantBatch = await stack.request('POST', `/${tenant}/audit/batch`, {
    token: null,
    headers: { 'x-api-key': key.body.plaintext, 'user-agent': 'tamper-test' },
    body: { events: [{ action: 'widget.batched', metadata: { n: 2 } }, { action: 'widget.batched' }] },
  });
  expect(tenantBatch.status).toBe(201);
  chainKey = `AUDIT#${tenant}`;
  original = await readChain();
  events = original.filter((i) => String(i.SK).startsWith('EVENT#'));
  head = original.find((i) => i.SK === 'HEAD') as Item;
  expect(events).toHaveLength(17);
  // Server-set fields are there to be tampered with: origin on all, key_id, and the nonce of
  // events the tenant sees in part.
  expect(events.every((e) => e.origin !== undefined)).toBe(true);
  expect(events.some((e) => e.key_id !== undefined)).toBe(true);
  expect(events.some((e) => e.nonce !== undefined)).toBe(true);
});
afterAll(async () => {
  await stack.close();
});

async function readChain(): Promise<Item[]> {
  const out = await stack.dynamodb.send(
    new QueryCommand({
      TableName: stack.tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': { S: chainKey } },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((i) => unmarshall(i as Record<string, AttributeValue>));
}

async function put(item: Item) {
  await stack.dynamodb.send(
    new PutItemCommand({ TableName: stack.tableName, Item: marshall(item, { removeUndefinedValues: true }) }),
  );
}
async function remove(item: Item) {
  await stack.dynamodb.send(
    new DeleteItemCommand({ TableName: stack.tableName, Key: marshall({ PK: item.PK, SK: item.SK }) }),
  );
}

const idOf = (i: Item) => Number(i.id);
const eventAt = (k: number) => events[k] as Item;
const skOf = (id: number) => `EVENT#${String(id).padStart(16, '0')}`;

/** The event part of an item (what was hashed), and an item for a (possibly forged) event. */
function eventPart(item: Item): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) {
    // The outbox attributes (`sequence`, `data`) are storage outside the hash, like the keys.
    if (['PK', 'SK', 'entity', 'chain', 'sequence', 'data'].includes(k) || /^GSI\d+(PK|SK)$/.test(k))
      continue;
    out[k] = k === 'metadata' && typeof v === 'string' ? JSON.parse(v) : v;
  }
  return out;
}
function asItem(base: Item, event: Item): Item {
  const keys = Object.fromEntries(Object.entries(base).filter(([k]) => !(k in eventPart(base))));
  return { ...keys, ...event, ...(event.metadata ? { metadata: JSON.stringify(event.metadata) } : {}) };
}
/** The event with its own hash recomputed: what a careful forger would store. */
function resealed(event: Item): Item {
  const { hash: _hash, ...rest } = event;
  return { ...rest, hash: hashEvent(rest as never) };
}

/** A changed value of the same type, never equal to the original. */
function changed(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'string') return `${value}x`;
  if (Array.isArray(value)) return [...value, 'x'];
  if (value && typeof value === 'object') return { ...value, injected: 1 };
  return 'x';
}

function cases(): Case[] {
  const out: Case[] = [];
  const n = events.length;
  for (let k = 0; k < n; k++) {
    const item = eventAt(k);
    const event = eventPart(item);
    const id = idOf(item);
    // Changed field, hash left alone: this event's hash no longer holds.
    for (const field of Object.keys(event)) {
      if (field === 'hash') continue;
      const forged = { ...event, [field]: changed(event[field]) };
      out.push({
        name: `event ${k}: ${field} changed`,
        put: [asItem(item, forged)],
        remove: [],
        eventId: id,
        checked: k,
        reason: field === 'id' ? ELSEWHERE : field === 'prev_hash' ? BROKEN : ALTERED,
      });
      // The same change, resealed: the next link (or the head) no longer holds.
      if (field !== 'id' && field !== 'prev_hash') {
        const next = events[k + 1];
        out.push({
          name: `event ${k}: ${field} changed and resealed`,
          put: [asItem(item, resealed(forged))],
          remove: [],
          eventId: next ? idOf(next) : Number(head.last_id),
          checked: k + 1,
          reason: next ? BROKEN : HEAD,
        });
      }
    }
    // A metadata value changed deep inside, and a field removed.
    if (event.metadata && typeof event.metadata === 'object') {
      const meta = event.metadata as Item;
      for (const key of Object.keys(meta)) {
        out.push({
          name: `event ${k}: metadata.${key} changed`,
          put: [asItem(item, { ...event, metadata: { ...meta, [key]: changed(meta[key]) } })],
          remove: [],
          eventId: id,
          checked: k,
          reason: ALTERED,
        });
      }
    }
    for (const field of [
      'action',
      'created_at',
      'actor_id',
      'target_id',
      'source_ip',
      'origin',
      'key_id',
      'nonce',
    ]) {
      if (!(field in event)) continue;
      const { [field]: _gone, ...rest } = event;
      out.push({
        name: `event ${k}: ${field} removed`,
        put: [{ ...asItem(item, rest), [field]: undefined }],
        remove: [],
        eventId: id,
        checked: k,
        reason: ALTERED,
      });
    }
    // Hash replaced by another event's.
    out.push({
      name: `event ${k}: hash replaced`,
      put: [asItem(item, { ...event, hash: eventPart(eventAt((k + 1) % n)).hash })],
      remove: [],
      eventId: id,
      checked: k,
      reason: ALTERED,
    });
    // Deleted event: its successor's link breaks; the last one, the head.
    const next = events[k + 1];
    out.push({
      name: `event ${k}: deleted`,
      put: [],
      remove: [item],
      eventId: next ? idOf(next) : Number(head.last_id),
      checked: k,
      reason: next ? BROKEN : HEAD,
    });
    // Deleted with the chain re-linked and resealed after it: the head gives it away.
    if (next) {
      const relinked: Item[] = [];
      let prev = k === 0 ? '0'.repeat(64) : String(eventPart(eventAt(k - 1)).hash);
      for (let j = k + 1; j < n; j++) {
        const e = resealed({ ...eventPart(eventAt(j)), prev_hash: prev });
        prev = String(e.hash);
        relinked.push(asItem(eventAt(j), e));
      }
      out.push({
        name: `event ${k}: deleted, later events resealed`,
        put: relinked,
        remove: [item],
        eventId: Number(head.last_id),
        checked: n - 1,
        reason: HEAD,
      });
    }
    // Reordered: two neighbours swap contents (keys stay).
    if (next) {
      out.push({
        name: `events ${k} and ${k + 1}: swapped`,
        put: [asItem(item, eventPart(next)), asItem(next, event)],
        remove: [],
        eventId: id,
        checked: k,
        reason: ELSEWHERE,
      });
      // Swapped with keys following the contents: the ids run backwards.
      out.push({
        name: `events ${k} and ${k + 1}: swapped with ids`,
        put: [asItem(item, { ...eventPart(next), id }), asItem(next, { ...event, id: idOf(next) })],
        remove: [],
        eventId: id,
        checked: k,
        reason: BROKEN,
      });
    }
    // Inserted after event k: a forged event linked to k, resealed.
    const insertedId = next ? Math.floor((id + idOf(next)) / 2) : id + 1;
    if (insertedId !== id && (!next || insertedId !== idOf(next))) {
      const forged = resealed({ ...event, id: insertedId, action: 'forged', prev_hash: event.hash });
      out.push({
        name: `inserted after event ${k}`,
        put: [{ ...asItem(item, forged), SK: skOf(insertedId) }],
        remove: [],
        eventId: next ? idOf(next) : Number(head.last_id),
        checked: k + 2,
        reason: next ? BROKEN : HEAD,
      });
      // Inserted with a wrong link.
      const unlinked = resealed({ ...event, id: insertedId, action: 'forged' });
      out.push({
        name: `inserted after event ${k}, unlinked`,
        put: [{ ...asItem(item, unlinked), SK: skOf(insertedId) }],
        remove: [],
        eventId: insertedId,
        checked: k + 1,
        reason: BROKEN,
      });
    }
    // Stored under another id: an event moved to a free key.
    if (next && idOf(next) - id > 2) {
      out.push({
        name: `event ${k}: moved to another key`,
        put: [{ ...item, SK: skOf(id + 1) }],
        remove: [item],
        eventId: id + 1,
        checked: k,
        reason: ELSEWHERE,
      });
    }
  }
  // Head altered.
  out.push({
    name: 'head: hash changed',
    put: [{ ...head, hash: 'f'.repeat(64) }],
    remove: [],
    eventId: Number(head.last_id),
    checked: n,
    reason: HEAD,
  });
  out.push({
    name: 'head: id changed',
    put: [{ ...head, last_id: Number(head.last_id) + 1 }],
    remove: [],
    eventId: Number(head.last_id) + 1,
    checked: n,
    reason: HEAD,
  });
  out.push({
    name: 'head: points at an earlier event',
    put: [{ ...head, last_id: idOf(eventAt(n - 2)), hash: eventPart(eventAt(n - 2)).hash }],
    remove: [],
    eventId: idOf(eventAt(n - 2)),
    checked: n,
    reason: HEAD,
  });
  out.push({
    name: 'head: deleted',
    put: [],
    remove: [head],
    eventId: idOf(eventAt(0)),
    checked: 0,
    reason: 'the chain has no head',
  });
  out.push({
    name: 'whole chain deleted',
    put: [],
    remove: [...events, head],
    eventId: null,
    checked: 0,
    reason: 'the chain has no head',
  });
  return out;
}

test('the intact chain verifies', async () => {
  const res = await stack.request('GET', verdictUrl);
  expect(res.body).toEqual({ ok: true, checked: events.length });
});

test('at least 200 tampering cases, each detected at its first broken link, for the reason it is', async () => {
  const all = cases();
  expect(all.length).toBeGreaterThanOrEqual(200);
  const kinds = ['changed', 'deleted', 'swapped', 'inserted', 'head', 'removed', 'moved'];
  for (const kind of kinds) expect(all.some((c) => c.name.includes(kind))).toBe(true);
  const missed: string[] = [];
  for (const c of all) {
    for (const item of c.remove) await remove(item);
    for (const item of c.put) await put(item);
    const res = await stack.request('GET', verdictUrl);
    expect(res.status).toBe(200);
    const v = res.body as { ok: boolean; checked: number; event_id?: number | null; reason?: string };
    if (v.ok || v.event_id !== c.eventId || v.checked !== c.checked || v.reason !== c.reason) {
      missed.push(
        `${c.name}: ${JSON.stringify(v)} (want event ${c.eventId}, checked ${c.checked}, ${c.reason})`,
      );
    }
    // Put back exactly what the case touched.
    const key = (i: Item) => `${i.PK}|${i.SK}`;
    const originals = new Map(original.map((i) => [key(i), i]));
    for (const touched of [...c.remove, ...c.put]) {
      const was = originals.get(key(touched));
      if (was) await put(was);
      else await remove(touched);
    }
  }
  expect(missed).toEqual([]);
  const restored = await stack.request('GET', verdictUrl);
  expect(restored.body).toEqual({ ok: true, checked: events.length });
  expect(await readChain()).toEqual(original);
}, 300_000);

/** A new tenant whose audit events expire after 30 days (behind a checkpoint). */
async function tenantKeeping30Days(slug: string): Promise<string> {
  const created = await stack.request('POST', '/v1/tenants', {
    body: tenantBody(uniqueSlug(slug), { settings: {} }),
  });
  const tenant = created.body.tenant.id as string;
  await stack.request('PATCH', `/v1/tenants/${tenant}`, { body: { audit_retention_days: 30 } });
  return tenant;
}

/**
 * Changes the stored items, asks for the verdict at `url`, then puts back exactly what it touched
 * (from `originals`), so each case starts from the intact chain.
 */
async function verdictAfter(url: string, change: { put?: Item[]; remove?: Item[] }, originals: Item[]) {
  const key = (i: Item) => `${i.PK}|${i.SK}`;
  const was = new Map(originals.map((i) => [key(i), i]));
  for (const item of change.remove ?? []) await remove(item);
  for (const item of change.put ?? []) await put(item);
  try {
    const res = await stack.request('GET', url);
    expect(res.status).toBe(200);
    return res.body;
  } finally {
    for (const touched of [...(change.remove ?? []), ...(change.put ?? [])]) {
      const before = was.get(key(touched));
      if (before) await put(before);
      else await remove(touched);
    }
  }
}

describe('inside a batch', () => {
  // The operator batch of three: consecutive ids of one block, linked like single events.
  const at = (action: string) => events.findIndex((e) => e.action === action);
  let k: number;
  let first: Item;
  let middle: Item;
  let last: Item;

  beforeAll(() => {
    k = at('batch.1');
    [first, middle, last] = [eventAt(k - 1), eventAt(k), eventAt(k + 1)];
    expect([first.action, last.action]).toEqual(['batch.0', 'batch.2']);
    // One block: the ids of one millisecond's batch slots, consecutive.
    expect([idOf(middle) - idOf(first), idOf(last) - idOf(middle)]).toEqual([1, 1]);
    expect(idOf(first) % 1000).toBeGreaterThanOrEqual(900);
  });

  test('an event in the middle changed is that event, altered', async () => {
    const forged = { ...eventPart(middle), metadata: { i: 99, list: [1] } };
    expect(await verdictAfter(verdictUrl, { put: [asItem(middle, forged)] }, original)).toEqual({
      ok: false,
      checked: k,
      event_id: idOf(middle),
      reason: 'altered event',
    });
  });

  test('an event in the middle changed and resealed breaks the next link', async () => {
    const forged = resealed({ ...eventPart(middle), action: 'batch.forged' });
    expect(await verdictAfter(verdictUrl, { put: [asItem(middle, forged)] }, original)).toEqual({
      ok: false,
      checked: k + 1,
      event_id: idOf(last),
      reason: 'broken link',
    });
  });

  test('an event in the middle deleted breaks the next link', async () => {
    expect(await verdictAfter(verdictUrl, { remove: [middle] }, original)).toEqual({
      ok: false,
      checked: k,
      event_id: idOf(last),
      reason: 'broken link',
    });
  });

  test('the whole batch deleted breaks the link of the event after it', async () => {
    const after = eventAt(k + 2);
    expect(await verdictAfter(verdictUrl, { remove: [first, middle, last] }, original)).toEqual({
      ok: false,
      checked: k - 1,
      event_id: idOf(after),
      reason: 'broken link',
    });
  });

  test('two events of the batch swapped are found at the first of them', async () => {
    // Contents swapped, keys kept: the first key holds an event with another id.
    const swapped = [asItem(middle, eventPart(last)), asItem(last, eventPart(middle))];
    expect(await verdictAfter(verdictUrl, { put: swapped }, original)).toEqual({
      ok: false,
      checked: k,
      event_id: idOf(middle),
      reason: 'stored under another id',
    });
    // Ids swapped with them (each key holds an event with its own id): the link gives it away.
    const relabelled = [
      asItem(middle, { ...eventPart(last), id: idOf(middle) }),
      asItem(last, { ...eventPart(middle), id: idOf(last) }),
    ];
    expect(await verdictAfter(verdictUrl, { put: relabelled }, original)).toEqual({
      ok: false,
      checked: k,
      event_id: idOf(middle),
      reason: 'broken link',
    });
  });

  test('its block claim is not what the proof rests on: deleting it changes no verdict', async () => {
    const claim = await stack.dynamodb.send(
      new QueryCommand({
        TableName: stack.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': { S: `AUDITID#${String(idOf(first)).padStart(16, '0')}` } },
      }),
    );
    const item = unmarshall((claim.Items ?? [])[0] as Record<string, AttributeValue>);
    expect(item).toMatchObject({ entity: 'audit_id', block: 99 });
    expect(await verdictAfter(verdictUrl, { remove: [item] }, [item])).toEqual({
      ok: true,
      checked: events.length,
    });
  });
});

describe('with a checkpoint (retention)', () => {
  const DAY = 86_400_000;
  const clock = new ManualClock();
  let url: string;
  let pk: string;
  let checkpointItem: Item;
  let fresh: Item[];
  let stale: Item[];

  beforeAll(async () => {
    stack.configure({}, { clock });
    const tenant = await tenantKeeping30Days('tamper-cp');
    url = `/v1/audit/verify?tenant_id=${tenant}`;
    pk = `AUDIT#${tenant}`;
    for (let i = 0; i < 3; i++)
      await stack.request('POST', '/v1/audit', { body: { tenant_id: tenant, action: `old.${i}` } });
    clock.advance(31 * DAY);
    for (let i = 0; i < 4; i++)
      await stack.request('POST', '/v1/audit', { body: { tenant_id: tenant, action: `new.${i}` } });
    const report = await app.auditMonitor().run();
    expect(report.chains.find((c) => c.chain === tenant)).toMatchObject({ ok: true, expired: 5 });
    chainKey = pk;
    const all = await readChain();
    checkpointItem = all.find((i) => i.SK === 'CHECKPOINT') as Item;
    const stored = all.filter((i) => String(i.SK).startsWith('EVENT#'));
    stale = stored.filter((i) => i.expires_at !== undefined);
    fresh = stored.filter((i) => i.expires_at === undefined);
    expect([stale.length, fresh.length]).toEqual([5, 4]);
    expect(checkpointItem).toMatchObject({ id: stale.at(-1)?.id, hash: stale.at(-1)?.hash });
  });

  const from_checkpoint = () => ({ id: checkpointItem.id, hash: checkpointItem.hash, at: checkpointItem.at });

  async function verdictWith(put: Item[], removed: Item[]) {
    for (const item of removed) await remove(item);
    for (const item of put) await put_(item);
    try {
      const res = await stack.request('GET', url);
      expect(res.status).toBe(200);
      return res.body;
    } finally {
      for (const item of removed) await put_(item);
      for (const item of put) {
        const was = [...stale, ...fresh, checkpointItem].find((i) => i.PK === item.PK && i.SK === item.SK);
        if (was) await put_(was);
        else await remove(item);
      }
    }
  }
  const put_ = put;

  test('before TTL runs and after, the intact chain verifies from the checkpoint', async () => {
    expect((await stack.request('GET', url)).body).toEqual({
      ok: true,
      checked: 4,
      from_checkpoint: from_checkpoint(),
    });
    clock.advance(DAY);
    await expireByTtl(stack.dynamodb, stack.tableName, clock.now());
    expect((await readChain()).filter((i) => String(i.SK).startsWith('EVENT#'))).toHaveLength(4);
    expect((await stack.request('GET', url)).body).toEqual({
      ok: true,
      checked: 4,
      from_checkpoint: from_checkpoint(),
    });
    for (const item of stale) await put_(item);
  });

  test('tampering after the checkpoint is found at its first broken link', async () => {
    const [first, second] = fresh as [Item, Item];
    expect(await verdictWith([{ ...second, action: 'forged' }], [])).toEqual({
      ok: false,
      checked: 1,
      event_id: second.id,
      reason: 'altered event',
      from_checkpoint: from_checkpoint(),
    });
    expect(await verdictWith([], [first])).toEqual({
      ok: false,
      checked: 0,
      event_id: second.id,
      reason: 'broken link',
      from_checkpoint: from_checkpoint(),
    });
  });

  test('a checkpoint changed, moved or deleted is found', async () => {
    const [first] = fresh as [Item];
    const forged = { ...checkpointItem, hash: 'f'.repeat(64) };
    expect(await verdictWith([forged], [])).toEqual({
      ok: false,
      checked: 0,
      event_id: stale.at(-1)?.id,
      reason: 'does not match the checkpoint',
      from_checkpoint: { ...from_checkpoint(), hash: 'f'.repeat(64) },
    });
    // Once its own event has expired, the first event after it no longer links.
    clock.advance(DAY);
    await expireByTtl(stack.dynamodb, stack.tableName, clock.now());
    try {
      expect(await verdictWith([forged], [])).toMatchObject({
        ok: false,
        checked: 0,
        event_id: first.id,
        reason: 'broken link',
      });
      expect(await verdictWith([{ ...checkpointItem, id: first.id }], [])).toMatchObject({
        ok: false,
        checked: 0,
        event_id: first.id,
        reason: 'does not match the checkpoint',
      });
      // Without it, the walk starts at the genesis, and the first event left does not link to it.
      expect(await verdictWith([], [checkpointItem])).toEqual({
        ok: false,
        checked: 0,
        event_id: first.id,
        reason: 'broken link',
      });
    } finally {
      for (const item of stale) await put_(item);
    }
  });

  test('tampering before the checkpoint, while its events are still stored, is found', async () => {
    // The checkpoint's own event: checked against the checkpoint before the walk links on.
    const own = stale.at(-1) as Item;
    expect(await verdictWith([{ ...own, action: 'forged' }], [])).toMatchObject({
      ok: false,
      checked: 0,
      event_id: own.id,
      reason: 'altered event',
    });
  });
});

describe('with a checkpoint after batches (retention)', () => {
  const DAY = 86_400_000;
  const clock = new ManualClock();
  let url: string;
  let checkpointItem: Item;
  let stale: Item[];
  let fresh: Item[];
  let originals: Item[];

  beforeAll(async () => {
    stack.configure({}, { clock });
    const tenant = await tenantKeeping30Days('tamper-cpb');
    url = `/v1/audit/verify?tenant_id=${tenant}`;
    const batch = (prefix: string) =>
      stack.request('POST', '/v1/audit/batch', {
        body: { events: [0, 1, 2].map((i) => ({ tenant_id: tenant, action: `${prefix}.${i}` })) },
      });
    expect((await batch('old')).status).toBe(201);
    clock.advance(31 * DAY);
    expect((await batch('new')).status).toBe(201);
    const report = await app.auditMonitor().run();
    // The create, the retention change and the old batch: behind the checkpoint.
    expect(report.chains.find((c) => c.chain === tenant)).toMatchObject({ ok: true, expired: 5 });
    chainKey = `AUDIT#${tenant}`;
    originals = await readChain();
    checkpointItem = originals.find((i) => i.SK === 'CHECKPOINT') as Item;
    const stored = originals.filter((i) => String(i.SK).startsWith('EVENT#'));
    stale = stored.filter((i) => i.expires_at !== undefined);
    fresh = stored.filter((i) => i.expires_at === undefined);
    expect(stale.slice(-3).map((e) => e.action)).toEqual(['old.0', 'old.1', 'old.2']);
    expect(fresh.map((e) => e.action)).toEqual(['new.0', 'new.1', 'new.2']);
    // The checkpoint names the old batch's last event.
    expect(checkpointItem).toMatchObject({ id: stale.at(-1)?.id, hash: stale.at(-1)?.hash });
  });
  afterAll(() => stack.configure({}, {}));

  const from_checkpoint = (cp: Item = checkpointItem) => ({ id: cp.id, hash: cp.hash, at: cp.at });
  const verdict = (change: { put?: Item[]; remove?: Item[] }) => verdictAfter(url, change, originals);

  test('the intact chain verifies from the checkpoint', async () => {
    expect(await verdict({})).toEqual({ ok: true, checked: 3, from_checkpoint: from_checkpoint() });
  });

  test('inside the batch after the checkpoint: changed, deleted, swapped', async () => {
    const [, middle, last] = fresh as [Item, Item, Item];
    expect(await verdict({ put: [asItem(middle, { ...eventPart(middle), action: 'new.forged' })] })).toEqual({
      ok: false,
      checked: 1,
      event_id: idOf(middle),
      reason: 'altered event',
      from_checkpoint: from_checkpoint(),
    });
    expect(await verdict({ remove: [middle] })).toEqual({
      ok: false,
      checked: 1,
      event_id: idOf(last),
      reason: 'broken link',
      from_checkpoint: from_checkpoint(),
    });
    expect(
      await verdict({ put: [asItem(middle, eventPart(last)), asItem(last, eventPart(middle))] }),
    ).toEqual({
      ok: false,
      checked: 1,
      event_id: idOf(middle),
      reason: 'stored under another id',
      from_checkpoint: from_checkpoint(),
    });
  });

  test('the checkpoint changed or moved into the batch it ends is found while its events are stored', async () => {
    const forged = { ...checkpointItem, hash: 'e'.repeat(64) };
    expect(await verdict({ put: [forged] })).toEqual({
      ok: false,
      checked: 0,
      event_id: checkpointItem.id,
      reason: 'does not match the checkpoint',
      from_checkpoint: from_checkpoint(forged),
    });
    // Moved back to the middle of its batch (hash kept): that event is not the one it names.
    const middle = stale.at(-2) as Item;
    const moved = { ...checkpointItem, id: middle.id };
    expect(await verdict({ put: [moved] })).toEqual({
      ok: false,
      checked: 0,
      event_id: middle.id,
      reason: 'does not match the checkpoint',
      from_checkpoint: from_checkpoint(moved),
    });
    // The event it names altered in place (a batch event behind the checkpoint, still stored).
    const own = stale.at(-1) as Item;
    expect(await verdict({ put: [asItem(own, { ...eventPart(own), action: 'old.forged' })] })).toEqual({
      ok: false,
      checked: 0,
      event_id: own.id,
      reason: 'altered event',
      from_checkpoint: from_checkpoint(),
    });
  });

  test('after TTL deleted the old batch, a forged or deleted checkpoint breaks the first link', async () => {
    clock.advance(DAY);
    const expired = await expireByTtl(stack.dynamodb, stack.tableName, clock.now());
    try {
      expect(expired.filter((k) => k.PK === chainKey)).toHaveLength(5);
      const [first] = fresh as [Item];
      expect(await verdict({})).toEqual({ ok: true, checked: 3, from_checkpoint: from_checkpoint() });
      const forged = { ...checkpointItem, hash: 'e'.repeat(64) };
      expect(await verdict({ put: [forged] })).toEqual({
        ok: false,
        checked: 0,
        event_id: idOf(first),
        reason: 'broken link',
        from_checkpoint: from_checkpoint(forged),
      });
      expect(await verdict({ remove: [checkpointItem] })).toEqual({
        ok: false,
        checked: 0,
        event_id: idOf(first),
        reason: 'broken link',
      });
    } finally {
      for (const item of stale) await put(item);
    }
  });
});
