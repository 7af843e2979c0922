import { type AuditEvent, type AuditInput, chainOf, GLOBAL_CHAIN, MAX_BATCH_EVENTS } from '../domain/audit';
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
import {
  type Anchor,
  ChainWalker,
  type Checkpoint,
  GENESIS,
  type LinkBreak,
} from '../domain/audit-retention';
import { DomainError, NotFoundError, TenantNotFoundError, ValidationError } from '../domain/errors';
import type { IdempotencyClaim } from '../domain/idempotency';
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

/**
 * The longest one verify call walks by default: API Gateway waits 29 s for an integration
 * (its default and, without a quota raise, its maximum), which leaves room for a cold start and
 * the last page.
 */
export const VERIFY_BUDGET_MS = 20_000;

/** Where a verification starts: the checkpoint (or the genesis without one), or after an event. */
export type VerifyFrom = 'checkpoint' | number;

export interface Verdict {
  readonly ok: boolean;
  /** Events checked by this call. */
  readonly checked: number;
  /** The call stopped at its budget: pass as `from` to go on. Absent when the head was reached. */
  readonly next?: number;
  /** The call started at the checkpoint: what it says. */
  readonly from_checkpoint?: Checkpoint;
  /** With `ok: false`: the first event that does not hold, and why. */
  readonly event_id?: number | null;
  readonly reason?: string;
}

/** A walk's verdict and where it got, for the scheduled verifier. */
export interface Walk {
  readonly verdict: Verdict;
  readonly position: Anchor;
  readonly expiring?: Checkpoint;
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

/**
 * Events per store page an export reads: one page is all it holds at a time. The Query's response
 * arrives as one string of about 1 KB an item; at 500 items it was a large object to V8, kept
 * until a full collection (figure X1: 2.1 MB of peak RSS growth over 100,000 events with 16 KiB
 * chunks, under load). Fewer items a page means more Queries (the same read units), each leaving
 * short-lived SDK objects V8 promotes: 25 items gave 35.3 MB, 100 gave 10.1 (docs/testing.md, X1),
 * before the SDK clients stopped copying each response for their no-op logger (aws-clients.ts).
 */
export const EXPORT_PAGE = 100;

/** What an append may say: everything but what the server sets (where it came from, the request). */
export type AppendInput = Omit<AuditInput, 'origin' | 'key_id' | 'nonce' | 'source_ip' | 'user_agent'>;

/**
 * Items one TransactWriteItems may hold (DynamoDB's limit). A batch spends one per event, one
 * per chain it touches (the chain's head) and one for its Idempotency-Key record, if any.
 */
export const TRANSACTION_ITEMS = 100;
/**
 * The events of a batch, as sent (JSON), may take at most this many bytes. With what the
 * registry adds to each (ids, hashes, index keys: well under 1 KB) a batch stays far below
 * DynamoDB's 4 MB per transaction, and its response fits the idempotency record (400 KB items).
 */
export const MAX_BATCH_BYTES = 256 * 1024;

/** A batch's stored events, answered 201 (and replayed for its Idempotency-Key). */
export interface AuditBatch<E = AuditEvent> {
  readonly events: readonly E[];
}

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
    /** Milliseconds from a monotonic source: what budgets are measured on. */
    private readonly elapsed: () => number = () => performance.now(),
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
    return this.log.append(stamped(input, actor));
  }

  /**
   * Appends `inputs` in one transaction, in order, each onto its chain (events of several
   * tenants are grouped by chain): all are stored or none. Each event is checked as a single
   * append is, and a refusal names its index (`events[5].action`); the batch must fit one
   * transaction (`TRANSACTION_ITEMS`) and `MAX_BATCH_BYTES`. With `idempotency`, the response
   * commits with the events, so a replay answers it again.
   */
  async appendBatch(
    inputs: readonly AppendInput[],
    actor: Actor,
    idempotency?: IdempotencyClaim,
  ): Promise<AuditBatch> {
    return this.batch(inputs, actor, (events) => ({ events }), idempotency);
  }

  /** The tenant plane's batch: every event on the caller's chain; answered as the tenant sees it. */
  async appendBatchForTenant(
    tenantId: string,
    inputs: readonly Omit<AppendInput, 'tenant_id'>[],
    actor: Actor,
    idempotency?: IdempotencyClaim,
  ): Promise<AuditBatch<TenantAuditEvent>> {
    return this.batch(
      inputs.map((input) => ({ ...input, tenant_id: tenantId })),
      actor,
      (events) => ({ events: events.map(tenantAuditView) }),
      idempotency,
    );
  }

  private async batch<B>(
    inputs: readonly AppendInput[],
    actor: Actor,
    view: (events: readonly AuditEvent[]) => B,
    idempotency: IdempotencyClaim | undefined,
  ): Promise<B> {
    if (inputs.length === 0 || inputs.length > MAX_BATCH_EVENTS) {
      throw new ValidationError(`events must hold 1 to ${MAX_BATCH_EVENTS} events`);
    }
    for (const [i, input] of inputs.entries()) {
      try {
        assertAppendable(input, actor.origin);
      } catch (error) {
        throw atIndex(error, i);
      }
    }
    const bytes = inputs.reduce((sum, input) => sum + Buffer.byteLength(JSON.stringify(input)), 0);
    if (bytes > MAX_BATCH_BYTES) {
      throw new ValidationError(
        `events take ${bytes} bytes as JSON; a batch may take at most ${MAX_BATCH_BYTES}`,
      );
    }
    const firstOfChain = new Map<string, number>();
    for (const [i, input] of inputs.entries())
      if (!firstOfChain.has(chainOf(input))) firstOfChain.set(chainOf(input), i);
    const items = inputs.length + firstOfChain.size + (idempotency ? 1 : 0);
    if (items > TRANSACTION_ITEMS) {
      throw new ValidationError(
        `events: ${inputs.length} events on ${firstOfChain.size} chain(s)${idempotency ? ' with an Idempotency-Key' : ''} ` +
          `need ${items} items in one transaction; DynamoDB allows ${TRANSACTION_ITEMS} (one per event, one per chain, one per Idempotency-Key)`,
      );
    }
    const tenants = [...firstOfChain].filter(([chain]) => chain !== GLOBAL_CHAIN);
    const exists = await Promise.all(tenants.map(([tenant]) => this.log.tenantExists(tenant)));
    const missing = tenants.find((_, k) => !exists[k]);
    if (missing) throw new NotFoundError(`events[${missing[1]}].tenant_id: tenant not found`);
    const events = await this.log.appendBatch(
      inputs.map((input) => stamped(input, actor)),
      idempotency
        ? { claim: idempotency, respond: (stored) => ({ status: 201, body: view(stored) }) }
        : undefined,
    );
    return view(events);
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
    return this.file(query, 'operator', events, await this.exportStart(query));
  }

  /** The tenant plane's export: the caller's chain only, each event as the tenant sees it. */
  async exportForTenant(tenantId: string, query: Omit<AuditExportQuery, 'tenant_id'>): Promise<AuditExport> {
    const events = await this.exportEvents({ ...query, tenant_id: tenantId });
    const pages = mapAsync(events, (page) => page.map(tenantAuditView));
    const selection = { ...query, tenant_id: tenantId };
    return this.file(selection, 'tenant', pages, await this.exportStart(selection));
  }

  /**
   * Where a one-chain export starts when its oldest events may have expired: the chain's
   * checkpoint (none: the genesis). An export of several chains names no checkpoint.
   */
  private async exportStart(query: AuditExportQuery): Promise<ExportHeader['from_checkpoint']> {
    if (query.tenant_id === undefined || query.since !== undefined) return null;
    return (await this.log.checkpoint(query.tenant_id)) ?? null;
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
    return this.exportPages(filters, minId, maxId);
  }

  /** Page after page, oldest first: one page in memory at a time. */
  private async *exportPages(
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
        streamed: true,
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
    start: ExportHeader['from_checkpoint'],
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
      from_checkpoint: start,
    };
    return {
      filename: exportFilename(query.tenant_id, now, format),
      contentType: EXPORT_CONTENT_TYPES[format],
      body: format === 'csv' ? csvRows(view, pages) : ndjsonLines(header, pages),
    };
  }

  /**
   * Verifies the tenant's chain (or the global one) from `from` for at most `budgetMs`: by
   * default from the checkpoint (or the genesis), else after the event `from`, which the call
   * checks again. A chain of any length verifies across calls, each going on from the last
   * one's `next`.
   */
  async verify(
    tenantId: string | undefined,
    options: { readonly from?: VerifyFrom; readonly budgetMs?: number } = {},
  ): Promise<Verdict> {
    const chain = tenantId ?? GLOBAL_CHAIN;
    const head = await this.log.head(chain);
    if (tenantId !== undefined && head === undefined) {
      if (!(await this.log.tenantExists(tenantId))) throw new TenantNotFoundError();
      // Every tenant's chain opens with its creation event: no head means a deleted chain.
      let first: number | null = null;
      for await (const page of this.log.events(chain, 0)) {
        first = page.keyIds[0] ?? null;
        break;
      }
      return { ok: false, checked: 0, event_id: first, reason: 'the chain has no head' };
    }
    return (await this.walk(chain, options.from ?? 'checkpoint', { budgetMs: options.budgetMs })).verdict;
  }

  /**
   * The walk behind `verify` and the scheduled verifier: every stored event from the start on, a
   * page at a time until the budget is spent (at least one page per call, so every call makes
   * progress), then the head must name the last event. The head is read at the end, and read
   * once more when it does not match: an append during the walk moves it past the last event read.
   */
  async walk(
    chain: string,
    from: VerifyFrom,
    options: { readonly budgetMs?: number | undefined; readonly expiresBelow?: number | undefined } = {},
  ): Promise<Walk> {
    const started = this.elapsed();
    const budget = options.budgetMs ?? VERIFY_BUDGET_MS;
    const checkpoint = await this.log.checkpoint(chain);
    // Events behind the checkpoint may be gone: a walk from there starts at the checkpoint.
    const fromCheckpoint = from === 'checkpoint' || (checkpoint !== undefined && from < checkpoint.id);
    const said = fromCheckpoint && checkpoint ? { from_checkpoint: checkpoint } : {};
    const fail = (b: LinkBreak, checked: number, position: Anchor): Walk => ({
      verdict: { ok: false, checked, event_id: b.event_id, reason: b.reason, ...said },
      position,
    });
    const done = (w: ChainWalker, next?: number): Walk => ({
      verdict: { ok: true, checked: w.checked, ...(next === undefined ? {} : { next }), ...said },
      position: w.position,
      ...(w.newestExpiring ? { expiring: w.newestExpiring } : {}),
    });

    // From the checkpoint, its own event (while still stored) must be the one it names.
    let walker = fromCheckpoint
      ? new ChainWalker(checkpoint ?? GENESIS, checkpoint, options.expiresBelow)
      : undefined;
    const startId = fromCheckpoint ? (checkpoint?.id ?? 0) : (from as number);
    // Appends during the walk move the head past the last event read: read on after it, a few times.
    for (let pass = 0, readFrom = startId; ; pass++) {
      for await (const page of this.log.events(chain, readFrom)) {
        for (const [i, event] of page.events.entries()) {
          const keyId = page.keyIds[i] as number;
          if (walker && keyId === walker.position.id && pass > 0) continue;
          if (keyId === startId && pass === 0) {
            const anchored = ChainWalker.at(event, keyId, checkpoint, options.expiresBelow);
            if (!(anchored instanceof ChainWalker))
              return fail(anchored, 0, { id: startId, hash: event.hash });
            walker ??= anchored;
            continue;
          }
          if (!walker) return this.missingStart(chain, startId);
          const broken = walker.check(event, keyId);
          if (broken) return fail(broken, walker.checked, walker.position);
        }
        if (!walker) return this.missingStart(chain, startId);
        if (page.more && this.elapsed() - started >= budget) return done(walker, walker.position.id);
      }
      if (!walker) return this.missingStart(chain, startId);
      const head = await this.log.head(chain);
      const end = walker.end(head && { id: head.last_id, hash: head.hash });
      if (!end) return done(walker);
      const movedOn = head !== undefined && head.last_id > walker.position.id;
      if (!movedOn || pass >= 2) return fail(end, walker.checked, walker.position);
      readFrom = walker.position.id;
    }
  }

  /** Where the proof of the tenant's chain (or the global one) starts, once its oldest events expire. */
  checkpoint(tenantId: string | undefined): Promise<Checkpoint | undefined> {
    return this.log.checkpoint(tenantId ?? GLOBAL_CHAIN);
  }

  /**
   * `from` names no stored event of the chain. An id claimed for this chain was an event of it,
   * so the event was deleted; any other id was never one of its events: the caller's mistake.
   */
  private async missingStart(chain: string, id: number): Promise<Walk> {
    if ((await this.log.idOwner(id)) !== chain)
      throw new ValidationError(`query.from: ${id} is not an event of this chain`);
    return {
      verdict: { ok: false, checked: 0, event_id: id, reason: 'the event to start from is missing' },
      position: { id, hash: '' },
    };
  }
}

/**
 * An appended event as stored: the caller is the actor unless it records an action on someone
 * else's behalf; where it came from (origin, the writing key) and the request come from `actor`.
 */
function stamped(input: AppendInput, actor: Actor): AuditInput {
  const onBehalf = input.actor_id !== undefined;
  const actorType = input.actor_type ?? (onBehalf ? undefined : actor.actor_type);
  return {
    ...input,
    actor_id: input.actor_id ?? actor.actor_id,
    ...(actorType === undefined ? {} : { actor_type: actorType }),
    ...writerFields(actor),
  };
}

/** A refusal of one event of a batch, naming it: `events[5].action: ...`. */
function atIndex(error: unknown, index: number): unknown {
  if (!(error instanceof DomainError)) return error;
  const named = new DomainError(error.code, `events[${index}].${error.message}`);
  return Object.assign(named, { fields: error.fields });
}

async function* mapAsync<T, U>(items: AsyncIterable<T>, f: (item: T) => U): AsyncGenerator<U> {
  for await (const item of items) yield f(item);
}
