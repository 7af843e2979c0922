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
import type { RegistryAction } from '../domain/audit-events';
import { DomainError, NotFoundError, TenantNotFoundError, ValidationError } from '../domain/errors';
import type { KeyHasher } from '../domain/key-hash';
import { TtlCache } from '../domain/lru';
import type { Tenant, TenantStatus } from '../domain/tenant';
import { logger } from '../observability/logger';
import type { ApiKeyStore } from '../ports/api-key-store';
import type { Clock } from '../ports/clock';
import type { TenantStore } from '../ports/tenant-store';
import { type Actor, registryEvent } from './actor';

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
 * The container's verification caches, shared by the services that verify and revoke keys (two
 * services so that listing and revoking never bundle argon2): valid answers by key id for
 * `ttlMs`, each answering only the presented key whose SHA-256 it holds, so revocation evicts
 * by id; invalid answers by that SHA-256 for at most 5 s. Both are bounded LRUs.
 */
export class KeyVerificationCache {
  readonly valid: TtlCache<string, CachedKey>;
  readonly invalid: TtlCache<string, true>;

  constructor(clock: Clock, options: { readonly ttlMs: number; readonly maxEntries: number }) {
    const now = () => clock.now().getTime();
    this.valid = new TtlCache(options.maxEntries, options.ttlMs, now);
    this.invalid = new TtlCache(options.maxEntries, Math.min(options.ttlMs, NEGATIVE_TTL_CAP_MS), now);
  }

  /** This container stops trusting the key at once. */
  evict(id: string): void {
    this.valid.delete(id);
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
 * one GetItem by the key's id and one argon2id verify, also when the id matches nothing (a
 * dummy hash of the same parameters), so timing does not tell unknown ids from wrong secrets.
 * Results are cached per container: valid ones by key id for the cache TTL (answering only the
 * presented key whose SHA-256 they hold; revocation here evicts at once), invalid ones by that
 * SHA-256 for at most 5 s, so a flood of one bad key costs one argon2 per 5 s. Both caches are
 * bounded LRUs.
 */
export class ApiKeyService {
  private readonly valid: TtlCache<string, CachedKey>;
  private readonly invalid: TtlCache<string, true>;
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
    const now = this.clock.now();

    const cached = this.valid.get(parsed.id)?.value;
    // A frozen tenant may be reactivated at any moment: its entries count for 5 s only.
    if (
      cached &&
      timingSafeEqual(cached.digest, digest) &&
      (cached.tenantStatus !== 'frozen' || now.getTime() - cached.checkedAt < NEGATIVE_TTL_CAP_MS)
    ) {
      if (keyUnusable(cached.key, now)) return undefined;
      this.touch(parsed.id, now);
      return cached;
    }
    const digestKey = digest.toString('base64url');
    if (this.invalid.get(digestKey)) return undefined;

    const result = await this.verifyUncached(parsed.id, parsed.secret, digest, now);
    if (!result) this.invalid.set(digestKey, true);
    return result;
  }

  private async verifyUncached(
    id: string,
    secret: string,
    digest: Buffer,
    now: Date,
  ): Promise<CachedKey | undefined> {
    const record = await this.store.getKey(id);
    if (!record) return this.hasher.verifyDummy(secret).then(() => undefined);
    if (!(await this.hasher.verify(secret, record.secret_hash))) return undefined;
    if (keyUnusable(record, now)) return undefined;
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
