import {
  type AuditEvent,
  type AuditInput,
  type ChainBreak,
  GLOBAL_CHAIN,
  verifyChain,
} from '../domain/audit';
import { TenantNotFoundError, ValidationError } from '../domain/errors';
import type { AuditFilters, AuditLog } from '../ports/audit-log';
import type { Actor } from './actor';

/** Largest audit id: ids stay below 2^53 so JavaScript holds them exactly. */
const MAX_ID = Number.MAX_SAFE_INTEGER;

export interface AuditListQuery extends AuditFilters {
  /** Epoch milliseconds (a time rounded up to the millisecond): events at or after. */
  readonly since?: number;
  /** Epoch milliseconds (a time rounded up to the millisecond): events strictly before. */
  readonly until?: number;
  readonly limit: number;
  /** The last id of the previous page: this page holds older events only. */
  readonly cursor?: number;
}

export interface AuditListPage {
  readonly items: readonly AuditEvent[];
  readonly next_cursor?: number;
}

/**
 * The audit log's use cases: append an event, list events by any combination of filters, and
 * verify a chain. Ids are milliseconds * 1000 + a sub-millisecond part and `created_at` is the
 * id's millisecond, so a time range is an id range and so is a cursor: every listing is one
 * sort-key range on the partition of its filter combination.
 */
export class AuditService {
  constructor(private readonly log: AuditLog) {}

  /** Appends onto the tenant's chain (which must exist) or, without a tenant, the global one. */
  async append(input: Omit<AuditInput, 'source_ip' | 'user_agent'>, actor: Actor): Promise<AuditEvent> {
    if (input.tenant_id !== undefined && !(await this.log.tenantExists(input.tenant_id))) {
      throw new TenantNotFoundError();
    }
    return this.log.append({
      ...input,
      // Who called, unless the caller records an action on someone else's behalf.
      ...(input.actor_id === undefined ? { actor_id: actor.actor_id, actor_type: actor.actor_type } : {}),
      ...(actor.source_ip ? { source_ip: actor.source_ip } : {}),
      ...(actor.user_agent ? { user_agent: actor.user_agent } : {}),
    });
  }

  async list(query: AuditListQuery): Promise<AuditListPage> {
    if (query.since !== undefined && query.until !== undefined && query.since > query.until) {
      throw new ValidationError('query.since must not be after query.until');
    }
    const { since, until, cursor, limit, ...filters } = query;
    // Events at millisecond t have ids t*1000 .. t*1000+999.
    const minId = since === undefined ? 0 : since * 1000;
    const maxId = Math.min(
      until === undefined ? MAX_ID : until * 1000 - 1,
      cursor === undefined ? MAX_ID : cursor - 1,
    );
    const page =
      minId <= maxId
        ? await this.log.page({ ...filters, minId, maxId, limit })
        : { items: [], more: false, read: 0 };
    if (page.items.length === 0 && filters.tenant_id !== undefined) {
      // Only an empty page can hide an unknown tenant: events exist only for existing tenants.
      if (!(await this.log.tenantExists(filters.tenant_id))) throw new TenantNotFoundError();
    }
    const last = page.items.at(-1);
    return page.more && last ? { items: page.items, next_cursor: last.id } : { items: page.items };
  }

  /** Walks the tenant's chain (or the global one) and reports the first link that does not hold. */
  async verify(tenantId: string | undefined): Promise<ChainBreak> {
    const stored = await this.log.chain(tenantId ?? GLOBAL_CHAIN);
    if (tenantId !== undefined && stored.head === undefined) {
      if (!(await this.log.tenantExists(tenantId))) throw new TenantNotFoundError();
      // Every tenant's chain opens with its creation event: no head means a deleted chain.
      const first = stored.keyIds[0] ?? null;
      return { ok: false, checked: 0, event_id: first, reason: 'the chain has no head' };
    }
    return verifyChain(stored.events, stored.head, stored.keyIds);
  }
}
