import {
  type AuditEvent,
  type AuditInput,
  type ChainBreak,
  chainOf,
  GLOBAL_CHAIN,
  MAX_BATCH_EVENTS,
  verifyChain,
} from '../domain/audit';
import { assertAppendable } from '../domain/audit-events';
import { type TenantAuditEvent, tenantAuditView } from '../domain/audit-projection';
import { DomainError, NotFoundError, TenantNotFoundError, ValidationError } from '../domain/errors';
import type { IdempotencyClaim } from '../domain/idempotency';
import type { AuditFilters, AuditLog, AuditPage } from '../ports/audit-log';
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
  constructor(private readonly log: AuditLog) {}

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
