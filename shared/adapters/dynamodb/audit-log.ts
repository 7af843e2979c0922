import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type AuditEvent, type AuditInput, type ChainHead, idClaimOf } from '../../domain/audit';
import type { Checkpoint } from '../../domain/audit-retention';
import { idempotencyRecord } from '../../domain/idempotency';
import { withinBudget } from '../../domain/page-budget';
import type {
  AuditLog,
  AuditPage,
  AuditPageQuery,
  BatchIdempotency,
  ChainPage,
  StoredChain,
} from '../../ports/audit-log';
import type { Clock } from '../../ports/clock';
import {
  AuditAppender,
  EVENT_PROJECTION,
  EVENT_PROJECTION_WITH_KEY,
  eventFromAttributes,
  type WriterOptions,
} from './audited-writer';
import { TableReader } from './items';
import { type AuditListKey, auditListPlan, keys } from './keys';
import { idempotencyWrite } from './tenant-store';

/**
 * Items a filtered listing (a combination without a partition of its own) may read per page
 * before it answers with what it found and a cursor: a page's cost stays bounded.
 */
export const RESIDUAL_READ_BUDGET = 1000;

/**
 * Events per page of a verification walk: the first page small (a call with a tiny budget still
 * answers soon), then doubling up to what DynamoDB returns in one response (1 MB).
 */
export const VERIFY_FIRST_PAGE = 100;

/** A page's events as one response may carry them; a streamed page goes out whole. */
function fitted(query: AuditPageQuery, events: AuditEvent[]): AuditEvent[] {
  return query.streamed === true ? events : withinBudget(events);
}

/** The audit log over the table (keys and access patterns: docs/storage.md). */
export class DynamoAuditLog implements AuditLog {
  private readonly reader: TableReader;
  private readonly writer: AuditAppender;
  private readonly readBudget: number;

  constructor(
    db: DynamoDBClient,
    tableName: string,
    clock: Clock,
    options: { readonly readBudget?: number; readonly writer?: WriterOptions } = {},
  ) {
    this.reader = new TableReader(db, tableName);
    this.writer = new AuditAppender(this.reader, clock, options.writer);
    this.readBudget = options.readBudget ?? RESIDUAL_READ_BUDGET;
  }

  /**
   * An event that changes no other state: its transaction is the event, its head and its id;
   * appends to a busy chain in this process commit together (AuditedWriter.append).
   */
  append(input: AuditInput): Promise<AuditEvent> {
    return this.writer.append(input);
  }

  /** One transaction: per chain its head and its events, and the idempotency record if any. */
  appendBatch(inputs: readonly AuditInput[], idempotency?: BatchIdempotency): Promise<AuditEvent[]> {
    return this.writer.commitBatch(inputs, (events, now) =>
      idempotency
        ? [idempotencyWrite(idempotencyRecord(idempotency.claim, idempotency.respond(events), now), now)]
        : [],
    );
  }

  /**
   * One Query on the combination's partition, an id range, `limit + 1` items at most. A
   * combination without a partition of its own adds a FilterExpression (`auditListPlan`).
   */
  async page(query: AuditPageQuery): Promise<AuditPage> {
    const { key, residual } = auditListPlan(query);
    const filters = Object.entries(residual);
    if (filters.length > 0) return this.filteredPage(query, key, filters);
    const page = await this.reader.queryItems({
      ...idRange(query, key),
      // One more than asked: tells whether another page exists without an empty last page.
      Limit: query.limit + 1,
    });
    // Short of `limit` with more to come: DynamoDB's 1 MB per Query, or the response budget.
    const events = page.items.map(eventFromAttributes);
    const items = fitted(query, events.slice(0, query.limit));
    const last = items.at(-1);
    return (events.length > items.length || page.last !== undefined) && last
      ? { items, next: last.id, read: page.read }
      : { items, read: page.read };
  }

  /**
   * DynamoDB's Limit counts items read before the filter, so this reads on, in growing steps,
   * until `limit + 1` match, the range ends, or the read budget is spent. Then the cursor is
   * the lowest id read: the next page resumes below everything this one has looked at, so
   * nothing is skipped or repeated, though a page may hold fewer than `limit` events (oldest
   * first, the highest id read, and the next page resumes above it).
   */
  private async filteredPage(
    query: AuditPageQuery,
    key: AuditListKey,
    filters: readonly [string, string][],
  ): Promise<AuditPage> {
    const range = idRange(query, key);
    const filter = {
      ExpressionAttributeNames: {
        ...range.ExpressionAttributeNames,
        ...Object.fromEntries(filters.map(([name], i) => [`#f${i}`, name])),
      },
      values: { ...range.values, ...Object.fromEntries(filters.map(([, value], i) => [`:f${i}`, value])) },
      FilterExpression: filters.map((_, i) => `#f${i} = :f${i}`).join(' AND '),
    };
    const budget = Math.max(this.readBudget, query.limit + 1);
    const matched: Record<string, AttributeValue>[] = [];
    let read = 0;
    let step = query.limit + 1;
    let start: Record<string, unknown> | undefined;
    for (;;) {
      const page = await this.reader.queryItems({
        ...range,
        ...filter,
        Limit: Math.min(step, budget - read),
        ...(start ? { start } : {}),
      });
      read += page.read;
      matched.push(...page.items);
      const events = fitted(query, matched.slice(0, query.limit).map(eventFromAttributes));
      // More matched than fit (over `limit` or over the budget): resume below the last one shown.
      if (events.length < matched.length)
        return { items: events, next: (events.at(-1) as AuditEvent).id, read };
      if (!page.last) return { items: events, read };
      if (read >= budget) return { items: events, next: key.id(String(page.last[key.skName])), read };
      start = page.last;
      step *= 2;
    }
  }

  /** Every event of a chain, oldest first, and its head (a walk: cost grows with the chain). */
  async chain(chain: string): Promise<StoredChain> {
    const head = await this.writer.readHead(chain);
    const events: AuditEvent[] = [];
    const keyIds: number[] = [];
    const { PK } = keys.auditHead(chain);
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.reader.queryItems({
        ...EVENT_PROJECTION_WITH_KEY,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :event)',
        values: { ':pk': PK, ':event': 'EVENT#' },
        ConsistentRead: true,
        ...(start ? { start } : {}),
      });
      for (const item of page.items) {
        keyIds.push(eventKeyId(item));
        events.push(eventFromAttributes(item));
      }
      start = page.last;
    } while (start);
    return { events, keyIds, head };
  }

  head(chain: string): Promise<ChainHead | undefined> {
    return this.writer.readHead(chain);
  }

  async checkpoint(chain: string): Promise<Checkpoint | undefined> {
    const item = await this.reader.get(keys.auditCheckpoint(chain));
    return item ? checkpointFromItem(item) : undefined;
  }

  async *events(chain: string, fromId: number): AsyncIterable<ChainPage> {
    const { PK } = keys.auditHead(chain);
    const toId = Number.MAX_SAFE_INTEGER;
    const read = (start: Record<string, unknown> | undefined, limit: number) =>
      this.reader.queryItems({
        ...EVENT_PROJECTION_WITH_KEY,
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :lo AND :hi',
        values: {
          ':pk': PK,
          ':lo': keys.auditEvent(chain, fromId).SK,
          ':hi': keys.auditEvent(chain, toId).SK,
        },
        ConsistentRead: true,
        Limit: limit,
        ...(start ? { start } : {}),
      });
    let limit = VERIFY_FIRST_PAGE;
    let pending = read(undefined, limit);
    for (;;) {
      const page = await pending;
      limit = Math.min(limit * 2, 10_000);
      // Read ahead: the next page is on its way while the caller hashes this one.
      if (page.last) pending = read(page.last, limit);
      yield {
        events: page.items.map(eventFromAttributes),
        keyIds: page.items.map(eventKeyId),
        more: page.last !== undefined,
      };
      if (!page.last) return;
    }
  }

  async idOwner(id: number): Promise<string | undefined> {
    const item = await this.reader.get(keys.auditId(idClaimOf(id)));
    return item ? String(item.chain) : undefined;
  }

  async tenantExists(id: string): Promise<boolean> {
    return (await this.reader.get(keys.tenant(id))) !== undefined;
  }
}

/** The id in an event item's sort key (`EVENT#` and the id): what the chain's order says. */
function eventKeyId(item: Record<string, AttributeValue>): number {
  return Number(String(item.SK?.S).slice('EVENT#'.length));
}

/**
 * The Query of an id range of a listing's place, newest first (oldest first when asked), for
 * the events' own attributes.
 */
function idRange(query: AuditPageQuery, key: AuditListKey) {
  return {
    ...(key.index ? { IndexName: key.index } : { ConsistentRead: true }),
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
    ProjectionExpression: EVENT_PROJECTION.ProjectionExpression,
    ExpressionAttributeNames: {
      ...EVENT_PROJECTION.ExpressionAttributeNames,
      '#pk': key.pkName,
      '#sk': key.skName,
    },
    values: { ':pk': key.pk, ':lo': key.sk(query.minId), ':hi': key.sk(query.maxId) },
    ScanIndexForward: query.oldestFirst === true,
  };
}

export function checkpointFromItem(item: Record<string, unknown>): Checkpoint {
  return { id: Number(item.id), hash: String(item.hash), at: String(item.at) };
}
