import { randomUUID } from 'node:crypto';
import {
  AliasLimitError,
  AliasNotFoundError,
  PrimaryAliasError,
  SlugTakenError,
  ValidationError,
} from '../domain/errors';
import { type FirstResponse, type IdempotencyClaim, idempotencyRecord } from '../domain/idempotency';
import { describeSlugProblem, slugProblem } from '../domain/slug';
import {
  type AliasRecord,
  activeAliases,
  addAlias,
  MAX_ACTIVE_ALIASES,
  type NewTenant,
  newTenant,
  removeAlias,
  retire,
  type Tenant,
} from '../domain/tenant';
import { logger } from '../observability/logger';
import type { AliasRegistry } from '../ports/alias-registry';
import type { Clock } from '../ports/clock';
import type { TenantWriter } from '../ports/tenant-store';
import { type Actor, tenantEvent } from './actor';
import type { AliasResolver } from './alias-resolver';
import type { OrganizationProvisioning } from './organizations';
import { changeTenant, type Precondition } from './tenants';

/** What SSM must show after a change, or after a retry of one. */
interface AliasEffects {
  readonly publish: { slug: string; tenantId: string }[];
  readonly unpublish: string[];
  /** Whose aliases are withdrawn: another tenant's publication of the same slug is left alone. */
  readonly tenantId: string;
}

export interface CreateOptions {
  readonly idempotency?: IdempotencyClaim;
  /** The created response as the API will send it, stored with an idempotency key. */
  readonly respond: (tenant: Tenant, inviteUrl?: string) => FirstResponse;
  /** Set when Keycloak is configured: an `admin_email` then gets an organization and an invite. */
  readonly organizations?: OrganizationProvisioning;
}

/** A create's input: the tenant, and optionally the admin to invite through Keycloak. */
export type CreateTenantInput = NewTenant & { readonly admin_email?: string; readonly admin_name?: string };

/**
 * What every change of who holds a slug shares: creating a tenant (its primary slug), retiring
 * it (its aliases go into quarantine), adding and removing aliases (resolving one: AliasLookup).
 * The table commits first; the published alias map in SSM follows, and the reconciler repairs
 * whatever a failure in between leaves behind. One class per change, so each function bundles
 * only its own.
 */
export abstract class AliasChange {
  constructor(
    protected readonly store: TenantWriter,
    protected readonly registry: AliasRegistry,
    /** The slug caches of this container: a change evicts its slugs here at once. */
    protected readonly resolver: Pick<AliasResolver, 'forget'>,
    protected readonly clock: Clock,
    protected readonly quarantineDays: number,
  ) {}

  /**
   * Runs a change, then brings SSM in line with what the table says, whether the change
   * committed or was refused because an earlier attempt had already committed it. A client
   * that retries after a failure between commit and SSM thereby repairs the drift itself; the
   * reconciler catches whatever nobody retries.
   */
  protected async repairing<T>(id: string, work: (repair: AliasEffects) => Promise<T>): Promise<T> {
    const effects: AliasEffects = { publish: [], unpublish: [], tenantId: id };
    try {
      return await work(effects);
    } finally {
      for (const { slug, tenantId } of effects.publish) await this.publish(slug, tenantId);
      for (const slug of new Set(effects.unpublish)) await this.unpublish(slug, effects.tenantId);
    }
  }

  /** Other containers keep a changed slug until their cache entry expires (the alias cache TTL). */
  protected evict(slug: string): void {
    this.resolver.forget(slug);
  }

  protected quarantineEnd(): Date {
    return new Date(this.clock.now().getTime() + this.quarantineDays * 86_400_000);
  }

  /** After the commit: a failure here leaves drift that the reconciler repairs, never lost data. */
  protected async publish(slug: string, tenantId: string): Promise<void> {
    this.evict(slug);
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

  /**
   * Withdraws `slug` if SSM still names `tenantId` for it. Once a quarantine is over someone
   * else may hold the slug, and a late or repeated withdrawal must not unpublish them.
   */
  protected async unpublish(slug: string, tenantId: string): Promise<void> {
    this.evict(slug);
    try {
      if ((await this.registry.lookup(slug)) !== tenantId) return;
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

/** A new tenant with its primary slug, published. */
export class TenantCreation extends AliasChange {
  async createTenant(input: CreateTenantInput, actor: Actor, options: CreateOptions): Promise<FirstResponse> {
    assertSlug(input.slug);
    const now = this.clock.now();
    const tenant = newTenant(randomUUID(), input, now);
    const response = options.respond(tenant);
    await this.store.commit({
      tenant: { next: tenant, expectedVersion: 'new' },
      slugs: [{ kind: 'claim', slug: tenant.slug }],
      audit: tenantEvent(actor, 'tenant.created', tenant, {
        slug: tenant.slug,
        kind: tenant.kind,
        plan: tenant.plan,
      }),
      ...(options.idempotency ? { idempotency: idempotencyRecord(options.idempotency, response, now) } : {}),
    });
    await this.publish(tenant.slug, tenant.id);
    // After the commit and never undoing it: a failure is an audit event and no invite_url.
    if (input.admin_email === undefined || !options.organizations) return response;
    const admin = { email: input.admin_email, ...(input.admin_name ? { name: input.admin_name } : {}) };
    const { idempotency } = options;
    const inviteUrl = await options.organizations.provision(
      tenant,
      admin,
      actor,
      idempotency && { claim: idempotency, body: (url) => options.respond(tenant, url).body },
    );
    return inviteUrl === undefined ? response : options.respond(tenant, inviteUrl);
  }
}

export class TenantRetirement extends AliasChange {
  /**
   * Archived is terminal: the record and its history stay, its aliases go into quarantine.
   * Retiring an archived tenant again is a 409, after unpublishing its aliases once more in
   * case the first attempt died between its commit and SSM.
   */
  async retireTenant(id: string, actor: Actor, pre: Precondition): Promise<Tenant> {
    const until = this.quarantineEnd().toISOString();
    return this.repairing(id, async (repair) => {
      const retired = await changeTenant(this.store, this.clock, id, pre, (t, now) => {
        if (t.status === 'archived') repair.unpublish.push(...t.aliases.map((a) => a.slug));
        return {
          tenant: retire(t, new Date(until), now),
          slugs: activeAliases(t).map((a) => ({ kind: 'release', slug: a.slug, quarantine_until: until })),
          audit: tenantEvent(actor, 'tenant.retired', t, { from: t.status, quarantine_until: until }),
        };
      });
      repair.unpublish.push(...retired.aliases.map((a) => a.slug));
      return retired;
    });
  }
}

export class AliasAddition extends AliasChange {
  /** A slug this tenant already holds is a 409, after publishing it once more (a retry's repair). */
  async add(id: string, slug: string, actor: Actor, pre: Precondition = {}): Promise<AliasRecord> {
    assertSlug(slug);
    return this.repairing(id, async (repair) => {
      const tenant = await changeTenant(this.store, this.clock, id, pre, (t, now) => {
        if (activeAliases(t).some((a) => a.slug === slug)) {
          repair.publish.push({ slug, tenantId: t.id });
          throw new SlugTakenError(slug);
        }
        if (activeAliases(t).length >= MAX_ACTIVE_ALIASES) throw new AliasLimitError(MAX_ACTIVE_ALIASES);
        return {
          tenant: addAlias(t, slug, now),
          slugs: [{ kind: 'claim', slug }],
          audit: tenantEvent(actor, 'alias.added', t, { slug }),
        };
      });
      repair.publish.push({ slug, tenantId: tenant.id });
      return aliasOf(tenant, slug);
    });
  }
}

export class AliasRemoval extends AliasChange {
  /** An alias this tenant already removed is a 404, after unpublishing it once more. */
  async remove(id: string, slug: string, actor: Actor, pre: Precondition = {}): Promise<AliasRecord> {
    const until = this.quarantineEnd().toISOString();
    return this.repairing(id, async (repair) => {
      const tenant = await changeTenant(this.store, this.clock, id, pre, (t, now) => {
        const alias = t.aliases.find((a) => a.slug === slug);
        if (alias?.retired_at !== undefined) repair.unpublish.push(slug);
        if (!alias || alias.retired_at !== undefined) throw new AliasNotFoundError(slug);
        if (alias.primary) throw new PrimaryAliasError();
        return {
          tenant: removeAlias(t, slug, new Date(until), now),
          slugs: [{ kind: 'release', slug, quarantine_until: until }],
          audit: tenantEvent(actor, 'alias.removed', t, { slug, quarantine_until: until }),
        };
      });
      repair.unpublish.push(slug);
      return aliasOf(tenant, slug);
    });
  }
}

function assertSlug(slug: string): void {
  const problem = slugProblem(slug);
  if (problem) throw new ValidationError(describeSlugProblem(slug, problem));
}

function aliasOf(tenant: Tenant, slug: string): AliasRecord {
  const alias = tenant.aliases.find((a) => a.slug === slug);
  if (!alias) throw new Error(`alias ${slug} missing after its own change`);
  return alias;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}
