import {
  type AuditEvent,
  type AuditInput,
  type ChainBreak,
  GLOBAL_CHAIN,
  verifyChain,
} from '../domain/audit';
import { assertAppendable } from '../domain/audit-events';
import {
  csvRows,
  EXPORT_CONTENT_TYPES,
  type ExportFormat,
  type ExportHeader,
  type ExportView,
  exportFilename,
  isContiguous,
  ndjsonLines,
} from '../domain/audit-export';
import { type TenantAuditEvent, tenantAuditView } from '../domain/audit-projection';
import { TenantNotFoundError, ValidationError } from '../domain/errors';
import type { AuditFilters, AuditLog, AuditPage } from '../ports/audit-log';
import { type Clock, systemClock } from '../ports/clock';
import { type Actor, writerFields } from './actor';

/** Largest audit id: ids stay below 2^53 so JavaScript holds them exactly. */
const MAX_ID = Number.MAX_SAFE_INTEGER;

export interface AuditListQuery extends AuditFilters {
  /** Epoch milliseconds (a time rounded up to the millisecond): events at or after. */
  readonly since?: number;
  /** Epoch milliseconds (a time rounded up to the millisecond): events strictly before. */
  readonly until?: number;
  readonly limit: number;
  /** The `next_cursor` of the previous page: this page holds older events only. */
  readonly cursor?: number;
}

export interface AuditListPage<E = AuditEvent> {
  readonly items: readonly E[];
  readonly next_cursor?: number;
}

/** An export's selection: a listing's filters and time range, no page. */
export interface AuditExportQuery extends AuditFilters {
  readonly since?: number;
  readonly until?: number;
  readonly format: ExportFormat;
}

/** A file being written: its name and type, and its body as it is read from the store. */
export interface AuditExport {
  readonly filename: string;
  readonly contentType: string;
  readonly body: AsyncIterable<string>;
}

/** Events per store page an export reads: one page is all it holds at a time. */
export const EXPORT_PAGE = 500;

/** What an append may say: everything but what the server sets (where it came from, the request). */
export type AppendInput = Omit<AuditInput, 'origin' | 'key_id' | 'nonce' | 'source_ip' | 'user_agent'>;

/**
 * The audit log's use cases: append an event, list events by any combination of filters, and
 * verify a chain. Ids are milliseconds * 1000 + a sub-millisecond part and `created_at` is the
 * id's millisecond, so a time range is an id range and so is a cursor: every listing is a
 * sort-key range on the partition of its filter combination (docs/storage.md). The tenant
 * plane's variants answer with the tenant projection (audit-projection.ts).
 */
export class AuditService {
  constructor(
    private readonly log: AuditLog,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Appends onto the tenant's chain (which must exist) or, without a tenant, the global one.
   * The registry's own actions are refused from everyone, its actor types from tenants; where
   * the event came from (origin, the writing key) and the request's context come from `actor`.
   */
  async append(input: AppendInput, actor: Actor): Promise<AuditEvent> {
    assertAppendable(input, actor.origin);
    if (input.tenant_id !== undefined && !(await this.log.tenantExists(input.tenant_id))) {
      throw new TenantNotFoundError();
    }
    // The caller is the actor unless it records an action on someone else's behalf.
    const onBehalf = input.actor_id !== undefined;
    const actorType = input.actor_type ?? (onBehalf ? undefined : actor.actor_type);
    return this.log.append({
      ...input,
      actor_id: input.actor_id ?? actor.actor_id,
      ...(actorType === undefined ? {} : { actor_type: actorType }),
      ...writerFields(actor),
    });
  }

  /** The tenant plane's append: always on the caller's chain; answered as the tenant sees it. */
  async appendForTenant(
    tenantId: string,
    input: Omit<AppendInput, 'tenant_id'>,
    actor: Actor,
  ): Promise<TenantAuditEvent> {
    return tenantAuditView(await this.append({ ...input, tenant_id: tenantId }, actor));
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
    const page: AuditPage =
      minId <= maxId ? await this.log.page({ ...filters, minId, maxId, limit }) : { items: [], read: 0 };
    if (page.items.length === 0 && filters.tenant_id !== undefined) {
      // Only an empty page can hide an unknown tenant: events exist only for existing tenants.
      if (!(await this.log.tenantExists(filters.tenant_id))) throw new TenantNotFoundError();
    }
    return page.next === undefined ? { items: page.items } : { items: page.items, next_cursor: page.next };
  }

  /** The tenant plane's listing: the caller's chain only, each event as the tenant sees it. */
  async listForTenant(
    tenantId: string,
    query: Omit<AuditListQuery, 'tenant_id'>,
  ): Promise<AuditListPage<TenantAuditEvent>> {
    const page = await this.list({ ...query, tenant_id: tenantId });
    return { ...page, items: page.items.map(tenantAuditView) };
  }

  /**
   * Every event that matches, oldest first, as a file (audit-export.ts). What can fail is checked
   * here, before the first byte (a range the wrong way round, an unknown tenant); the body then
   * reads the store one page at a time, as the caller consumes it.
   */
  async export(query: AuditExportQuery): Promise<AuditExport> {
    const events = await this.exportEvents(query);
    return this.file(query, 'operator', events);
  }

  /** The tenant plane's export: the caller's chain only, each event as the tenant sees it. */
  async exportForTenant(tenantId: string, query: Omit<AuditExportQuery, 'tenant_id'>): Promise<AuditExport> {
    const events = await this.exportEvents({ ...query, tenant_id: tenantId });
    const pages = mapAsync(events, (page) => page.map(tenantAuditView));
    return this.file({ ...query, tenant_id: tenantId }, 'tenant', pages);
  }

  private async exportEvents(query: AuditExportQuery): Promise<AsyncIterable<readonly AuditEvent[]>> {
    const { since, until, format: _format, ...filters } = query;
    if (since !== undefined && until !== undefined && since > until) {
      throw new ValidationError('query.since must not be after query.until');
    }
    if (filters.tenant_id !== undefined && !(await this.log.tenantExists(filters.tenant_id))) {
      throw new TenantNotFoundError();
    }
    const minId = since === undefined ? 0 : since * 1000;
    const maxId = until === undefined ? MAX_ID : until * 1000 - 1;
    return this.walk(filters, minId, maxId);
  }

  /** Page after page, oldest first: one page in memory at a time. */
  private async *walk(
    filters: AuditFilters,
    minId: number,
    maxId: number,
  ): AsyncGenerator<readonly AuditEvent[]> {
    let from = minId;
    while (from <= maxId) {
      const page = await this.log.page({
        ...filters,
        minId: from,
        maxId,
        limit: EXPORT_PAGE,
        oldestFirst: true,
      });
      yield page.items;
      if (page.next === undefined) return;
      from = page.next + 1;
    }
  }

  private file(
    query: AuditExportQuery,
    view: ExportView,
    pages: AsyncIterable<readonly (AuditEvent | TenantAuditEvent)[]>,
  ): AuditExport {
    const now = this.clock.now();
    const { format, since, until, ...rest } = query;
    const filters: Record<string, string> = {};
    for (const [name, value] of Object.entries(rest)) if (value !== undefined) filters[name] = String(value);
    if (since !== undefined) filters.since = new Date(since).toISOString();
    if (until !== undefined) filters.until = new Date(until).toISOString();
    const header: ExportHeader = {
      version: 1,
      view,
      exported_at: now.toISOString(),
      filters,
      contiguous: isContiguous(filters),
      // Retention's checkpoints will set where an export starts; until then, every chain is whole.
      from_checkpoint: null,
    };
    return {
      filename: exportFilename(query.tenant_id, now, format),
      contentType: EXPORT_CONTENT_TYPES[format],
      body: format === 'csv' ? csvRows(view, pages) : ndjsonLines(header, pages),
    };
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

async function* mapAsync<T, U>(items: AsyncIterable<T>, f: (item: T) => U): AsyncGenerator<U> {
  for await (const item of items) yield f(item);
}
