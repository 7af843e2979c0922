import {
  ConcurrentUpdateError,
  StaleVersionError,
  TenantNotFoundError,
  ValidationError,
} from '../domain/errors';
import {
  type Activation,
  type AliasRecord,
  activate,
  applyPatch,
  type Cancellation,
  cancel,
  type Tenant,
  type TenantPatch,
  type TenantStatus,
} from '../domain/tenant';
import type { Clock } from '../ports/clock';
import type { TenantPage, TenantStore, TenantWriter, UnitOfWork } from '../ports/tenant-store';
import { type Actor, tenantEvent } from './actor';

export interface Precondition {
  /** The version the caller last saw (from If-Match); a change since is refused. */
  readonly expectedVersion?: number;
}

/** What a change decides from the tenant as read: its next state and what commits with it. */
export type Decision = Omit<UnitOfWork, 'tenant'> & { readonly tenant: Tenant };

/**
 * Writes without If-Match re-read and re-apply after losing a race, with jittered backoff,
 * this many times before answering 409: a busy tenant is slow to change, never wrongly refused.
 */
const UNCONDITIONAL_ATTEMPTS = 30;
/** Full-jitter exponential backoff, capped: contenders spread out instead of colliding again. */
const backoffMs = (attempt: number) => Math.random() * Math.min(400, 5 * 2 ** attempt);

/**
 * Tenants: reads, capabilities and the lifecycle. Every change commits with its audit event in
 * one transaction. Changes of slug ownership (create, retire, aliases) are AliasChange's (shared/services/aliases.ts),
 * because they also publish the alias map; keeping them apart keeps the SSM client out of
 * every function that does not need it.
 */
export class TenantService {
  constructor(
    private readonly store: TenantStore,
    private readonly clock: Clock,
  ) {}

  async get(id: string): Promise<Tenant> {
    const tenant = await this.store.getTenant(id);
    if (!tenant) throw new TenantNotFoundError();
    return tenant;
  }

  list(query: { status?: TenantStatus; limit: number; cursor?: string }): Promise<TenantPage> {
    return this.store.listTenants(query);
  }

  async listAliases(id: string): Promise<readonly AliasRecord[]> {
    return (await this.get(id)).aliases;
  }

  patch(id: string, patch: TenantPatch, actor: Actor, pre: Precondition): Promise<Tenant> {
    if (Object.keys(patch).length === 0)
      throw new ValidationError('the patch changes nothing: name at least one field');
    return this.change(id, pre, (t, now) => ({
      tenant: applyPatch(t, patch, now),
      audit: tenantEvent(actor, 'tenant.updated', t, {
        fields: Object.keys(patch).sort(),
        // A retention change is on the record with what it was: it decides what the log keeps.
        ...(patch.audit_retention_days === undefined
          ? {}
          : {
              audit_retention_days: {
                from: t.audit_retention_days ?? null,
                to: patch.audit_retention_days,
              },
            }),
      }),
    }));
  }

  activate(id: string, input: Activation, actor: Actor, pre: Precondition): Promise<Tenant> {
    return this.change(id, pre, (t, now) => ({
      tenant: activate(t, input, now),
      audit: tenantEvent(actor, 'tenant.activated', t, { from: t.status, ...input }),
    }));
  }

  cancel(id: string, input: Cancellation, actor: Actor, pre: Precondition): Promise<Tenant> {
    return this.change(id, pre, (t, now) => ({
      tenant: cancel(t, input, now),
      audit: tenantEvent(actor, 'tenant.cancelled', t, { from: t.status, ...input }),
    }));
  }

  /** Read, decide, commit: see `changeTenant`. */
  change(id: string, pre: Precondition, decide: (tenant: Tenant, now: Date) => Decision): Promise<Tenant> {
    return changeTenant(this.store, this.clock, id, pre, decide);
  }
}

/**
 * Read, decide, commit with the version read as the condition. With If-Match the caller's
 * version is the condition and a lost race is the caller's 412; without it, a lost race is
 * re-read and re-decided here, so no update is ever lost either way. A function, not only a
 * method: the alias writers use it without bundling the rest of TenantService.
 */
export async function changeTenant(
  store: Pick<TenantWriter, 'getTenant' | 'commit'>,
  clock: Clock,
  id: string,
  pre: Precondition,
  decide: (tenant: Tenant, now: Date) => Decision,
): Promise<Tenant> {
  const since = performance.now();
  for (let attempt = 1; ; attempt++) {
    const current = await store.getTenant(id);
    if (!current) throw new TenantNotFoundError();
    if (pre.expectedVersion !== undefined && current.version !== pre.expectedVersion)
      throw new StaleVersionError();
    const { tenant, ...rest } = decide(current, clock.now());
    try {
      await store.commit({ ...rest, tenant: { next: tenant, expectedVersion: current.version }, since });
      return tenant;
    } catch (error) {
      // With If-Match the caller decides what a lost race means (412); without, we retry.
      const lostRace = error instanceof StaleVersionError || error instanceof ConcurrentUpdateError;
      if (!lostRace || pre.expectedVersion !== undefined) throw error;
      if (attempt >= UNCONDITIONAL_ATTEMPTS) throw new ConcurrentUpdateError();
      await sleep(backoffMs(attempt));
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
