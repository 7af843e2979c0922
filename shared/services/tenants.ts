import { randomUUID } from 'node:crypto';
import type { AuditInput } from '../domain/audit';
import {
  AliasLimitError,
  AliasNotFoundError,
  IdempotencyMismatchError,
  PrimaryAliasError,
  SlugTakenError,
  StaleVersionError,
  TenantNotFoundError,
  ValidationError,
} from '../domain/errors';
import { type IdempotencyClaim, idempotencyRecord } from '../domain/idempotency';
import { describeSlugProblem, slugProblem } from '../domain/slug';
import {
  type Activation,
  type AliasRecord,
  activate,
  activeAliases,
  addAlias,
  applyPatch,
  type Cancellation,
  cancel,
  MAX_ACTIVE_ALIASES,
  type NewTenant,
  newTenant,
  removeAlias,
  retire,
  type Tenant,
  type TenantPatch,
  type TenantStatus,
} from '../domain/tenant';
import { logger } from '../observability/logger';
import type { AliasRegistry } from '../ports/alias-registry';
import type { Clock } from '../ports/clock';
import type { TenantPage, TenantStore, UnitOfWork } from '../ports/tenant-store';
import type { AliasResolver } from './alias-resolver';

/** Who asked, for the audit trail. */
export interface Actor {
  readonly actor_id: string;
  readonly actor_type: string;
  readonly source_ip?: string;
  readonly user_agent?: string;
  readonly request_id?: string;
}

export interface Precondition {
  /** The version the caller last saw (from If-Match); a change since is refused. */
  readonly expectedVersion?: number;
}

export interface CreateOptions {
  readonly idempotency?: IdempotencyClaim;
  /** The created response as the API will send it, stored with an idempotency key. */
  readonly respond: (tenant: Tenant) => { status: number; body: unknown };
}

/** Optimistic writes without If-Match re-read and re-apply this many times. */
const UNCONDITIONAL_ATTEMPTS = 5;

/**
 * Tenant lifecycle and aliases. Every change commits with its audit event in one transaction;
 * the published alias map follows after the commit and the reconciler repairs what a failure
 * in between leaves behind.
 */
export class TenantService {
  constructor(
    private readonly store: TenantStore,
    private readonly registry: AliasRegistry,
    private readonly resolver: AliasResolver,
    private readonly clock: Clock,
    private readonly quarantineDays: number,
  ) {}

  async create(
    input: NewTenant,
    actor: Actor,
    options: CreateOptions,
  ): Promise<{ status: number; body: unknown }> {
    assertSlug(input.slug);
    const now = this.clock.now();
    const tenant = newTenant(randomUUID(), input, now);
    const response = options.respond(tenant);
    await this.store.commit({
      tenant: { next: tenant, expectedVersion: 'new' },
      slugs: [{ kind: 'claim', slug: tenant.slug }],
      audit: event(actor, 'tenant.created', tenant, {
        slug: tenant.slug,
        kind: tenant.kind,
        plan: tenant.plan,
      }),
      ...(options.idempotency
        ? { idempotency: idempotencyRecord(options.idempotency, response.status, response.body, now) }
        : {}),
    });
    await this.publish(tenant.slug, tenant.id);
    return response;
  }

  /** The stored first response for a replayed Idempotency-Key, if any. */
  async replay(claim: IdempotencyClaim): Promise<{ status: number; body: unknown } | undefined> {
    const record = await this.store.getIdempotencyRecord(claim.scope, claim.key);
    if (!record) return undefined;
    if (record.fingerprint !== claim.fingerprint) throw new IdempotencyMismatchError();
    return { status: record.status, body: record.body };
  }

  async get(id: string): Promise<Tenant> {
    const tenant = await this.store.getTenant(id);
    if (!tenant) throw new TenantNotFoundError();
    return tenant;
  }

  /** Any active alias resolves; a retired or quarantined one does not. */
  async getBySlug(slug: string): Promise<Tenant> {
    const id = await this.resolver.resolve(slug);
    const tenant = id === undefined ? undefined : await this.store.getTenant(id);
    if (tenant && activeAliases(tenant).some((a) => a.slug === slug)) return tenant;
    // The cache or the published map may lag a change made elsewhere: the table decides.
    this.resolver.forget(slug);
    const claim = await this.store.getSlugClaim(slug);
    if (!claim || claim.retired_at !== undefined) throw new TenantNotFoundError();
    const owner = claim.tenant_id === tenant?.id ? tenant : await this.store.getTenant(claim.tenant_id);
    if (!owner) throw new TenantNotFoundError();
    return owner;
  }

  list(query: { status?: TenantStatus; limit: number; cursor?: string }): Promise<TenantPage> {
    return this.store.listTenants(query);
  }

  patch(id: string, patch: TenantPatch, actor: Actor, pre: Precondition): Promise<Tenant> {
    if (Object.keys(patch).length === 0)
      throw new ValidationError('the patch changes nothing: name at least one field');
    return this.change(id, pre, (t, now) => ({
      tenant: applyPatch(t, patch, now),
      audit: event(actor, 'tenant.updated', t, { fields: Object.keys(patch).sort() }),
    }));
  }

  activate(id: string, input: Activation, actor: Actor, pre: Precondition): Promise<Tenant> {
    return this.change(id, pre, (t, now) => ({
      tenant: activate(t, input, now),
      audit: event(actor, 'tenant.activated', t, { from: t.status, ...input }),
    }));
  }

  cancel(id: string, input: Cancellation, actor: Actor, pre: Precondition): Promise<Tenant> {
    return this.change(id, pre, (t, now) => ({
      tenant: cancel(t, input, now),
      audit: event(actor, 'tenant.cancelled', t, { from: t.status, ...input }),
    }));
  }

  /** Archived is terminal: the record and its history stay, its aliases go into quarantine. */
  async retire(id: string, actor: Actor, pre: Precondition): Promise<Tenant> {
    const until = this.quarantineEnd();
    const retired = await this.change(id, pre, (t, now) => ({
      tenant: retire(t, until, now),
      slugs: activeAliases(t).map((a) => ({
        kind: 'release',
        slug: a.slug,
        quarantine_until: until.toISOString(),
      })),
      audit: event(actor, 'tenant.retired', t, { from: t.status, quarantine_until: until.toISOString() }),
    }));
    for (const alias of retired.aliases) await this.unpublish(alias.slug);
    return retired;
  }

  async listAliases(id: string): Promise<readonly AliasRecord[]> {
    return (await this.get(id)).aliases;
  }

  async addAlias(id: string, slug: string, actor: Actor, pre: Precondition): Promise<AliasRecord> {
    assertSlug(slug);
    const tenant = await this.change(id, pre, (t, now) => {
      if (activeAliases(t).some((a) => a.slug === slug)) throw new SlugTakenError(slug);
      if (activeAliases(t).length >= MAX_ACTIVE_ALIASES) throw new AliasLimitError(MAX_ACTIVE_ALIASES);
      return {
        tenant: addAlias(t, slug, now),
        slugs: [{ kind: 'claim', slug }],
        audit: event(actor, 'alias.added', t, { slug }),
      };
    });
    await this.publish(slug, tenant.id);
    return tenant.aliases.find((a) => a.slug === slug) as AliasRecord;
  }

  async removeAlias(id: string, slug: string, actor: Actor, pre: Precondition): Promise<AliasRecord> {
    const until = this.quarantineEnd();
    const tenant = await this.change(id, pre, (t, now) => {
      const alias = activeAliases(t).find((a) => a.slug === slug);
      if (!alias) throw new AliasNotFoundError(slug);
      if (alias.primary) throw new PrimaryAliasError();
      return {
        tenant: removeAlias(t, slug, until, now),
        slugs: [{ kind: 'release', slug, quarantine_until: until.toISOString() }],
        audit: event(actor, 'alias.removed', t, { slug, quarantine_until: until.toISOString() }),
      };
    });
    await this.unpublish(slug);
    return tenant.aliases.find((a) => a.slug === slug) as AliasRecord;
  }

  /**
   * Read, decide, commit with the version read as the condition. With If-Match the caller's
   * version is the condition and a lost race is the caller's 412; without it, a lost race is
   * re-read and re-decided here, so no update is ever lost either way.
   */
  private async change(
    id: string,
    pre: Precondition,
    decide: (tenant: Tenant, now: Date) => Omit<UnitOfWork, 'tenant'> & { tenant: Tenant },
  ): Promise<Tenant> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id);
      if (pre.expectedVersion !== undefined && current.version !== pre.expectedVersion)
        throw new StaleVersionError();
      const { tenant, ...rest } = decide(current, this.clock.now());
      try {
        await this.store.commit({ ...rest, tenant: { next: tenant, expectedVersion: current.version } });
        return tenant;
      } catch (error) {
        const retry =
          error instanceof StaleVersionError &&
          pre.expectedVersion === undefined &&
          attempt < UNCONDITIONAL_ATTEMPTS;
        if (!retry) throw error;
      }
    }
  }

  private quarantineEnd(): Date {
    return new Date(this.clock.now().getTime() + this.quarantineDays * 86_400_000);
  }

  /** After the commit: a failure here leaves drift that the reconciler repairs, never lost data. */
  private async publish(slug: string, tenantId: string): Promise<void> {
    this.resolver.forget(slug);
    try {
      await this.registry.publish(slug, tenantId);
    } catch (error) {
      logger.warn('alias publish failed; the reconciler will repair it', {
        event: 'alias.publish_failed',
        slug,
        error: errorName(error),
      });
    }
  }

  private async unpublish(slug: string): Promise<void> {
    this.resolver.forget(slug);
    try {
      await this.registry.unpublish(slug);
    } catch (error) {
      logger.warn('alias unpublish failed; the reconciler will repair it', {
        event: 'alias.unpublish_failed',
        slug,
        error: errorName(error),
      });
    }
  }
}

function assertSlug(slug: string): void {
  const problem = slugProblem(slug);
  if (problem) throw new ValidationError(describeSlugProblem(slug, problem));
}

function event(actor: Actor, action: string, tenant: Tenant, metadata: Record<string, unknown>): AuditInput {
  return {
    tenant_id: tenant.id,
    actor_id: actor.actor_id,
    actor_type: actor.actor_type,
    action,
    target_id: tenant.id,
    target_type: 'tenant',
    target_name: tenant.name,
    metadata: { ...metadata, ...(actor.request_id ? { request_id: actor.request_id } : {}) },
    ...(actor.source_ip ? { source_ip: actor.source_ip } : {}),
    ...(actor.user_agent ? { user_agent: actor.user_agent } : {}),
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}
