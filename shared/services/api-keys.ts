import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  type ApiKey,
  type ApiKeyRecord,
  apiKeyView,
  displayPrefix,
  formatKey,
  grantableScopes,
  KEY_SECRET_BYTES,
  keyExpiry,
  keyUnusable,
  parseKey,
  rolledExpiry,
  SCOPES,
  type Scope,
} from '../domain/api-key';
import type { AuditInput } from '../domain/audit';
import type { RegistryAction } from '../domain/audit-events';
import { DomainError, NotFoundError, TenantNotFoundError } from '../domain/errors';
import type { KeyHasher } from '../domain/key-hash';
import { TtlCache } from '../domain/lru';
import type { Tenant, TenantStatus } from '../domain/tenant';
import { logger } from '../observability/logger';
import type { ApiKeyStore, ApiKeyVerificationStore } from '../ports/api-key-store';
import type { Clock } from '../ports/clock';
import type { TenantStore } from '../ports/tenant-store';
import { type Actor, registryEvent } from './actor';
import { Argon2Budget, VerificationGate } from './verification-limits';

export class TenantArchivedError extends DomainError {
  constructor() {
    super('tenant_inactive', 'the tenant is archived and cannot be given API keys');
  }
}

export class ApiKeyNotFoundError extends NotFoundError {
  constructor() {
    super('api key not found');
  }
}

/** A key that is revoked or expired cannot be rolled (409 `api_key_unusable`). */
export class ApiKeyUnusableError extends DomainError {
  constructor(why: 'revoked' | 'expired') {
    super('api_key_unusable', `the key is ${why}: only a live key can be rolled; create a new one instead`);
  }
}

export interface NewApiKey {
  readonly tenant_id: string;
  readonly name: string;
  readonly product?: string;
  /** Absent: the default read scopes the maker holds (`grantableScopes`). */
  readonly scopes?: readonly Scope[];
  readonly created_by?: string;
  /** Absent: the maximum lifetime from now; `null` (operators only): never expires (`keyExpiry`). */
  readonly expires_at?: string | null;
}

export interface KeyRoll {
  /** How long the old key keeps working beside the new one. */
  readonly overlap_seconds: number;
  /** The new key's expiry, as on create. */
  readonly expires_at?: string | null;
}

export interface RolledApiKey {
  readonly api_key: ApiKey;
  readonly plaintext: string;
  /** The rolled key and the time it stops verifying. */
  readonly previous: { readonly id: string; readonly expires_at: string };
}

export type Verification =
  | { readonly valid: false }
  | {
      readonly valid: true;
      readonly tenant_id: string;
      readonly product?: string;
      readonly scopes: readonly Scope[];
    };

export interface ApiKeyOptions {
  /** The prefix new keys carry (validated by the configuration). */
  readonly prefix: string;
  /** The longest a new key may live, and the lifetime of one created without an expiry. */
  readonly maxLifetimeDays: number;
}

/** Invalid answers are cached too, but briefly: a reactivated tenant's keys work again soon. */
const NEGATIVE_TTL_CAP_MS = 5_000;
/** `last_used_at` moves at most this often per key. */
export const TOUCH_INTERVAL_MS = 60_000;
const INVALID: Verification = Object.freeze({ valid: false });
/** A key refused because its id's argon2 budget is spent: invalid, but not cached as such. */
const THROTTLED = Symbol('throttled');
/** Neither cache knows the key. */
const MISS = Symbol('miss');

interface CachedKey {
  /** SHA-256 of the whole presented key: the entry answers only the exact key it was made for. */
  readonly digest: Buffer;
  readonly key: ApiKey;
  /** The tenant's status when the key was last checked against the table. */
  readonly tenantStatus: TenantStatus;
  readonly checkedAt: number;
}

const digestOf = (text: string) => createHash('sha256').update(text).digest();

/**
 * The container's verification state, shared by the services that verify and revoke keys (two
 * services so that listing and revoking never bundle argon2): valid answers by key id for
 * `ttlMs`, each answering only the presented key whose SHA-256 it holds, so revocation evicts
 * by id; invalid answers by that SHA-256 for at most 5 s; the argon2 budget per key id
 * (`failureLimit` wrong-secret verifies per `failureWindowMs`, see Argon2Budget), all bounded
 * LRUs; and the gate that lets `concurrency` uncached verifications run at once.
 */
export class KeyVerificationCache {
  readonly valid: TtlCache<string, CachedKey>;
  readonly invalid: TtlCache<string, true>;
  readonly budget: Argon2Budget;
  readonly gate: VerificationGate;
  /** When this container last wrote `last_used_at` per key. */
  readonly touched: TtlCache<string, number>;
  /** Background key writes (touch, rehash) under way. */
  readonly pending = new Set<Promise<void>>();

  constructor(
    clock: Clock,
    options: {
      readonly ttlMs: number;
      readonly maxEntries: number;
      readonly failureLimit: number;
      readonly failureWindowMs: number;
      readonly concurrency: number;
      /** Keys whose last touch is remembered. @default 10_000 */
      readonly touchedEntries?: number;
    },
  ) {
    const now = () => clock.now().getTime();
    this.touched = new TtlCache(options.touchedEntries ?? 10_000, TOUCH_INTERVAL_MS, now);
    this.valid = new TtlCache(options.maxEntries, options.ttlMs, now);
    this.invalid = new TtlCache(options.maxEntries, Math.min(options.ttlMs, NEGATIVE_TTL_CAP_MS), now);
    this.budget = new Argon2Budget(clock, {
      perWindow: options.failureLimit,
      windowMs: options.failureWindowMs,
      maxEntries: options.maxEntries,
    });
    this.gate = new VerificationGate(options.concurrency);
  }

  /** This container stops trusting the key at once. */
  evict(id: string): void {
    this.valid.delete(id);
    this.budget.forget(id);
  }
}

/** Listing and revoking keys: no argon2 here. */
export class ApiKeyAdmin {
  constructor(
    private readonly store: ApiKeyStore,
    private readonly tenants: Pick<TenantStore, 'getTenant'>,
    private readonly clock: Clock,
    private readonly cache: KeyVerificationCache,
  ) {}

  /** One page of the tenant's keys as views: never a secret hash. */
  async list(
    tenantId: string,
    query: { limit: number; cursor?: string },
  ): Promise<{ items: ApiKey[]; next_cursor?: string }> {
    if (!(await this.tenants.getTenant(tenantId))) throw new TenantNotFoundError();
    const page = await this.store.listKeys(tenantId, query);
    return { ...page, items: page.items.map(apiKeyView) };
  }

  /**
   * Sets `revoked_at`; revoking a revoked key changes nothing and is not an error. With
   * `ofTenant`, another tenant's key is "not found", exactly like a key that does not exist.
   */
  async revoke(id: string, actor: Actor, ofTenant?: string): Promise<void> {
    const key = await this.store.getKey(id);
    if (!key || (ofTenant !== undefined && key.tenant_id !== ofTenant)) throw new ApiKeyNotFoundError();
    this.cache.evict(id);
    if (key.revoked_at !== null) return;
    const at = this.clock.now().toISOString();
    await this.store.revokeKey(key, at, keyEvent(actor, 'api_key.revoked', key, { revoked_at: at }));
    // Again: a verify that raced the write may have cached the key meanwhile.
    this.cache.evict(id);
  }
}

/**
 * Verification of tenant API keys, on the service plane's hot path and in the tenant plane's
 * admission. No creation here, so the tenant plane's bundles carry no audited writer.
 *
 * Verification: a malformed or mistyped key (checksum) is invalid before any read. Otherwise
 * one GetItem by the key's id; an id that matches nothing, or a revoked or expired key, is
 * invalid right there, without argon2 (key ids are random and not secret: whether one exists is
 * not what the constant-time rule protects; the secret is, and only argon2 ever compares it).
 * A live key's secret costs one argon2id verify, within the id's budget: at most
 * `failureLimit` wrong secrets per key id per window per container run argon2, past that the
 * id's keys this container has not verified before are invalid without argon2 until the window
 * ends (Argon2Budget). Uncached verifications run `concurrency` at a time per container
 * (VerificationGate): unknown keys cannot crowd out requests already authenticated. Results are
 * cached per container: valid ones by key id for the cache TTL (answering only the presented
 * key whose SHA-256 they hold; revocation here evicts at once), invalid ones by that SHA-256
 * for at most 5 s, so repeating one bad key costs at most one read (and one argon2, within the
 * budget) per 5 s. Both caches are bounded LRUs.
 */
export class ApiKeyVerifier {
  protected readonly cache: KeyVerificationCache;

  constructor(
    protected readonly store: ApiKeyVerificationStore,
    protected readonly tenants: Pick<TenantStore, 'getTenant'>,
    protected readonly hasher: KeyHasher,
    protected readonly clock: Clock,
    cache: KeyVerificationCache,
  ) {
    this.cache = cache;
  }

  /**
   * The service plane's answer. Always an answer, never an error for what the caller sent; never
   * says why a key fails. A frozen tenant's keys are invalid here (products must not serve it).
   */
  async verify(presented: unknown): Promise<Verification> {
    const found = await this.lookup(presented);
    return found && found.tenantStatus !== 'frozen' ? verification(found.key) : INVALID;
  }

  /**
   * The tenant plane's check: the key, if it is valid and its tenant is not archived. A frozen
   * tenant's key passes (frozen tenants may read); the caller reads the tenant for the rest.
   */
  async authenticate(presented: unknown): Promise<ApiKey | undefined> {
    return (await this.lookup(presented))?.key;
  }

  private async lookup(presented: unknown): Promise<CachedKey | undefined> {
    const parsed = parseKey(presented);
    if (!parsed || typeof presented !== 'string') return undefined;
    const digest = digestOf(presented);
    const cached = this.cached(parsed.id, digest);
    if (cached !== MISS) return cached;
    return this.cache.gate.run(async () => {
      // Requests for the same key that waited here find the first one's answer.
      const settled = this.cached(parsed.id, digest);
      if (settled !== MISS) return settled;
      const result = await this.verifyUncached(parsed.id, parsed.secret, digest, this.clock.now());
      // A refusal by the budget lasts exactly as long as the window: never cached.
      if (result === THROTTLED) return undefined;
      if (!result) this.cache.invalid.set(digest.toString('base64url'), true);
      return result;
    });
  }

  /** What the caches say of this exact key (digest), or MISS. */
  private cached(id: string, digest: Buffer): CachedKey | undefined | typeof MISS {
    const now = this.clock.now();
    const cached = this.cache.valid.get(id)?.value;
    // A frozen tenant may be reactivated at any moment: its entries count for 5 s only.
    if (
      cached &&
      timingSafeEqual(cached.digest, digest) &&
      (cached.tenantStatus !== 'frozen' || now.getTime() - cached.checkedAt < NEGATIVE_TTL_CAP_MS)
    ) {
      if (keyUnusable(cached.key, now)) return undefined;
      this.touch(id, now);
      return cached;
    }
    return this.cache.invalid.get(digest.toString('base64url')) ? undefined : MISS;
  }

  private async verifyUncached(
    id: string,
    secret: string,
    digest: Buffer,
    now: Date,
  ): Promise<CachedKey | typeof THROTTLED | undefined> {
    const record = await this.store.getKey(id);
    // Unknown id, revoked or expired: one read, no argon2.
    if (!record || keyUnusable(record, now)) return undefined;
    const proven = this.cache.budget.isProven(id, digest);
    if (!proven) {
      const grant = this.cache.budget.take(id);
      if (grant === 'refused-first') {
        // No key or tenant identifier: the caller is not the key's owner (the isolation rule for
        // log lines); the request id ties it to the request's auth.rejected line and source ip.
        logger.warn('wrong-secret budget of an API key id spent: its unverified keys fail without argon2', {
          event: 'api_key.verify_throttled',
          limit: this.cache.budget.options.perWindow,
          window_seconds: this.cache.budget.options.windowMs / 1000,
        });
      }
      if (grant !== 'run') return THROTTLED;
    }
    if (!(await this.hasher.verify(secret, record.secret_hash))) {
      // The stored hash no longer matches the proven key (it was replaced): exempt no more.
      if (proven) this.cache.budget.forget(id);
      return undefined;
    }
    this.cache.budget.succeeded(id, digest, !proven);
    const tenant = await this.tenants.getTenant(record.tenant_id);
    if (!tenant || tenant.status === 'archived') return undefined;

    const { secret_hash, ...key } = record;
    const entry: CachedKey = { digest, key, tenantStatus: tenant.status, checkedAt: now.getTime() };
    this.cache.valid.set(id, entry);
    this.touch(id, now);
    if (this.hasher.needsRehash(secret_hash)) {
      this.background('api_key.rehash_failed', id, async () => {
        await this.store.rehashKey(id, secret_hash, await this.hasher.hash(secret));
      });
    }
    return entry;
  }

  /** `last_used_at`, at most once a minute per key, off the answer's critical path. */
  private touch(id: string, now: Date): void {
    const last = this.cache.touched.get(id)?.value;
    if (last !== undefined && now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.cache.touched.set(id, now.getTime());
    const notAfter = new Date(now.getTime() - TOUCH_INTERVAL_MS).toISOString();
    this.background('api_key.touch_failed', id, () => this.store.touchKey(id, now.toISOString(), notAfter));
  }

  private background(event: string, id: string, work: () => Promise<void>): void {
    const task = work()
      .catch((error: unknown) => logger.error('background key write failed', { event, key_id: id, error }))
      .finally(() => this.cache.pending.delete(task));
    this.cache.pending.add(task);
  }

  /** Resolves when every background write started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.cache.pending.size > 0) await Promise.all([...this.cache.pending]);
  }
}

/** Tenant API keys: creation and rolls (the plaintext exists only in the answer), and verification. */
export class ApiKeyService extends ApiKeyVerifier {
  constructor(
    protected override readonly store: ApiKeyStore,
    tenants: Pick<TenantStore, 'getTenant'>,
    hasher: KeyHasher,
    clock: Clock,
    private readonly options: ApiKeyOptions,
    cache: KeyVerificationCache,
  ) {
    super(store, tenants, hasher, clock, cache);
  }

  /**
   * A new key; the plaintext exists only in the answer. `by`: the tenant-plane key asking, which
   * can hand on only scopes it holds and cannot make a key that never expires (operators pass
   * nothing). The scope and lifetime rules are the domain's (`grantableScopes`, `keyExpiry`).
   */
  async create(input: NewApiKey, actor: Actor, by?: ApiKey): Promise<{ api_key: ApiKey; plaintext: string }> {
    const now = this.clock.now();
    const scopes = grantableScopes(input.scopes, by?.scopes ?? SCOPES);
    const expires_at = keyExpiry(input.expires_at, now, this.lifetime(by));
    if (by && by.tenant_id !== input.tenant_id)
      throw new Error('a tenant key can only make keys of its tenant');
    const tenant = await this.liveTenant(input.tenant_id);
    const created_by = by ? `api_key:${by.id}` : input.created_by;
    const { record, plaintext } = await this.mint(
      { tenant_id: tenant.id, name: input.name, product: input.product, scopes, created_by, expires_at },
      now,
    );
    await this.store.createKey(record, keyEvent(actor, 'api_key.created', record));
    return { api_key: apiKeyView(record), plaintext };
  }

  /**
   * Rolls a live key: a new key with the same tenant, name, product and scopes (and creator),
   * while the old one keeps verifying for `overlap_seconds` from now (never longer than it
   * already would). The new key, the old key's expiry and one `api_key.rolled` event commit in
   * one transaction. `by`: the tenant-plane key asking: another tenant's key is "not found"
   * exactly like a key that does not exist, and it can roll only keys whose scopes it holds
   * (it gets the new plaintext). This container stops trusting its cached answer at once.
   */
  async roll(id: string, input: KeyRoll, actor: Actor, by?: ApiKey): Promise<RolledApiKey> {
    const now = this.clock.now();
    const expires_at = keyExpiry(input.expires_at, now, this.lifetime(by));
    const old = await this.store.getKey(id);
    if (!old || (by && old.tenant_id !== by.tenant_id)) throw new ApiKeyNotFoundError();
    const unusable = keyUnusable(old, now);
    if (unusable) throw new ApiKeyUnusableError(unusable);
    const scopes = grantableScopes(old.scopes, by?.scopes ?? SCOPES);
    await this.liveTenant(old.tenant_id);
    const { record, plaintext } = await this.mint(
      {
        tenant_id: old.tenant_id,
        name: old.name,
        product: old.product,
        scopes,
        created_by: by ? `api_key:${by.id}` : old.created_by,
        expires_at,
        rolled_from: old.id,
      },
      now,
    );
    const previous = { id: old.id, expires_at: rolledExpiry(old, now, input.overlap_seconds) };
    this.cache.evict(old.id);
    await this.store.rollKey(
      record,
      { id: old.id, was: old.expires_at, expires_at: previous.expires_at },
      keyEvent(actor, 'api_key.rolled', record, {
        key_id: record.id,
        rolled_from: old.id,
        previous_prefix: old.prefix,
        previous_expires_at: previous.expires_at,
        overlap_seconds: input.overlap_seconds,
      }),
    );
    // Again: a verify that raced the write may have cached the old key meanwhile.
    this.cache.evict(old.id);
    return { api_key: apiKeyView(record), plaintext, previous };
  }

  private lifetime(by: ApiKey | undefined) {
    return { maxLifetimeDays: this.options.maxLifetimeDays, mayNeverExpire: by === undefined };
  }

  /** A fresh id and secret, and the record that holds the secret's hash only. */
  private async mint(
    fields: Pick<ApiKey, 'tenant_id' | 'name' | 'scopes' | 'expires_at'> & {
      readonly product: string | undefined;
      readonly created_by: string | undefined;
      readonly rolled_from?: string;
    },
    now: Date,
  ): Promise<{ record: ApiKeyRecord; plaintext: string }> {
    const id = randomUUID();
    const plaintext = formatKey(this.options.prefix, id, randomBytes(KEY_SECRET_BYTES));
    const parsed = parseKey(plaintext);
    if (!parsed) throw new Error('a freshly minted key does not parse');
    const record: ApiKeyRecord = {
      id,
      tenant_id: fields.tenant_id,
      name: fields.name,
      ...(fields.product === undefined ? {} : { product: fields.product }),
      scopes: [...fields.scopes],
      prefix: displayPrefix(this.options.prefix, id),
      ...(fields.created_by === undefined ? {} : { created_by: fields.created_by }),
      ...(fields.rolled_from === undefined ? {} : { rolled_from: fields.rolled_from }),
      created_at: now.toISOString(),
      expires_at: fields.expires_at,
      revoked_at: null,
      last_used_at: null,
      secret_hash: await this.hasher.hash(parsed.secret),
    };
    return { record, plaintext };
  }

  private async liveTenant(id: string): Promise<Tenant> {
    const tenant = await this.tenants.getTenant(id);
    if (!tenant) throw new TenantNotFoundError();
    if (tenant.status === 'archived') throw new TenantArchivedError();
    return tenant;
  }
}

function verification(key: ApiKey): Verification {
  return {
    valid: true,
    tenant_id: key.tenant_id,
    ...(key.product === undefined ? {} : { product: key.product }),
    scopes: key.scopes,
  };
}

/** The audit event of a change to a key, on its tenant's chain. Never the secret or its hash. */
function keyEvent(
  actor: Actor,
  action: RegistryAction,
  key: ApiKey,
  extra: Record<string, unknown> = {},
): AuditInput {
  return registryEvent(actor, action, {
    tenant_id: key.tenant_id,
    target_id: key.id,
    target_type: 'api_key',
    target_name: key.name,
    ...(key.product === undefined ? {} : { product: key.product }),
    metadata: { prefix: key.prefix, scopes: key.scopes, expires_at: key.expires_at, ...extra },
  });
}
