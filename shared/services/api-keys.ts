import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  type ApiKey,
  type ApiKeyRecord,
  apiKeyView,
  DEFAULT_SCOPES,
  displayPrefix,
  formatKey,
  KEY_SECRET_BYTES,
  keyUnusable,
  parseKey,
  type Scope,
} from '../domain/api-key';
import type { AuditInput } from '../domain/audit';
import { DomainError, NotFoundError, TenantNotFoundError, ValidationError } from '../domain/errors';
import type { KeyHasher } from '../domain/key-hash';
import { TtlCache } from '../domain/lru';
import type { Tenant, TenantStatus } from '../domain/tenant';
import { logger } from '../observability/logger';
import type { ApiKeyStore } from '../ports/api-key-store';
import type { Clock } from '../ports/clock';
import type { TenantStore } from '../ports/tenant-store';
import type { Actor } from './actor';
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

export interface NewApiKey {
  readonly tenant_id: string;
  readonly name: string;
  readonly product?: string;
  readonly scopes?: readonly Scope[];
  readonly created_by?: string;
  readonly expires_at?: string;
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

  constructor(
    clock: Clock,
    options: {
      readonly ttlMs: number;
      readonly maxEntries: number;
      readonly failureLimit: number;
      readonly failureWindowMs: number;
      readonly concurrency: number;
    },
  ) {
    const now = () => clock.now().getTime();
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
    await this.store.revokeKey(id, at, keyEvent(actor, 'api_key.revoked', key, { revoked_at: at }));
    // Again: a verify that raced the write may have cached the key meanwhile.
    this.cache.evict(id);
  }
}

/**
 * Tenant API keys: creation (the plaintext exists only in the answer) and verification on
 * the service plane's hot path.
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
export class ApiKeyService {
  private readonly valid: TtlCache<string, CachedKey>;
  private readonly invalid: TtlCache<string, true>;
  private readonly budget: Argon2Budget;
  private readonly gate: VerificationGate;
  /** When this container last wrote `last_used_at` per key. */
  private readonly touched: TtlCache<string, number>;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly tenants: Pick<TenantStore, 'getTenant'>,
    private readonly hasher: KeyHasher,
    private readonly clock: Clock,
    private readonly options: ApiKeyOptions,
    cache: KeyVerificationCache,
    touchedEntries = 10_000,
  ) {
    this.valid = cache.valid;
    this.invalid = cache.invalid;
    this.budget = cache.budget;
    this.gate = cache.gate;
    this.touched = new TtlCache(touchedEntries, TOUCH_INTERVAL_MS, () => clock.now().getTime());
  }

  async create(input: NewApiKey, actor: Actor): Promise<{ api_key: ApiKey; plaintext: string }> {
    const now = this.clock.now();
    if (input.expires_at !== undefined && Date.parse(input.expires_at) <= now.getTime()) {
      throw new ValidationError('body.expires_at must be in the future');
    }
    const tenant = await this.liveTenant(input.tenant_id);
    const id = randomUUID();
    const plaintext = formatKey(this.options.prefix, id, randomBytes(KEY_SECRET_BYTES));
    const parsed = parseKey(plaintext);
    if (!parsed) throw new Error('a freshly minted key does not parse');
    const record: ApiKeyRecord = {
      id,
      tenant_id: tenant.id,
      name: input.name,
      ...(input.product === undefined ? {} : { product: input.product }),
      scopes: input.scopes && input.scopes.length > 0 ? [...input.scopes] : [...DEFAULT_SCOPES],
      prefix: displayPrefix(this.options.prefix, id),
      ...(input.created_by === undefined ? {} : { created_by: input.created_by }),
      created_at: now.toISOString(),
      expires_at: input.expires_at === undefined ? null : new Date(input.expires_at).toISOString(),
      revoked_at: null,
      last_used_at: null,
      secret_hash: await this.hasher.hash(parsed.secret),
    };
    await this.store.createKey(record, keyEvent(actor, 'api_key.created', record));
    const { secret_hash: _hash, ...api_key } = record;
    return { api_key, plaintext };
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
    return this.gate.run(async () => {
      // Requests for the same key that waited here find the first one's answer.
      const settled = this.cached(parsed.id, digest);
      if (settled !== MISS) return settled;
      const result = await this.verifyUncached(parsed.id, parsed.secret, digest, this.clock.now());
      // A refusal by the budget lasts exactly as long as the window: never cached.
      if (result === THROTTLED) return undefined;
      if (!result) this.invalid.set(digest.toString('base64url'), true);
      return result;
    });
  }

  /** What the caches say of this exact key (digest), or MISS. */
  private cached(id: string, digest: Buffer): CachedKey | undefined | typeof MISS {
    const now = this.clock.now();
    const cached = this.valid.get(id)?.value;
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
    return this.invalid.get(digest.toString('base64url')) ? undefined : MISS;
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
    const proven = this.budget.isProven(id, digest);
    if (!proven) {
      const grant = this.budget.take(id);
      if (grant === 'refused-first') {
        // No key or tenant identifier: the caller is not the key's owner (the isolation rule for
        // log lines); the request id ties it to the request's auth.rejected line and source ip.
        logger.warn('wrong-secret budget of an API key id spent: its unverified keys fail without argon2', {
          event: 'api_key.verify_throttled',
          limit: this.budget.options.perWindow,
          window_seconds: this.budget.options.windowMs / 1000,
        });
      }
      if (grant !== 'run') return THROTTLED;
    }
    if (!(await this.hasher.verify(secret, record.secret_hash))) {
      // The stored hash no longer matches the proven key (it was replaced): exempt no more.
      if (proven) this.budget.forget(id);
      return undefined;
    }
    this.budget.succeeded(id, digest, !proven);
    const tenant = await this.tenants.getTenant(record.tenant_id);
    if (!tenant || tenant.status === 'archived') return undefined;

    const { secret_hash, ...key } = record;
    const entry: CachedKey = { digest, key, tenantStatus: tenant.status, checkedAt: now.getTime() };
    this.valid.set(id, entry);
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
    const last = this.touched.get(id)?.value;
    if (last !== undefined && now.getTime() - last < TOUCH_INTERVAL_MS) return;
    this.touched.set(id, now.getTime());
    const notAfter = new Date(now.getTime() - TOUCH_INTERVAL_MS).toISOString();
    this.background('api_key.touch_failed', id, () => this.store.touchKey(id, now.toISOString(), notAfter));
  }

  private background(event: string, id: string, work: () => Promise<void>): void {
    const task = work()
      .catch((error: unknown) => logger.error('background key write failed', { event, key_id: id, error }))
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /** Resolves when every background write started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
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
  action: string,
  key: ApiKey,
  extra: Record<string, unknown> = {},
): AuditInput {
  return {
    tenant_id: key.tenant_id,
    actor_id: actor.actor_id,
    actor_type: actor.actor_type,
    action,
    target_id: key.id,
    target_type: 'api_key',
    target_name: key.name,
    ...(key.product === undefined ? {} : { product: key.product }),
    metadata: {
      prefix: key.prefix,
      scopes: key.scopes,
      expires_at: key.expires_at,
      ...extra,
      ...(actor.request_id ? { request_id: actor.request_id } : {}),
    },
    ...(actor.source_ip ? { source_ip: actor.source_ip } : {}),
    ...(actor.user_agent ? { user_agent: actor.user_agent } : {}),
  };
}
