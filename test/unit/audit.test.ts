import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  type AuditEvent,
  type AuditInput,
  batchBlock,
  type ChainHead,
  canonicalJson,
  chainOf,
  GENESIS_HASH,
  GLOBAL_CHAIN,
  hashEvent,
  idClaimOf,
  nextAuditId,
  sealBatch,
  sealEvent,
  verifyChain,
} from '../../shared/domain/audit';
import {
  assertAppendable,
  isServerActorType,
  ORIGINS,
  REGISTRY_ACTIONS,
  registryNamespaceOf,
  SERVER_ACTOR_TYPES,
} from '../../shared/domain/audit-events';
import { sealable, type TenantAuditEvent, tenantAuditView } from '../../shared/domain/audit-projection';
import { type DomainError, ReservedActionError, ReservedActorTypeError } from '../../shared/domain/errors';
import { newTenant, PROFILE_WITHHELD, tenantProfileView } from '../../shared/domain/tenant';
import { seededRandom } from './fakes';

const START = Date.UTC(2025, 5, 1, 8, 0, 0);
const TWO_POW_53 = 2 ** 53;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = ReadonlyArray<string | number>;

interface Chain {
  readonly events: AuditEvent[];
  readonly head: ChainHead | undefined;
}

/** Seals `inputs` one after another, at least 2 ms apart, as the store does. */
function buildChain(inputs: readonly AuditInput[], random: () => number = Math.random): Chain {
  const events: AuditEvent[] = [];
  let head: ChainHead | undefined;
  let at = START;
  for (const input of inputs) {
    at += 2 + Math.floor(random() * 5_000);
    const event = sealEvent(input, head, new Date(at));
    events.push(event);
    head = { last_id: event.id, hash: event.hash };
  }
  return { events, head };
}

function headAfter(events: readonly AuditEvent[], count: number): ChainHead | undefined {
  const last = events[count - 1];
  return last ? { last_id: last.id, hash: last.hash } : undefined;
}

/** The event with its own hash recomputed: what a careful forger would store. */
function resealed(event: AuditEvent): AuditEvent {
  const { hash: _hash, ...rest } = event;
  return { ...rest, hash: hashEvent(rest) };
}

/** Every path into `value`, containers included, leaves last. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const children: Path[] = Array.isArray(value)
    ? value.flatMap((v, i) => pathsOf(v, [...prefix, i]))
    : Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]));
  return prefix.length === 0 ? children : [prefix, ...children];
}

function getPath(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, key) => (v as Record<string | number, unknown>)[key], value);
}

/** A deep copy with `path` set to `next` (own property, even for odd keys like "__proto__"). */
function withPath<T>(value: T, path: Path, next: unknown): T {
  const copy = structuredClone(value);
  const parent = getPath(copy, path.slice(0, -1)) as object;
  Object.defineProperty(parent, path.at(-1) as PropertyKey, {
    value: next,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

/** A value that differs from `value` in canonical JSON (the hashed form). */
function changed(value: unknown): unknown {
  const flipHex = (s: string) => s.slice(0, -1) + (s.endsWith('0') ? '1' : '0');
  const candidates: unknown[] =
    typeof value === 'string'
      ? [/^[0-9a-f]{64}$/.test(value) ? flipHex(value) : `${value}x`, value.toUpperCase(), '']
      : typeof value === 'number'
        ? [value + 1, -value - 1, String(value)]
        : typeof value === 'boolean'
          ? [!value]
          : value === null
            ? [0, false, 'null']
            : Array.isArray(value)
              ? [[...value, 'forged'], value.slice(1), [value]]
              : [{ ...(value as object), forged: true }, [value]];
  const found = candidates.find((c) => canonicalJson(c) !== canonicalJson(value));
  if (found === undefined) throw new Error(`no change found for ${canonicalJson(value)}`);
  return found;
}

function swap<T>(items: readonly T[], i: number, j: number): T[] {
  const copy = [...items];
  [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  return copy;
}

function without<T>(items: readonly T[], from: number, count = 1): T[] {
  return [...items.slice(0, from), ...items.slice(from + count)];
}

function insertAt<T>(items: readonly T[], at: number, item: T): T[] {
  return [...items.slice(0, at), item, ...items.slice(at)];
}

/** A forged event that links correctly to its predecessor, has an id in order and a correct own hash. */
function forgedAt(events: readonly AuditEvent[], at: number): AuditEvent {
  const before = events[at - 1];
  const after = events[at];
  const id = before ? before.id + 1 : (after?.id ?? 2) - 1;
  const unsealed = {
    tenant_id: events[0]?.tenant_id ?? 'tenant-1',
    actor_id: 'intruder',
    action: 'tenant.activated',
    metadata: { plan: 'enterprise' },
    id,
    created_at: new Date(Math.floor(id / 1000)).toISOString(),
    prev_hash: before?.hash ?? GENESIS_HASH,
  };
  return { ...unsealed, hash: hashEvent(unsealed) };
}

interface TamperCase {
  readonly kind: 'changed' | 'deleted' | 'reordered' | 'inserted' | 'head';
  readonly name: string;
  readonly events: readonly AuditEvent[];
  readonly head: ChainHead | undefined;
}

/** Every tampering of `chain` this suite knows, generated by walking its events. */
function tamperings({ events, head }: Chain): TamperCase[] {
  const cases: TamperCase[] = [];
  const n = events.length;

  events.forEach((event, i) => {
    for (const path of pathsOf(event)) {
      const tampered = withPath(event, path, changed(getPath(event, path)));
      const name = `event ${i} ${path.join('.')}`;
      cases.push({ kind: 'changed', name, events: events.with(i, tampered), head });
      if (path[0] !== 'hash') {
        const quiet = resealed(tampered);
        cases.push({ kind: 'changed', name: `${name} (resealed)`, events: events.with(i, quiet), head });
      }
    }
    cases.push({
      kind: 'changed',
      name: `event ${i} + field`,
      events: events.with(i, { ...event, approved_by: 'intruder' } as AuditEvent),
      head,
    });
    for (const key of Object.keys(event).filter(
      (k) => !['id', 'created_at', 'prev_hash', 'hash'].includes(k),
    )) {
      const { [key]: _dropped, ...rest } = event as unknown as Record<string, unknown>;
      cases.push({
        kind: 'changed',
        name: `event ${i} - ${key}`,
        events: events.with(i, rest as unknown as AuditEvent),
        head,
      });
      cases.push({
        kind: 'changed',
        name: `event ${i} - ${key} (resealed)`,
        events: events.with(i, resealed(rest as unknown as AuditEvent)),
        head,
      });
    }
  });

  for (let i = 0; i < n; i++)
    cases.push({ kind: 'deleted', name: `event ${i}`, events: without(events, i), head });
  for (let i = 0; i + 1 < n; i++)
    cases.push({ kind: 'deleted', name: `events ${i}-${i + 1}`, events: without(events, i, 2), head });
  cases.push({ kind: 'deleted', name: 'every event', events: [], head });

  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++)
      cases.push({ kind: 'reordered', name: `swap ${i} and ${j}`, events: swap(events, i, j), head });
  cases.push({ kind: 'reordered', name: 'reversed', events: [...events].reverse(), head });

  for (let at = 0; at <= n; at++) {
    const forged = forgedAt(events, at);
    cases.push({ kind: 'inserted', name: `forged at ${at}`, events: insertAt(events, at, forged), head });
    const garbage = resealed({ ...forged, prev_hash: 'f'.repeat(64) });
    cases.push({ kind: 'inserted', name: `unlinked at ${at}`, events: insertAt(events, at, garbage), head });
    if (at > 0) {
      const replay = events[at - 1] as AuditEvent;
      cases.push({
        kind: 'inserted',
        name: `replay of ${at - 1}`,
        events: insertAt(events, at, replay),
        head,
      });
    }
  }

  const last = events.at(-1) as AuditEvent;
  const heads: Array<[string, ChainHead | undefined]> = [
    ['missing', undefined],
    ['genesis', { last_id: 0, hash: GENESIS_HASH }],
    ['one event back', headAfter(events, n - 1)],
    ['last_id + 1', { last_id: last.id + 1, hash: last.hash }],
    ['last_id - 1', { last_id: last.id - 1, hash: last.hash }],
    ['first id, last hash', { last_id: (events[0] as AuditEvent).id, hash: last.hash }],
    ['last id, previous hash', { last_id: last.id, hash: (events.at(-2) as AuditEvent).hash }],
    ['upper-case hash', { last_id: last.id, hash: last.hash.toUpperCase() }],
  ];
  for (let pos = 0; pos < 64; pos += 4) {
    const flipped = last.hash.slice(0, pos) + (last.hash[pos] === 'a' ? 'b' : 'a') + last.hash.slice(pos + 1);
    heads.push([`hash char ${pos} flipped`, { last_id: last.id, hash: flipped }]);
  }
  for (const [name, forgedHead] of heads) cases.push({ kind: 'head', name, events, head: forgedHead });

  return cases;
}

function sampleInputs(random: () => number, count: number, tenant?: string): AuditInput[] {
  const actions = ['tenant.created', 'tenant.changed', 'alias.added', 'alias.removed', 'tenant.retired'];
  return Array.from({ length: count }, (_, i) => {
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
    return {
      ...(tenant === undefined ? {} : { tenant_id: tenant }),
      action: pick(actions),
      actor_id: `admin-${i % 3}`,
      actor_type: 'admin',
      // Server-set fields on most events; every fourth is stored as before they existed.
      ...(i % 4 === 3
        ? {}
        : {
            origin: (['operator', 'tenant', 'system'] as const)[i % 4],
            ...(i % 4 === 1 ? { key_id: `key-${i}` } : {}),
          }),
      ...(i % 2 === 0 ? { target_id: `t-${i}`, target_type: 'tenant', target_name: `Tenant ${i} «ü»` } : {}),
      ...(i % 3 === 0 ? { source_ip: `10.0.0.${i}`, user_agent: 'curl/8' } : {}),
      metadata: {
        slug: `acme-${i}`,
        count: i,
        ratio: random(),
        flag: i % 2 === 0,
        nothing: null,
        tags: ['a', `b${i}`, { deep: [1, 2, { deeper: 'x' }] }],
        nested: { from: 'trial', to: 'active', at: { day: i, zone: 'UTC' } },
      },
    };
  });
}

const arbitraryInput: fc.Arbitrary<AuditInput> = fc.record(
  {
    tenant_id: fc.string({ minLength: 1, maxLength: 12 }),
    actor_id: fc.string({ maxLength: 12 }),
    actor_type: fc.constantFrom('admin', 'system'),
    action: fc.string({ minLength: 1, maxLength: 20 }),
    target_id: fc.string({ maxLength: 12 }),
    source_ip: fc.ipV4(),
    origin: fc.constantFrom('operator', 'service', 'tenant', 'system'),
    key_id: fc.uuid(),
    nonce: fc.base64String({ minLength: 4, maxLength: 24 }),
    metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
  },
  { requiredKeys: ['action'] },
);

describe('canonicalJson', () => {
  it('does not depend on key order, at any depth', () => {
    const a = { b: 1, a: { d: [1, 2], c: { f: true, e: null } } };
    const b = { a: { c: { e: null, f: true }, d: [1, 2] }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"c":{"e":null,"f":true},"d":[1,2]},"b":1}');
  });

  it('keeps array order', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson([3, 1, 2])).not.toBe(canonicalJson([1, 2, 3]));
    expect(canonicalJson([{ b: 1, a: 2 }])).toBe('[{"a":2,"b":1}]');
  });

  it('drops undefined properties, like JSON', () => {
    expect(canonicalJson({ a: 1, b: undefined, c: { d: undefined } })).toBe('{"a":1,"c":{}}');
    expect(canonicalJson([undefined])).toBe(JSON.stringify([undefined]));
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('encodes scalars and awkward keys as JSON does', () => {
    expect(canonicalJson('a"b\n')).toBe(JSON.stringify('a"b\n'));
    expect(canonicalJson({ 'k"\u2028': 1, '': 2 })).toBe('{"":2,"k\\"\u2028":1}');
    expect(canonicalJson(1.5)).toBe('1.5');
    expect(canonicalJson(null)).toBe('null');
  });

  /** A copy with the keys of every object in reverse insertion order. */
  const reversedKeys = (value: Json): Json =>
    value === null || typeof value !== 'object'
      ? value
      : Array.isArray(value)
        ? value.map(reversedKeys)
        : Object.fromEntries(
            Object.entries(value)
              .reverse()
              .map(([k, v]) => [k, reversedKeys(v)]),
          );

  it('is JSON of the same value, and equal for any key order (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = value as Json;
        expect(JSON.parse(canonicalJson(json))).toEqual(JSON.parse(JSON.stringify(json)));
        expect(canonicalJson(reversedKeys(json))).toBe(canonicalJson(json));
      }),
      { numRuns: 500 },
    );
  });
});

describe('nextAuditId', () => {
  const now = new Date(START);

  it('is the clock in microseconds with a random sub-millisecond part below the batch slots (900..998)', () => {
    expect(nextAuditId(now, undefined, () => 0)).toBe(START * 1000);
    expect(nextAuditId(now, undefined, () => 0.9999999)).toBe(START * 1000 + 899);
  });

  it('skips a batch block above the head: after 899 comes 999, after 998 the next millisecond', () => {
    const at = (sub: number) => ({ last_id: START * 1000 + 5_000_000 + sub, hash: GENESIS_HASH });
    expect(nextAuditId(now, at(898), () => 0)).toBe(START * 1000 + 5_000_899);
    expect(nextAuditId(now, at(899), () => 0)).toBe(START * 1000 + 5_000_999);
    expect(nextAuditId(now, at(950), () => 0)).toBe(START * 1000 + 5_000_999);
    // A head after a batch of 98 events: 998, the block's last id, is a batch's too.
    expect(nextAuditId(now, at(997), () => 0)).toBe(START * 1000 + 5_000_999);
    expect(nextAuditId(now, at(998), () => 0)).toBe(START * 1000 + 5_000_999);
    expect(nextAuditId(now, at(999), () => 0)).toBe(START * 1000 + 5_001_000);
  });

  it('is above the head, even when the clock is behind it', () => {
    const head = { last_id: START * 1000 + 5_000_000, hash: GENESIS_HASH };
    expect(nextAuditId(now, head, () => 0.5)).toBe(head.last_id + 1);
  });

  it('is strictly increasing when chained, even within one millisecond', () => {
    let head: ChainHead | undefined;
    let previous = 0;
    const random = seededRandom(1);
    for (let i = 0; i < 10_000; i++) {
      const id = nextAuditId(now, head, random);
      expect(id).toBeGreaterThan(previous);
      previous = id;
      head = { last_id: id, hash: GENESIS_HASH };
    }
  });

  it('stays below 2^53 (an exact number) until well past the year 2200', () => {
    for (const date of [now, new Date('2200-01-01T00:00:00Z')]) {
      const id = nextAuditId(date, undefined, () => 0.9999999);
      expect(id).toBeLessThan(TWO_POW_53);
      expect(Number.isSafeInteger(id)).toBe(true);
    }
  });

  it('is time-ordered: a later millisecond always gives a larger id (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (t, later, r1, r2) => {
          const a = nextAuditId(new Date(t), undefined, () => r1);
          const b = nextAuditId(new Date(t + later), undefined, () => r2);
          expect(a).toBeLessThan(b);
          expect(Number.isSafeInteger(b)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('batch blocks', () => {
  const now = new Date(START);
  const head = (last_id: number) => ({ last_id, hash: 'a'.repeat(64) });

  it('is the clock millisecond, or the first millisecond whose block (900..998) is above the head', () => {
    expect(batchBlock(now, undefined)).toBe(START);
    expect(batchBlock(now, head(START * 1000 - 5))).toBe(START);
    expect(batchBlock(now, head((START + 7) * 1000 + 899))).toBe(START + 7);
    expect(batchBlock(now, head((START + 7) * 1000 + 900))).toBe(START + 8);
    expect(batchBlock(now, head((START + 7) * 1000 + 999))).toBe(START + 8);
  });

  it('seals events in order with consecutive ids of the block, one millisecond, linked from the head', () => {
    const h = head(START * 1000 + 12);
    const events = sealBatch([{ action: 'a.one' }, { action: 'a.two' }, { action: 'a.three' }], h, START);
    expect(events.map((e) => e.id)).toEqual([START * 1000 + 900, START * 1000 + 901, START * 1000 + 902]);
    expect(new Set(events.map((e) => e.created_at))).toEqual(new Set([new Date(START).toISOString()]));
    expect(events.map((e) => e.prev_hash)).toEqual([h.hash, events[0]?.hash, events[1]?.hash]);
    expect(
      verifyChain(
        events.map((e) => ({ ...e })),
        { last_id: START * 1000 + 902, hash: events[2]?.hash ?? '' },
      ).ok,
    ).toBe(
      false, // the chain's earlier events are not in the list: the first link does not start at genesis
    );
    const fresh = sealBatch([{ action: 'a.one' }, { action: 'a.two' }], undefined, START);
    expect(verifyChain(fresh, { last_id: START * 1000 + 901, hash: fresh[1]?.hash ?? '' })).toEqual({
      ok: true,
      checked: 2,
    });
  });

  it("finds an id's claim: a single event's is its own, a batch event's is its block's first id", () => {
    const ms = START;
    expect(idClaimOf(ms * 1000 + 12)).toBe(ms * 1000 + 12);
    expect(idClaimOf(ms * 1000 + 899)).toBe(ms * 1000 + 899);
    expect(idClaimOf(ms * 1000 + 999)).toBe(ms * 1000 + 999);
    for (const sub of [900, 901, 950, 998]) expect(idClaimOf(ms * 1000 + sub)).toBe(ms * 1000 + 900);
    const events = sealBatch([{ action: 'a.one' }, { action: 'a.two' }], undefined, ms);
    expect(events.map((e) => idClaimOf(e.id))).toEqual([ms * 1000 + 900, ms * 1000 + 900]);
  });

  it('refuses a block that is not above the head, and more than 99 events', () => {
    expect(() => sealBatch([{ action: 'a.x' }], head(START * 1000 + 950), START)).toThrow('not above');
    const many = Array.from({ length: 100 }, () => ({ action: 'a.x' }));
    expect(() => sealBatch(many, undefined, START)).toThrow('a batch block holds 99 events');
  });

  it('takes exactly 99 events, the whole block 900..998', () => {
    const full = sealBatch(
      Array.from({ length: 99 }, (_, n) => ({ action: 'a.x', metadata: { n } })),
      undefined,
      START,
    );
    expect(full).toHaveLength(99);
    expect(full[0]?.id).toBe(START * 1000 + 900);
    expect(full[98]?.id).toBe(START * 1000 + 998);
  });

  it('the block must start above the head: a head at its first id is refused, one just below is not', () => {
    expect(() => sealBatch([{ action: 'a.x' }], head(START * 1000 + 900), START)).toThrow(
      'the batch block is not above the chain head',
    );
    const [event] = sealBatch([{ action: 'a.x' }], head(START * 1000 + 899), START);
    expect(event?.id).toBe(START * 1000 + 900);
    expect(event?.prev_hash).toBe('a'.repeat(64));
  });
});

describe('chainOf', () => {
  it('puts an event on its tenant chain, or on the global one', () => {
    expect(chainOf({ tenant_id: 't-1' })).toBe('t-1');
    expect(chainOf({})).toBe(GLOBAL_CHAIN);
  });
});

describe('sealEvent and verifyChain', () => {
  it('seals the first event onto the genesis hash', () => {
    const event = sealEvent({ action: 'tenant.created', tenant_id: 't-1' }, undefined, new Date(START));
    expect(event.prev_hash).toBe(GENESIS_HASH);
    expect(event.created_at).toBe(new Date(START).toISOString());
    expect(event.id).toBeGreaterThanOrEqual(START * 1000);
    expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(event.hash).toBe(resealed(event).hash);
  });

  it('links each event to its predecessor', () => {
    const { events } = buildChain(sampleInputs(seededRandom(2), 5, 't-1'));
    for (let i = 1; i < events.length; i++) expect(events[i]?.prev_hash).toBe(events[i - 1]?.hash);
  });

  it('verifies an empty chain without a head', () => {
    expect(verifyChain([], undefined)).toEqual({ ok: true, checked: 0 });
  });

  it.each([1, 2, 5, 20, 100])('verifies a valid chain of %i events', (n) => {
    const { events, head } = buildChain(sampleInputs(seededRandom(n), n, n % 2 ? 't-1' : undefined));
    expect(verifyChain(events, head)).toEqual({ ok: true, checked: n });
  });

  it('still verifies after a round trip through JSON (how the store keeps events)', () => {
    const { events, head } = buildChain(sampleInputs(seededRandom(3), 10, 't-1'));
    const stored = JSON.parse(JSON.stringify(events)) as AuditEvent[];
    expect(verifyChain(stored, head)).toEqual({ ok: true, checked: 10 });
  });

  it('verifies any valid chain of arbitrary events (property)', () => {
    fc.assert(
      fc.property(fc.array(arbitraryInput, { minLength: 0, maxLength: 8 }), (inputs) => {
        const { events, head } = buildChain(inputs);
        expect(verifyChain(events, head)).toEqual({ ok: true, checked: inputs.length });
      }),
      { numRuns: 200 },
    );
  });
});

describe('tampering is detected', () => {
  const counts: Record<TamperCase['kind'] | 'random', number> = {
    changed: 0,
    deleted: 0,
    reordered: 0,
    inserted: 0,
    head: 0,
    random: 0,
  };

  afterAll(() => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(`audit chain tampering cases checked: ${total} ${JSON.stringify(counts)}`);
  });

  const chains: Array<[string, () => Chain]> = [
    ['a tenant chain of 12', () => buildChain(sampleInputs(seededRandom(42), 12, 't-42'), seededRandom(43))],
    ['the global chain of 6', () => buildChain(sampleInputs(seededRandom(7), 6), seededRandom(8))],
  ];

  describe.each(chains)('%s', (_name, build) => {
    // Built by the first test that needs them, not while Jest collects the tests: code run at
    // collection time counts for no test, and `npm run mutate` then re-runs every test for it.
    let built: { chain: Chain; cases: TamperCase[] } | undefined;
    const fixture = () => {
      if (!built) {
        const chain = build();
        built = { chain, cases: tamperings(chain) };
      }
      return built;
    };

    it('is itself valid', () => {
      const { chain } = fixture();
      expect(verifyChain(chain.events, chain.head).ok).toBe(true);
    });

    it.each(['changed', 'deleted', 'reordered', 'inserted', 'head'] as const)('every %s case', (kind) => {
      const ofKind = fixture().cases.filter((c) => c.kind === kind);
      expect(ofKind.length).toBeGreaterThan(0);
      const missed = ofKind.filter((c) => verifyChain(c.events, c.head).ok).map((c) => c.name);
      expect(missed).toEqual([]);
      counts[kind] += ofKind.length;
    });

    it('names the altered event for a changed field', () => {
      const { chain } = fixture();
      const target = chain.events[2] as AuditEvent;
      const tampered = withPath(target, ['metadata', 'nested', 'at', 'day'], 999);
      const result = verifyChain(chain.events.with(2, tampered), chain.head);
      expect(result).toMatchObject({ ok: false, event_id: target.id, reason: 'altered event' });
    });

    it('reports a deleted last event as a head mismatch', () => {
      const { chain } = fixture();
      const result = verifyChain(chain.events.slice(0, -1), chain.head);
      expect(result).toMatchObject({ ok: false, reason: 'head does not match the last event' });
    });
  });

  it('every random tampering of a random chain (property)', () => {
    const tamper = fc.record({
      inputs: fc.array(arbitraryInput, { minLength: 2, maxLength: 8 }),
      kind: fc.constantFrom('changed', 'resealed', 'deleted', 'reordered', 'inserted', 'head'),
      a: fc.nat(),
      b: fc.nat(),
    });
    fc.assert(
      fc.property(tamper, ({ inputs, kind, a, b }) => {
        const { events, head } = buildChain(inputs);
        const n = events.length;
        const i = a % n;
        const j = (i + 1 + (b % (n - 1))) % n;
        let tampered: { events: readonly AuditEvent[]; head: ChainHead | undefined };
        if (kind === 'changed' || kind === 'resealed') {
          const event = events[i] as AuditEvent;
          const paths = pathsOf(event).filter((p) => kind === 'changed' || p[0] !== 'hash');
          const path = paths[b % paths.length] as Path;
          const next = withPath(event, path, changed(getPath(event, path)));
          tampered = { events: events.with(i, kind === 'resealed' ? resealed(next) : next), head };
        } else if (kind === 'deleted') {
          tampered = { events: without(events, i), head };
        } else if (kind === 'reordered') {
          tampered = { events: swap(events, i, j), head };
        } else if (kind === 'inserted') {
          const at = a % (n + 1);
          tampered = { events: insertAt(events, at, forgedAt(events, at)), head };
        } else {
          const last = events.at(-1) as AuditEvent;
          tampered = {
            events,
            head: b % 2 ? headAfter(events, i) : { last_id: last.id, hash: changed(last.hash) as string },
          };
        }
        expect(verifyChain(tampered.events, tampered.head).ok).toBe(false);
        counts.random++;
      }),
      { numRuns: 300 },
    );
  });
});

describe('origin and key_id are inside the hash', () => {
  const legacy: AuditInput = { tenant_id: 't-1', action: 'tenant.created', actor_id: 'admin' };
  const written: AuditInput = {
    tenant_id: 't-1',
    action: 'invoice.sent',
    actor_id: 'k-1',
    actor_type: 'api_key',
    origin: 'tenant',
    key_id: 'k-1',
  };

  it('a chain of events stored before and after origin existed verifies', () => {
    const { events, head } = buildChain([legacy, written, legacy, written]);
    expect(events[0]).not.toHaveProperty('origin');
    expect(events[1]).toMatchObject({ origin: 'tenant', key_id: 'k-1' });
    expect(verifyChain(events, head)).toEqual({ ok: true, checked: 4 });
  });

  it.each<[string, Record<string, unknown>, number]>([
    ['origin changed to operator', { origin: 'operator' }, 1],
    ['key_id changed', { key_id: 'k-2' }, 1],
    ['origin removed', { origin: undefined }, 1],
    ['key_id removed', { key_id: undefined }, 1],
    ['origin added to a legacy event', { origin: 'operator' }, 0],
  ])('%s: the event no longer verifies', (_name, change, at) => {
    const { events, head } = buildChain([legacy, written, legacy]);
    const target = events[at] as AuditEvent;
    const tampered = JSON.parse(JSON.stringify({ ...target, ...change })) as AuditEvent;
    expect(verifyChain(events.with(at, tampered), head)).toEqual({
      ok: false,
      checked: at,
      event_id: target.id,
      reason: 'altered event',
    });
  });
});

describe('what an append may say (audit-events.ts)', () => {
  // Literal lists: a namespace or actor type dropped from the constants fails here.
  const reserved = [
    'tenant.activated',
    'tenant.created',
    'alias.added',
    'api_key.created',
    'entitlement.granted',
    'catalog.updated',
    'trial.started',
    'keycloak.provisioned',
    'webhook.disabled',
    'audit.exported',
    'tenant.anything-new',
    'TENANT.ACTIVATED',
    ' tenant.activated',
    'Tenant.Activated\t',
    'ten\u200bant.activated',
    '\u200btenant.activated',
    'ｔｅｎａｎｔ.activated',
    'tenant.',
  ];
  const free = [
    'invoice.sent',
    'tenants.created',
    'mytenant.activated',
    'tenant',
    'tenant-activated',
    'tenant_activated',
    'x.tenant.activated',
    'apikey.created',
    'keycloak',
    'audits.read',
  ];

  it.each(reserved)(
    '%j is in a registry namespace: 400 reserved_action naming action, from any origin',
    (action) => {
      expect(registryNamespaceOf(action)).toBeDefined();
      for (const origin of ['operator', 'service', 'tenant', 'system'] as const) {
        const error = (() => {
          try {
            assertAppendable({ action }, origin);
          } catch (e) {
            return e as DomainError;
          }
          return undefined;
        })();
        expect(error).toBeInstanceOf(ReservedActionError);
        expect(error?.code).toBe('reserved_action');
        expect(error?.message).toMatch(/^action: /);
      }
    },
  );

  it.each(free)('%j is a product action', (action) => {
    expect(registryNamespaceOf(action)).toBeUndefined();
    expect(() => assertAppendable({ action, actor_type: 'operator' }, 'operator')).not.toThrow();
  });

  it('names the namespace it fell in', () => {
    expect(registryNamespaceOf('API_KEY.rolled')).toBe('api_key.');
    expect(() => assertAppendable({ action: 'Alias.Removed' }, 'tenant')).toThrow("action: 'alias.*'");
  });

  const serverTypes = ['operator', 'service', 'api_key', 'system', 'public'];
  it.each([...serverTypes, 'Operator', ' SYSTEM ', 'api\u200b_key', 'ｏｐｅｒａｔｏｒ'])(
    'actor_type %j is refused from a tenant (400 reserved_actor_type naming actor_type), allowed to operators',
    (actorType) => {
      expect(isServerActorType(actorType)).toBe(true);
      expect(() => assertAppendable({ action: 'invoice.sent', actor_type: actorType }, 'tenant')).toThrow(
        ReservedActorTypeError,
      );
      expect(() => assertAppendable({ action: 'invoice.sent', actor_type: actorType }, 'tenant')).toThrow(
        /^actor_type: /,
      );
      expect(() =>
        assertAppendable({ action: 'invoice.sent', actor_type: actorType }, 'operator'),
      ).not.toThrow();
    },
  );

  it.each(['user', 'operators', 'admin', 'service-account', 'apikey', ''])(
    'actor_type %j is the tenant’s to use',
    (actorType) => {
      expect(() =>
        assertAppendable({ action: 'invoice.sent', actor_type: actorType }, 'tenant'),
      ).not.toThrow();
    },
  );

  it('the lists are what the registry uses', () => {
    expect([...SERVER_ACTOR_TYPES].sort()).toEqual([...serverTypes].sort());
    expect([...ORIGINS].sort()).toEqual(['operator', 'service', 'system', 'tenant']);
    // Every registry action is itself refused as an append.
    for (const action of REGISTRY_ACTIONS) expect(registryNamespaceOf(action)).toBeDefined();
  });

  it('the services record no action outside REGISTRY_ACTIONS (their source, scanned)', () => {
    const root = fileURLToPath(new URL('../../shared/', import.meta.url));
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('generated.ts'),
    );
    // String literals (the code's quotes; backticks in comments name fields, not actions).
    const namespaced =
      /'((?:tenant|alias|api_key|entitlement|catalog|trial|keycloak|webhook|audit)\.[a-z_]+)'/g;
    const strays: string[] = [];
    let found = 0;
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const m of text.matchAll(namespaced)) {
        const name = m[1] as string;
        found++;
        if ((REGISTRY_ACTIONS as readonly string[]).includes(name)) continue;
        // Names of log lines (never audit actions) are the only other ones allowed.
        const before = text.slice(Math.max(0, (m.index ?? 0) - 12), m.index);
        if (/(event: |background\()$/.test(before)) continue;
        strays.push(`${file}: ${name}`);
      }
    }
    expect(found).toBeGreaterThan(REGISTRY_ACTIONS.length);
    expect(strays).toEqual([]);
  });
});

describe('the tenant projection (audit-projection.ts)', () => {
  // What the tenant profile withholds, written out: the projection must withhold the same.
  const HIDDEN = ['sales_owner', 'erp_customer_id', 'stripe_cust_id', 'cancel_reason'];
  const MARK = 'MARK-7f3e';

  const sealed = (input: AuditInput): AuditEvent => sealEvent(input, undefined, new Date(START));
  const text = (value: unknown) => JSON.stringify(value);

  it('withholds what the profile withholds', () => {
    expect([...PROFILE_WITHHELD].sort()).toEqual([...HIDDEN].sort());
    const tenant = {
      ...newTenant('00000000-0000-4000-8000-000000000001', { slug: 'acme', name: 'Acme' }, new Date(START)),
      sales_owner: MARK,
      erp_customer_id: MARK,
      stripe_cust_id: MARK,
      cancel_reason: MARK,
    };
    const profile = tenantProfileView(tenant);
    for (const field of HIDDEN) expect(profile).not.toHaveProperty(field);
    expect(text(profile)).not.toContain(MARK);
    expect(profile).toMatchObject({ slug: 'acme', name: 'Acme', status: 'trial' });
  });

  /** Every hidden field, under its own name and the names the services use, and a request context. */
  const poisoned = (action: string, origin?: AuditInput['origin']): AuditInput => ({
    tenant_id: 't-1',
    action,
    actor_id: 'admin',
    actor_type: 'operator',
    ...(origin ? { origin } : {}),
    source_ip: '203.0.113.9',
    user_agent: `ops-console ${MARK}`,
    nonce: `nonce-${MARK}`,
    metadata: {
      ...Object.fromEntries(HIDDEN.map((f) => [f, `${MARK}-${f}`])),
      reason: `${MARK}-reason`,
      fields: ['name', ...HIDDEN, 'settings'],
      from: 'trial',
      plan: 'pro',
      request_id: `req-${MARK}`,
      step: `${MARK}-step`,
    },
  });

  it.each([...REGISTRY_ACTIONS])(
    '%s shows no hidden field, no operator request context and no nonce',
    (action) => {
      for (const origin of ['operator', 'service', 'system', undefined] as const) {
        const view = tenantAuditView(sealed(poisoned(action, origin)));
        const shown = text(view);
        expect(shown).not.toContain(MARK);
        expect(shown).not.toContain('203.0.113.9');
        for (const field of HIDDEN) expect(shown).not.toContain(field);
        expect(view).not.toHaveProperty('nonce');
        expect(view.redacted).toBe(true);
        expect(view).toMatchObject({ action, tenant_id: 't-1', actor_id: 'admin' });
      }
    },
  );

  it('any metadata of any registry event: no hidden field name or value gets through (property)', () => {
    const hiddenKey = fc.constantFrom(...HIDDEN, 'reason');
    fc.assert(
      fc.property(
        fc.constantFrom(...REGISTRY_ACTIONS),
        fc.dictionary(fc.oneof(hiddenKey, fc.string({ maxLength: 6 })), fc.jsonValue({ maxDepth: 2 })),
        fc.constantFrom('operator', 'tenant', 'system', 'service'),
        (action, metadata, origin) => {
          const withMarks = {
            ...metadata,
            ...Object.fromEntries(HIDDEN.map((f) => [f, MARK])),
            reason: MARK,
          };
          const view = tenantAuditView(sealed({ tenant_id: 't', action, origin, metadata: withMarks }));
          const shown = text(view.metadata);
          expect(shown).not.toContain(MARK);
          for (const field of HIDDEN) expect(Object.keys(view.metadata ?? {})).not.toContain(field);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps what the tenant may see of each registry event', () => {
    const view = (
      action: string,
      metadata: Record<string, unknown>,
      origin: AuditInput['origin'] = 'operator',
    ) => tenantAuditView(sealed({ tenant_id: 't', action, origin, metadata })).metadata;
    expect(
      view('tenant.activated', {
        from: 'trial',
        plan: 'pro',
        contract_start: '2025-01-01',
        contract_end: '2026-01-01',
        erp_customer_id: 'E-1',
        request_id: 'r-1',
      }),
    ).toEqual({ from: 'trial', plan: 'pro', contract_start: '2025-01-01', contract_end: '2026-01-01' });
    expect(view('tenant.cancelled', { from: 'active', reason: 'late payer', at_period_end: true })).toEqual({
      from: 'active',
      at_period_end: true,
    });
    expect(
      view('tenant.updated', { fields: ['erp_customer_id', 'name', 'sales_owner', 'settings'] }),
    ).toEqual({
      fields: ['name', 'settings'],
    });
    expect(view('tenant.updated', { fields: ['sales_owner'] })).toEqual({ fields: [] });
    expect(view('tenant.created', { slug: 'acme', kind: 'customer', plan: 'starter' })).toEqual({
      slug: 'acme',
      kind: 'customer',
      plan: 'starter',
    });
    expect(
      view('keycloak.provision_failed', { step: 'invite', reason: 'http 500', organization_id: 'o-1' }),
    ).toEqual({ organization_id: 'o-1' });
    expect(view('alias.removed', { slug: 'old', quarantine_until: '2025-07-01T00:00:00.000Z' })).toEqual({
      slug: 'old',
      quarantine_until: '2025-07-01T00:00:00.000Z',
    });
    // A key the service did not declare stays the operators' until it is declared.
    expect(view('alias.added', { slug: 'new', note: 'internal' })).toEqual({ slug: 'new' });
  });

  it("shows the request context of the tenant's own requests only", () => {
    const event = (origin?: AuditInput['origin']): AuditEvent =>
      sealed({
        tenant_id: 't',
        action: 'api_key.created',
        origin,
        key_id: 'k-1',
        actor_id: 'k-1',
        actor_type: 'api_key',
        source_ip: '198.51.100.7',
        user_agent: 'sdk/1',
        metadata: { prefix: 'trk_x', scopes: ['audit:read'], expires_at: null, request_id: 'r-1' },
      });
    const stored = event('tenant');
    const own = tenantAuditView(stored);
    expect(own).toEqual(stored);
    expect(own).not.toHaveProperty('redacted');
    for (const origin of ['operator', 'service', 'system', undefined] as const) {
      const other = tenantAuditView(event(origin));
      expect(other).not.toHaveProperty('source_ip');
      expect(other).not.toHaveProperty('user_agent');
      expect(other.metadata).toEqual({ prefix: 'trk_x', scopes: ['audit:read'], expires_at: null });
      expect(other.redacted).toBe(true);
    }
  });

  it("shows a product's own event type as written, less an operator's request context", () => {
    const metadata = { amount: 12, sales_owner: 'the product wrote this', nested: { deep: [1] } };
    const byTenant = sealed({
      tenant_id: 't',
      action: 'invoice.sent',
      origin: 'tenant',
      key_id: 'k',
      metadata,
    });
    expect(tenantAuditView(byTenant)).toEqual(byTenant);
    const byOperator = sealed({
      tenant_id: 't',
      action: 'invoice.sent',
      origin: 'operator',
      source_ip: '10.1.1.1',
      metadata,
    });
    const view = tenantAuditView(byOperator);
    expect(view.metadata).toEqual(metadata);
    expect(view).not.toHaveProperty('source_ip');
    expect(view.redacted).toBe(true);
  });

  it('shows no metadata of an undeclared action in a registry namespace (forged before appends were checked)', () => {
    const forged = sealed({
      tenant_id: 't',
      action: 'tenant.activated.v2',
      actor_type: 'operator',
      metadata: { note: 'x' },
    });
    expect(tenantAuditView(forged)).toMatchObject({ metadata: {}, redacted: true });
  });

  it('withholds fields outside the envelope, and never changes the stored event', () => {
    const event = Object.freeze(
      sealed({ tenant_id: 't', action: 'invoice.sent', origin: 'tenant', metadata: { a: 1 } }),
    );
    const odd = { ...event, approved_by: 'someone' } as AuditEvent;
    expect(tenantAuditView(odd)).toEqual({ ...event, redacted: true });
    const before = JSON.stringify(event);
    tenantAuditView(event);
    expect(JSON.stringify(event)).toBe(before);
    expect(verifyChain([event], { last_id: event.id, hash: event.hash }).ok).toBe(true);
  });

  it('sealable: a nonce exactly where a tenant sees the event in part', () => {
    const fixed = () => Buffer.alloc(16, 7);
    const operatorOnTenant: AuditInput = {
      tenant_id: 't',
      action: 'tenant.updated',
      origin: 'operator',
      source_ip: '10.0.0.1',
      metadata: { fields: ['name'] },
    };
    expect(sealable(operatorOnTenant, fixed)).toEqual({
      ...operatorOnTenant,
      nonce: Buffer.alloc(16, 7).toString('base64url'),
    });
    const hidden: AuditInput = {
      tenant_id: 't',
      action: 'tenant.cancelled',
      origin: 'tenant',
      metadata: { reason: 'x' },
    };
    expect(sealable(hidden, fixed)).toHaveProperty('nonce');
    const ownProduct: AuditInput = { tenant_id: 't', action: 'invoice.sent', origin: 'tenant', key_id: 'k' };
    expect(sealable(ownProduct, fixed)).toBe(ownProduct);
    const global: AuditInput = { action: 'catalog.updated', origin: 'operator', source_ip: '10.0.0.1' };
    expect(sealable(global, fixed)).toBe(global);
    expect(sealable(operatorOnTenant).nonce).not.toBe(sealable(operatorOnTenant).nonce);
  });

  it('with the nonce, the shown hash cannot confirm a right guess of a withheld value', () => {
    const input: AuditInput = {
      tenant_id: 't',
      action: 'tenant.updated',
      actor_id: 'admin',
      origin: 'operator',
      metadata: { fields: ['sales_owner'], sales_owner_was: 'x' },
    };
    // What a tenant would try: the shown event with the true value put back, hashed again.
    const guess = (event: AuditEvent) => {
      const {
        hash,
        redacted: _r,
        ...shown
      } = tenantAuditView(event) as TenantAuditEvent & Record<string, unknown>;
      return { hash, rebuilt: hashEvent({ ...shown, metadata: event.metadata } as Omit<AuditEvent, 'hash'>) };
    };
    const plain = guess(sealed(input));
    expect(plain.rebuilt).toBe(plain.hash);
    const blinded = guess(sealed(sealable(input)));
    expect(blinded.rebuilt).not.toBe(blinded.hash);
  });
});

describe('verifyChain says why and where', () => {
  const input = (n: number): AuditInput => ({ tenant_id: 't-9', action: 'tenant.updated', metadata: { n } });
  /** An event sealed by hand: any id, linked to `prev`, with a correct own hash. */
  const sealedAs = (id: number, prev: string, n: number): AuditEvent => {
    const unsealed = {
      ...input(n),
      id,
      created_at: new Date(Math.floor(id / 1000)).toISOString(),
      prev_hash: prev,
    };
    return { ...unsealed, hash: hashEvent(unsealed) };
  };
  const headOf = (event: AuditEvent): ChainHead => ({ last_id: event.id, hash: event.hash });
  /** Four events, sealed inside each test (see `fixture` above). */
  const four = () => {
    const { events, head } = buildChain([input(1), input(2), input(3), input(4)], seededRandom(9));
    const [e0, e1, e2, e3] = events as [AuditEvent, AuditEvent, AuditEvent, AuditEvent];
    return { events, head, e0, e1, e2, e3 };
  };

  it('ids going backwards are out of order, even when every hash links', () => {
    const { e0, e1 } = four();
    const back = sealedAs(e1.id - 1, e1.hash, 5);
    expect(verifyChain([e0, e1, back], headOf(back))).toEqual({
      ok: false,
      checked: 2,
      event_id: back.id,
      reason: 'out of order',
    });
  });

  it('a repeated id is out of order, even when every hash links', () => {
    const { e0, e1 } = four();
    const same = sealedAs(e1.id, e1.hash, 5);
    expect(verifyChain([e0, e1, same], headOf(same))).toEqual({
      ok: false,
      checked: 2,
      event_id: e1.id,
      reason: 'out of order',
    });
  });

  it('a first event with an id of 0 or below is out of order', () => {
    for (const id of [0, -1]) {
      const first = sealedAs(id, GENESIS_HASH, 1);
      expect(verifyChain([first], headOf(first))).toMatchObject({
        ok: false,
        checked: 0,
        reason: 'out of order',
      });
    }
    const one = sealedAs(1, GENESIS_HASH, 1);
    expect(verifyChain([one], headOf(one))).toEqual({ ok: true, checked: 1 });
  });

  it('a resealed event that does not link to its predecessor is a broken link at that event', () => {
    const { head, e0, e1, e2, e3 } = four();
    const unlinked = sealedAs(e2.id, e0.hash, 3);
    expect(verifyChain([e0, e1, unlinked, e3], head)).toEqual({
      ok: false,
      checked: 2,
      event_id: e2.id,
      reason: 'broken link',
    });
    const offGenesis = sealedAs(e0.id, 'f'.repeat(64), 1);
    expect(verifyChain([offGenesis], headOf(offGenesis))).toMatchObject({
      checked: 0,
      event_id: e0.id,
      reason: 'broken link',
    });
  });

  it('a changed event that keeps its old hash is altered, counted after the events before it', () => {
    const { head, e0, e1, e2, e3 } = four();
    const changedEvent = { ...e3, metadata: { n: 99 } };
    expect(verifyChain([e0, e1, e2, changedEvent], head)).toEqual({
      ok: false,
      checked: 3,
      event_id: e3.id,
      reason: 'altered event',
    });
  });

  it('an event stored under another id than its own is refused before anything else, naming the stored id', () => {
    const { events, head, e2 } = four();
    const ids = events.map((e) => e.id);
    expect(verifyChain(events, head, ids)).toEqual({ ok: true, checked: 4 });
    expect(verifyChain(events, head, ids.slice(0, 2))).toEqual({ ok: true, checked: 4 });
    expect(verifyChain(events, head, ids.with(2, e2.id + 1))).toEqual({
      ok: false,
      checked: 2,
      event_id: e2.id + 1,
      reason: 'stored under another id',
    });
  });

  it('a head that does not match: the head’s id, or null without a head, after checking every event', () => {
    const { events, e2, e3 } = four();
    expect(verifyChain(events, undefined)).toEqual({
      ok: false,
      checked: 4,
      event_id: null,
      reason: 'head does not match the last event',
    });
    expect(verifyChain(events, headOf(e2))).toEqual({
      ok: false,
      checked: 4,
      event_id: e2.id,
      reason: 'head does not match the last event',
    });
    expect(verifyChain(events, { last_id: e3.id, hash: e2.hash })).toMatchObject({ ok: false, checked: 4 });
    expect(verifyChain(events, { last_id: e2.id, hash: e3.hash })).toMatchObject({ ok: false, checked: 4 });
    expect(verifyChain([], { last_id: 5, hash: GENESIS_HASH })).toEqual({
      ok: false,
      checked: 0,
      event_id: 5,
      reason: 'head does not match the last event',
    });
    expect(verifyChain([], { last_id: 0, hash: GENESIS_HASH })).toEqual({ ok: true, checked: 0 });
  });

  it('sealing links to the head and takes an id above it', () => {
    const { events, e3 } = four();
    const next = sealEvent(input(5), headOf(e3), new Date(START));
    expect(next.prev_hash).toBe(e3.hash);
    expect(next.id).toBe(e3.id + 1);
    expect(next.created_at).toBe(new Date(Math.floor(next.id / 1000)).toISOString());
    expect(verifyChain([...events, next], headOf(next))).toEqual({ ok: true, checked: 5 });
    expect(GENESIS_HASH).toBe('0000000000000000000000000000000000000000000000000000000000000000');
    expect(chainOf({ tenant_id: undefined })).toBe('global');
  });
});
