import { randomBytes, randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { type ApiKeyRecord, formatKey, parseKey } from '../../shared/domain/api-key';
import { KeyHasher } from '../../shared/domain/key-hash';
import type { Tenant } from '../../shared/domain/tenant';
import type { ApiKeyStore } from '../../shared/ports/api-key-store';
import { ApiKeyService, KeyVerificationCache } from '../../shared/services/api-keys';
import { Argon2Budget, VerificationGate } from '../../shared/services/verification-limits';
import { LogCapture } from '../support/logs';
import { FakeClock } from './fakes';

/**
 * Verification's cost: an unknown id never reaches argon2, and wrong secrets on a known id run
 * argon2 at most LIMIT times per WINDOW_MS per container (shared/services/verification-limits.ts).
 * In-memory store and tenants, a cheap real argon2id whose verify calls are counted, a clock
 * that moves only when told.
 */

const LIMIT = 3;
const WINDOW_MS = 10_000;
const CACHE_TTL_MS = 2_000;
/** Cheap parameters: the count of argon2 runs is what matters here, not their cost. */
const hasher = new KeyHasher({ m: 1024, t: 1, p: 1 });
const TENANT = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab';

const randomKey = (id: string = randomUUID()) => formatKey('trk', id, randomBytes(32));

async function setup(options: { limit?: number; concurrency?: number } = {}) {
  const clock = new FakeClock();
  const records = new Map<string, ApiKeyRecord>();
  const reads: string[] = [];
  /** While set, key reads wait for it (to hold verifications inside the gate). */
  let hold: Promise<void> | undefined;
  // Only what verification touches; every other store method is out of scope here.
  const store: Pick<ApiKeyStore, 'getKey' | 'touchKey' | 'rehashKey'> = {
    getKey: async (id) => {
      reads.push(id);
      await hold;
      return records.get(id);
    },
    touchKey: async () => {},
    rehashKey: async () => {},
  };
  const tenants = {
    getTenant: async (id: string) => (id === TENANT ? ({ id, status: 'active' } as Tenant) : undefined),
  };
  const cache = new KeyVerificationCache(clock, {
    ttlMs: CACHE_TTL_MS,
    maxEntries: 100,
    failureLimit: options.limit ?? LIMIT,
    failureWindowMs: WINDOW_MS,
    concurrency: options.concurrency ?? 1,
  });
  const argon2 = jest.spyOn(hasher, 'verify');
  argon2.mockClear();
  const service = new ApiKeyService(
    store as ApiKeyStore,
    tenants,
    hasher,
    clock,
    { prefix: 'trk', maxLifetimeDays: 365 },
    cache,
  );
  /** A stored live key of TENANT: its plaintext and id. */
  const addKey = async (extra: Partial<ApiKeyRecord> = {}) => {
    const id = randomUUID();
    const plaintext = randomKey(id);
    const secret = parseKey(plaintext)?.secret ?? '';
    records.set(id, {
      id,
      tenant_id: TENANT,
      name: 'k',
      scopes: ['profile:read'],
      prefix: 'trk_x',
      created_at: clock.now().toISOString(),
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
      secret_hash: await hasher.hash(secret),
      ...extra,
    });
    return { id, plaintext };
  };
  /** Another well-formed key (valid checksum) for the same id: a wrong secret. */
  const wrongSecret = (id: string) => randomKey(id);
  const holdReads = () => {
    let release = () => {};
    hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      hold = undefined;
      release();
    };
  };
  return { clock, cache, service, reads, argon2, addKey, wrongSecret, holdReads };
}

const INVALID = { valid: false };
/** The service's log lines (the throttle warning), kept off the test output. */
const logs = new LogCapture();
beforeAll(() => logs.start());
afterAll(() => logs.stop());

describe('an unknown key id', () => {
  test('is invalid after its one read, with no argon2, on both planes', async () => {
    const { service, reads, argon2 } = await setup();
    for (let i = 0; i < 40; i++) {
      const key = randomKey();
      expect(await service.verify(key)).toEqual(INVALID);
      expect(await service.authenticate(randomKey())).toBeUndefined();
    }
    expect(argon2).toHaveBeenCalledTimes(0);
    expect(reads).toHaveLength(80);
  });

  test('a revoked or expired key is invalid without argon2, right secret or not', async () => {
    const { service, argon2, clock, addKey, wrongSecret } = await setup();
    const revoked = await addKey({ revoked_at: clock.now().toISOString() });
    const expired = await addKey({ expires_at: clock.now().toISOString() });
    for (const { id, plaintext } of [revoked, expired]) {
      expect(await service.verify(plaintext)).toEqual(INVALID);
      expect(await service.verify(wrongSecret(id))).toEqual(INVALID);
    }
    expect(argon2).toHaveBeenCalledTimes(0);
  });
});

describe('wrong secrets on a known key id', () => {
  test(`a flood runs argon2 ${LIMIT} times per window; the rest are invalid without it, logged once`, async () => {
    const { service, argon2, addKey, wrongSecret } = await setup();
    const { id } = await addKey();
    logs.clear();
    for (let i = 0; i < 200; i++) expect(await service.verify(wrongSecret(id))).toEqual(INVALID);
    expect(argon2).toHaveBeenCalledTimes(3);
    const throttled = logs.json().filter((l) => l.event === 'api_key.verify_throttled');
    expect(throttled).toEqual([expect.objectContaining({ level: 'WARN', limit: 3, window_seconds: 10 })]);
    // Nothing of the key: whoever sent the wrong secrets does not own it.
    expect(logs.lines.filter((l) => l.includes(id))).toEqual([]);
  });

  test('concurrent wrong secrets cannot overshoot the bound', async () => {
    const { service, argon2, addKey, wrongSecret } = await setup({ concurrency: 64 });
    const { id } = await addKey();
    const answers = await Promise.all(Array.from({ length: 50 }, () => service.verify(wrongSecret(id))));
    expect(answers.every((a) => a.valid === false)).toBe(true);
    expect(argon2).toHaveBeenCalledTimes(3);
  });

  test('the bound is per key id: another key of the same tenant keeps its own', async () => {
    const { service, argon2, addKey, wrongSecret } = await setup();
    const flooded = await addKey();
    const other = await addKey();
    for (let i = 0; i < 20; i++) await service.verify(wrongSecret(flooded.id));
    expect(argon2).toHaveBeenCalledTimes(3);
    expect(await service.verify(other.plaintext)).toMatchObject({ valid: true, tenant_id: TENANT });
    expect(argon2).toHaveBeenCalledTimes(4);
  });

  test('the bound resets when the window ends', async () => {
    const { service, argon2, clock, addKey, wrongSecret } = await setup();
    const { id } = await addKey();
    for (let i = 0; i < 20; i++) await service.verify(wrongSecret(id));
    expect(argon2).toHaveBeenCalledTimes(3);
    clock.advance(WINDOW_MS - 1);
    await service.verify(wrongSecret(id));
    expect(argon2).toHaveBeenCalledTimes(3);
    clock.advance(1);
    for (let i = 0; i < 20; i++) await service.verify(wrongSecret(id));
    expect(argon2).toHaveBeenCalledTimes(6);
  });

  test('the owner verified here before the flood keeps working through it, argon2 on each cache lapse', async () => {
    const { service, argon2, clock, addKey, wrongSecret } = await setup();
    const owner = await addKey();
    expect(await service.verify(owner.plaintext)).toMatchObject({ valid: true });
    expect(argon2).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 20; i++) await service.verify(wrongSecret(owner.id));
    expect(argon2).toHaveBeenCalledTimes(4);
    // From the valid-answer cache: no argon2.
    expect(await service.verify(owner.plaintext)).toMatchObject({ valid: true });
    expect(argon2).toHaveBeenCalledTimes(4);
    // The cache lapses within the window: the owner's key is re-verified (argon2), not refused.
    clock.advance(CACHE_TTL_MS);
    expect(await service.authenticate(owner.plaintext)).toMatchObject({ id: owner.id });
    expect(argon2).toHaveBeenCalledTimes(5);
    // ...while the flood stays refused.
    for (let i = 0; i < 20; i++) expect(await service.verify(wrongSecret(owner.id))).toEqual(INVALID);
    expect(argon2).toHaveBeenCalledTimes(5);
  });

  test('a valid key never verified here is refused past the bound, and verifies the moment the window ends', async () => {
    const { service, argon2, clock, addKey, wrongSecret } = await setup();
    const owner = await addKey();
    for (let i = 0; i < 20; i++) await service.verify(wrongSecret(owner.id));
    expect(argon2).toHaveBeenCalledTimes(3);
    // The stated price of the bound.
    clock.advance(WINDOW_MS - 1);
    expect(await service.verify(owner.plaintext)).toEqual(INVALID);
    expect(await service.authenticate(owner.plaintext)).toBeUndefined();
    expect(argon2).toHaveBeenCalledTimes(3);
    // Not remembered as invalid: valid at once when the window ends, not 5 s later.
    clock.advance(1);
    expect(await service.verify(owner.plaintext)).toMatchObject({ valid: true });
    expect(argon2).toHaveBeenCalledTimes(4);
  });

  test('a key that verifies gives its slot back: the bound counts wrong secrets only', async () => {
    const { service, argon2, addKey, wrongSecret } = await setup({ limit: 2 });
    const owner = await addKey();
    await service.verify(wrongSecret(owner.id));
    expect(await service.verify(owner.plaintext)).toMatchObject({ valid: true });
    await service.verify(wrongSecret(owner.id));
    expect(argon2).toHaveBeenCalledTimes(3);
    for (let i = 0; i < 10; i++) await service.verify(wrongSecret(owner.id));
    expect(argon2).toHaveBeenCalledTimes(3);
  });

  test('revocation in this container ends the exemption of the key it verified', async () => {
    const { service, cache, argon2, addKey, wrongSecret } = await setup();
    const owner = await addKey();
    expect(await service.verify(owner.plaintext)).toMatchObject({ valid: true });
    for (let i = 0; i < 10; i++) await service.verify(wrongSecret(owner.id));
    cache.evict(owner.id);
    expect(await service.verify(owner.plaintext)).toEqual(INVALID);
    expect(argon2).toHaveBeenCalledTimes(4);
  });
});

describe('the verification gate', () => {
  test('uncached verifications run one at a time by default; a cached key never waits for them', async () => {
    const { service, cache, reads, addKey, holdReads } = await setup();
    const owner = await addKey();
    expect(await service.verify(owner.plaintext)).toMatchObject({ valid: true });
    reads.length = 0;

    const release = holdReads();
    const unknown = [service.verify(randomKey()), service.verify(randomKey()), service.verify(randomKey())];
    await new Promise((resolve) => setImmediate(resolve));
    expect([reads.length, cache.gate.queued]).toEqual([1, 2]);
    // Authenticated from the cache while three unknown keys are in or at the gate.
    expect(await service.verify(owner.plaintext)).toMatchObject({ valid: true, tenant_id: TENANT });
    expect(reads).toHaveLength(1);

    release();
    expect(await Promise.all(unknown)).toEqual([INVALID, INVALID, INVALID]);
    expect([reads.length, cache.gate.queued]).toEqual([3, 0]);
  });

  test('requests for one new key that waited at the gate take the first answer: one argon2', async () => {
    const { service, argon2, reads, addKey, wrongSecret } = await setup();
    const owner = await addKey();
    const wrong = wrongSecret(owner.id);
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => service.verify(owner.plaintext)),
      ...Array.from({ length: 5 }, () => service.verify(wrong)),
    ]);
    expect(answers.map((a) => a.valid)).toEqual([...Array(5).fill(true), ...Array(5).fill(false)]);
    expect(argon2).toHaveBeenCalledTimes(2);
    expect(reads).toHaveLength(2);
  });

  test('at most `max` at once, the rest in arrival order', async () => {
    const gate = new VerificationGate(2);
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const job = (name: string) =>
      gate.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        log.push(name);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
        return name;
      });
    expect(await Promise.all(['a', 'b', 'c', 'd', 'e'].map(job))).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(log).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(peak).toBe(2);
    // A failing run hands its slot on too.
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await job('f')).toBe('f');
    expect(() => new VerificationGate(0)).toThrow(/max/);
  });
});

describe('Argon2Budget', () => {
  const digest = (n: number) => Buffer.alloc(32, n);

  test('fixed windows per id, refusals flagged first once per window', () => {
    const clock = new FakeClock();
    const budget = new Argon2Budget(clock, { perWindow: 2, windowMs: 1000, maxEntries: 10 });
    expect(['a', 'a', 'a', 'a', 'b'].map((id) => budget.take(id))).toEqual([
      'run',
      'run',
      'refused-first',
      'refused',
      'run',
    ]);
    // Refusals do not extend the window: it ends 1000 ms after it opened.
    clock.advance(999);
    expect(budget.take('a')).toBe('refused');
    clock.advance(1);
    expect(budget.take('a')).toBe('run');
  });

  test('proven keys are matched by their exact digest and forgotten on revocation', () => {
    const budget = new Argon2Budget(new FakeClock(), { perWindow: 1, windowMs: 1000, maxEntries: 10 });
    expect(budget.isProven('a', digest(1))).toBe(false);
    budget.succeeded('a', digest(1), false);
    expect(budget.isProven('a', digest(1))).toBe(true);
    expect(budget.isProven('a', digest(2))).toBe(false);
    expect(budget.isProven('b', digest(1))).toBe(false);
    budget.forget('a');
    expect(budget.isProven('a', digest(1))).toBe(false);
  });

  test('bounded: the least recently used id is dropped and starts a fresh window', () => {
    const budget = new Argon2Budget(new FakeClock(), { perWindow: 1, windowMs: 60_000, maxEntries: 2 });
    expect([budget.take('a'), budget.take('a')]).toEqual(['run', 'refused-first']);
    budget.take('b');
    budget.take('c');
    expect(budget.take('a')).toBe('run');
  });

  test('refuses a bound below 1 (no key could ever verify)', () => {
    expect(() => new Argon2Budget(new FakeClock(), { perWindow: 0, windowMs: 1000, maxEntries: 1 })).toThrow(
      /perWindow/,
    );
  });
});
