import { randomInt, randomUUID } from 'node:crypto';
import {
  type CancellationReason,
  DeleteItemCommand,
  PutItemCommand,
  type TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type AuditEvent,
  type AuditInput,
  batchBlock,
  batchBlockStart,
  type ChainHead,
  chainOf,
  MAX_BATCH_EVENTS,
  sealBatch,
  sealEvent,
} from '../../domain/audit';
import { sealable } from '../../domain/audit-projection';
import { ChainBusyError } from '../../domain/errors';
import type { Clock } from '../../ports/clock';
import { fromItem, type PlainWrite, type TableReader, toItem, toTransactItem } from './items';
import { auditIndexAttributes, type Key, keys } from './keys';

/**
 * A write inside an audited transaction, and what it means when its condition fails: a domain
 * error for the caller (`conflict`, given the item the condition failed on when the write asks
 * for it with `ReturnValuesOnConditionCheckFailure`), or nothing, meaning a race a fresh attempt
 * can win. When several conditions fail, the lowest `rank` speaks.
 */
export interface GuardedWrite {
  readonly write: PlainWrite;
  readonly conflict?: (current: Record<string, unknown> | undefined) => Error;
  readonly rank?: number;
}

/** How an audited write retries a lost race. */
export interface WriterOptions {
  /**
   * Milliseconds a write may keep retrying a lost race for its chain's head before it gives up
   * with ChainBusyError (503, `Retry-After`); `TENANT_REGISTRY_WRITE_BUDGET_MS`.
   * @default 5000
   */
  readonly budgetMs?: number;
}

export const DEFAULT_WRITE_BUDGET_MS = 5000;
/** Backoff before attempt n + 1: uniformly random below min(CAP, BASE * 2^n) ms ("full jitter"). */
const BACKOFF_BASE_MS = 10;
const BACKOFF_CAP_MS = 1000;
/**
 * Pending appends a seal takes at once: each is its event, the deletion of its pending item and
 * a receipt for its writer, and the chain's head is one more: 100 items, DynamoDB's limit.
 */
const SEAL_MAX = 33;
/** Milliseconds over which concurrent block claims spread (a block's ids may lie this far ahead). */
const BLOCK_SPREAD = 8;
/** A pending append older than this is its writer's no more (it gave up or died): never sealed. */
const PENDING_STALE_MS = 60_000;
/** Receipts (and pending items whose writer died) expire through the table's TTL after a day. */
const PENDING_TTL_SECONDS = 24 * 3600;

/**
 * The one way the store changes state: the writes of a change and its audit event, sealed onto
 * the event's hash chain (with a nonce where a tenant sees it only in part: `sealable`), in a
 * single TransactWriteItems. The chain head is a conditional write, so two writers of one chain
 * cannot fork it; the loser re-reads the head and tries again after a jittered exponential
 * backoff, as does a transaction that lost a TransactionConflict, until the write budget is
 * spent: only then is the race the caller's, as a 503 with `Retry-After` (never a 409, and
 * nothing committed).
 */
export class AuditedWriter {
  private readonly budgetMs: number;

  constructor(
    private readonly reader: TableReader,
    private readonly clock: Clock,
    options: WriterOptions = {},
  ) {
    this.budgetMs = options.budgetMs ?? DEFAULT_WRITE_BUDGET_MS;
  }

  /**
   * `build` is called once per attempt with the attempt's time, so conditions that compare
   * against "now" stay true to the attempt. `freshChain`: the event opens a new chain (a new
   * tenant), so there is no head to read.
   */
  async commit(
    audit: AuditInput,
    build: (now: Date) => readonly GuardedWrite[],
    options: { readonly freshChain?: boolean } = {},
  ): Promise<AuditEvent> {
    const chain = chainOf(audit);
    const input = sealable(audit);
    const backoff = this.backoff();
    for (let attempt = 1; ; attempt++) {
      const head = options.freshChain ? undefined : await this.readHead(chain);
      const now = this.clock.now();
      const event = sealEvent(input, head, now);
      const guarded = [...build(now), ...this.eventWrites(chain, head, event)];
      try {
        await this.reader.db.send(
          new TransactWriteItemsCommand({
            TransactItems: guarded.map((g) => toTransactItem(g.write, this.reader.tableName)),
          }),
        );
        return event;
      } catch (error) {
        this.settle(error, guarded);
        await backoff.wait(attempt);
      }
    }
  }

  /**
   * An event that changes no other state (a product's append). Uncontended, it is `commit`: one
   * transaction. When that loses the race for its chain's head, the chain is busy, so rather
   * than retry alone the event waits in a pending item on the chain, and every writer of the
   * chain seals as many pending events as one transaction holds (`SEAL_MAX`, oldest first,
   * its own or not) onto the head with consecutive ids of a batch block, marking each pending
   * item with the id it got. A writer returns as soon as its pending item says it was sealed,
   * by itself or another; a busy chain commits many events per transaction instead of one.
   * Past the budget, the writer withdraws its pending item (a conditional delete: if a seal got
   * there first, the event was stored and is returned) and answers ChainBusyError.
   */
  async append(audit: AuditInput): Promise<AuditEvent> {
    const chain = chainOf(audit);
    const input = sealable(audit);
    const backoff = this.backoff();
    {
      const head = await this.readHead(chain);
      const event = sealEvent(input, head, this.clock.now());
      const guarded = this.eventWrites(chain, head, event);
      try {
        await this.transact(guarded);
        return event;
      } catch (error) {
        this.settle(error, guarded);
      }
    }
    const enqueued = this.clock.now();
    const id = randomUUID();
    const ticket: Ticket = {
      pending: keys.auditPending(chain, enqueued.getTime(), id),
      receipt: keys.auditReceipt(chain, enqueued.getTime(), id),
    };
    await this.reader.db.send(
      new PutItemCommand({
        TableName: this.reader.tableName,
        Item: toItem({
          ...ticket.pending,
          entity: 'audit_pending',
          chain,
          input: JSON.stringify(input),
          expires_at: Math.floor(enqueued.getTime() / 1000) + PENDING_TTL_SECONDS,
        }),
      }),
    );
    const blocks = new Map<string, number>();
    // Waiters spread out before each look, so that one seal takes what is pending while the
    // others find their receipts, instead of all sending large transactions that lose.
    for (let attempt = 1; ; attempt++) {
      try {
        await backoff.wait(attempt);
      } catch (busy) {
        if (await this.withdraw(ticket)) throw busy;
        const late = await this.sealedEvent(chain, ticket);
        if (late) return late;
        throw busy;
      }
      const sealed = await this.sealedEvent(chain, ticket);
      if (sealed) return sealed;
      const mine = await this.seal(chain, ticket, blocks);
      if (mine) return mine;
    }
  }

  /** The event a pending append was sealed as, once it was. */
  private async sealedEvent(chain: string, ticket: Ticket): Promise<AuditEvent | undefined> {
    const receipt = await this.reader.get(ticket.receipt);
    if (typeof receipt?.sealed_id !== 'number') return undefined;
    const item = await this.reader.get(keys.auditEvent(chain, receipt.sealed_id));
    return item ? eventFromItem(item) : undefined;
  }

  /**
   * One try at sealing the chain's pending appends (oldest first, none older than
   * `PENDING_STALE_MS`) onto its head; returns the event of `mine` when this seal stored it. A
   * lost race returns undefined (the caller looks for a receipt and tries again).
   */
  private async seal(
    chain: string,
    mine: Ticket,
    blocks: Map<string, number>,
  ): Promise<AuditEvent | undefined> {
    const now = this.clock.now();
    const [head, page] = await Promise.all([
      this.readHead(chain),
      this.reader.query({
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
        values: {
          ':pk': mine.pending.PK,
          ':from': keys.auditPendingFrom(now.getTime() - PENDING_STALE_MS),
          ':to': 'PENDING#~',
        },
        ConsistentRead: true,
        Limit: SEAL_MAX,
      }),
    ]);
    const pending = page.items;
    if (pending.length === 0) return undefined;
    const ms = await this.claimBlock(chain, head, now, blocks);
    const events = sealBatch(
      pending.map((p) => JSON.parse(String(p.input)) as AuditInput),
      head,
      ms,
    );
    const expires = Math.floor(now.getTime() / 1000) + PENDING_TTL_SECONDS;
    const guarded: GuardedWrite[] = [
      headWrite(chain, head, events.at(-1) as AuditEvent),
      ...events.flatMap((event, i): GuardedWrite[] => {
        const sk = String(pending[i]?.SK);
        return [
          {
            write: {
              Put: { Item: eventItem(chain, event), ConditionExpression: 'attribute_not_exists(PK)' },
            },
          },
          // Still waiting: not withdrawn by its writer, not sealed by another.
          {
            write: {
              Delete: { Key: { PK: mine.pending.PK, SK: sk }, ConditionExpression: 'attribute_exists(PK)' },
            },
          },
          {
            write: {
              Put: {
                Item: {
                  PK: mine.pending.PK,
                  SK: sk.replace(/^PENDING#/, 'SEALED#'),
                  entity: 'audit_receipt',
                  sealed_id: event.id,
                  expires_at: expires,
                },
              },
            },
          },
        ];
      }),
    ];
    try {
      await this.transact(guarded);
    } catch (error) {
      this.settle(error, guarded);
      return undefined;
    }
    return events[pending.findIndex((p) => p.SK === mine.pending.SK)];
  }

  /** Takes a pending append back unless a seal took it first; true when withdrawn. */
  private async withdraw(ticket: Ticket): Promise<boolean> {
    try {
      await this.reader.db.send(
        new DeleteItemCommand({
          TableName: this.reader.tableName,
          Key: toItem({ ...ticket.pending }),
          ConditionExpression: 'attribute_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  private async transact(guarded: readonly GuardedWrite[]): Promise<void> {
    await this.reader.db.send(
      new TransactWriteItemsCommand({
        TransactItems: guarded.map((g) => toTransactItem(g.write, this.reader.tableName)),
      }),
    );
  }

  /**
   * Events appended in one transaction, in order, each onto its own chain (grouped by chain;
   * the whole list is all or nothing). Per chain: its head and its events (so at most 99 on one
   * chain: DynamoDB's 100 items per transaction), plus `extra` writes (an idempotency record).
   * A chain's events take consecutive ids of one millisecond's batch block (`batchBlock`),
   * claimed before the transaction with one conditional put: the ids are unique log-wide
   * without an id claim per event. A block whose transaction then loses is kept for the next
   * attempt while it stays above the head, and otherwise simply unused (ids are not dense).
   */
  async commitBatch(
    inputs: readonly AuditInput[],
    extra: (events: readonly AuditEvent[], now: Date) => readonly GuardedWrite[] = () => [],
  ): Promise<AuditEvent[]> {
    const groups = new Map<string, number[]>();
    for (const [i, input] of inputs.entries()) {
      const chain = chainOf(input);
      groups.set(chain, [...(groups.get(chain) ?? []), i]);
    }
    const sealed = inputs.map((input) => sealable(input));
    const blocks = new Map<string, number>();
    const backoff = this.backoff();
    for (let attempt = 1; ; attempt++) {
      const chains = [...groups.keys()];
      const heads = await Promise.all(chains.map((chain) => this.readHead(chain)));
      const now = this.clock.now();
      const events: AuditEvent[] = [];
      const writes: GuardedWrite[] = [];
      for (const [c, chain] of chains.entries()) {
        const head = heads[c];
        const ms = await this.claimBlock(chain, head, now, blocks);
        const order = groups.get(chain) ?? [];
        const chainEvents = sealBatch(
          order.map((i) => sealed[i] as AuditInput),
          head,
          ms,
        );
        for (const [j, i] of order.entries()) events[i] = chainEvents[j] as AuditEvent;
        const last = chainEvents.at(-1) as AuditEvent;
        writes.push(
          headWrite(chain, head, last),
          ...chainEvents.map((event) => ({
            write: {
              Put: { Item: eventItem(chain, event), ConditionExpression: 'attribute_not_exists(PK)' },
            },
          })),
        );
      }
      const guarded = [...extra(events, now), ...writes];
      try {
        await this.reader.db.send(
          new TransactWriteItemsCommand({
            TransactItems: guarded.map((g) => toTransactItem(g.write, this.reader.tableName)),
          }),
        );
        return events;
      } catch (error) {
        this.settle(error, guarded);
        await backoff.wait(attempt);
      }
    }
  }

  /**
   * A batch block for `chain` above its head: the one it claimed on an earlier attempt while it
   * still fits, else the first free one from `batchBlock` on (each a conditional put of the
   * block's id claim; a block claimed by any chain is skipped).
   */
  private async claimBlock(
    chain: string,
    head: ChainHead | undefined,
    now: Date,
    blocks: Map<string, number>,
  ): Promise<number> {
    const previous = blocks.get(chain);
    if (previous !== undefined && batchBlockStart(previous) > (head?.last_id ?? 0)) return previous;
    // Writers of a busy log start a few milliseconds apart and skip ahead by a random stride,
    // so that many claiming at once do not probe the same blocks one by one.
    for (let ms = batchBlock(now, head) + randomInt(BLOCK_SPREAD); ; ms += 1 + randomInt(BLOCK_SPREAD)) {
      try {
        await this.reader.db.send(
          new PutItemCommand({
            TableName: this.reader.tableName,
            Item: toItem({
              ...keys.auditId(batchBlockStart(ms)),
              entity: 'audit_id',
              chain,
              block: MAX_BATCH_EVENTS,
            }),
            ConditionExpression: 'attribute_not_exists(PK)',
          }),
        );
        blocks.set(chain, ms);
        return ms;
      } catch (error) {
        if (!(error instanceof Error) || error.name !== 'ConditionalCheckFailedException') throw error;
      }
    }
  }

  /**
   * Why a transaction failed: a domain error for the caller (thrown), or a race a fresh attempt
   * can win (returns). The lowest `rank` among the failed writes that speak decides.
   */
  private settle(error: unknown, guarded: readonly GuardedWrite[]): void {
    const reasons = cancellationReasons(error);
    if (!reasons) throw error;
    const failed = guarded.filter((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed');
    const speaking = failed.filter((g) => g.conflict).sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))[0];
    if (speaking?.conflict) {
      const item = reasons[guarded.indexOf(speaking)]?.Item;
      throw speaking.conflict(item && fromItem(item));
    }
    const retryable = failed.length > 0 || reasons.some((r) => r.Code === 'TransactionConflict');
    if (!retryable) throw error;
  }

  /**
   * Full jitter, exponential: writers of one busy chain spread out instead of colliding again.
   * Within the budget (wall time, whatever the clock port says) it waits; past it, ChainBusyError.
   */
  private backoff(): { wait(attempt: number): Promise<void> } {
    const started = performance.now();
    const budget = this.budgetMs;
    return {
      wait: async (attempt: number) => {
        const left = budget - (performance.now() - started);
        if (left <= 0) throw new ChainBusyError(budget);
        const delay = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
        await sleep(Math.min(delay, left));
      },
    };
  }

  async readHead(chain: string): Promise<ChainHead | undefined> {
    const item = await this.reader.get(keys.auditHead(chain));
    return item ? { last_id: Number(item.last_id), hash: String(item.hash) } : undefined;
  }

  /**
   * The event (with its list index attributes), its chain head and its id claim; a moved head or
   * an id taken by any chain is a retryable race.
   */
  private eventWrites(chain: string, head: ChainHead | undefined, event: AuditEvent): GuardedWrite[] {
    return [
      headWrite(chain, head, event),
      {
        write: {
          Put: { Item: eventItem(chain, event), ConditionExpression: 'attribute_not_exists(PK)' },
        },
      },
      // Ids are unique per chain by the head; this makes them unique log-wide, so an id is a
      // cursor that can neither skip nor repeat an event of another chain.
      {
        write: {
          Put: {
            Item: { ...keys.auditId(event.id), entity: 'audit_id', chain },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
      },
    ];
  }
}

/** A pending append's item, and where a seal leaves its receipt. */
interface Ticket {
  readonly pending: Key;
  readonly receipt: Key;
}

/** The chain's head moved from `head` (read before) to `last`: a moved head is a retryable race. */
function headWrite(chain: string, head: ChainHead | undefined, last: AuditEvent): GuardedWrite {
  return {
    write: {
      Put: {
        Item: { ...keys.auditHead(chain), entity: 'audit_head', last_id: last.id, hash: last.hash },
        ...(head
          ? {
              ConditionExpression: '#hash = :prev',
              ExpressionAttributeNames: { '#hash': 'hash' },
              ExpressionAttributeValues: { ':prev': head.hash },
            }
          : { ConditionExpression: 'attribute_not_exists(PK)' }),
      },
    },
  };
}

/** The stored event: its chain's key, a partition in each list index it belongs to, the event. */
export function eventItem(chain: string, event: AuditEvent): Record<string, unknown> {
  return {
    ...keys.auditEvent(chain, event.id),
    entity: 'audit_event',
    chain,
    ...auditIndexAttributes(event),
    ...eventToItem(event),
  };
}

/**
 * Metadata is free-form JSON: kept as JSON text, so whatever was hashed is what comes back,
 * whatever DynamoDB's limits on numbers, nesting and attribute names.
 */
export function eventToItem(event: AuditEvent): Record<string, unknown> {
  return event.metadata === undefined ? { ...event } : { ...event, metadata: JSON.stringify(event.metadata) };
}

export function eventFromItem(item: Record<string, unknown>): AuditEvent {
  const { PK: _pk, SK: _sk, entity: _entity, chain: _chain, ...rest } = item;
  const event = Object.fromEntries(Object.entries(rest).filter(([k]) => !/^GSI\d+(PK|SK)$/.test(k)));
  return (
    typeof event.metadata === 'string' ? { ...event, metadata: JSON.parse(event.metadata) } : event
  ) as AuditEvent;
}

/**
 * The per-item reasons of a cancelled transaction (with the item, where a write asked for it),
 * or undefined for any other error.
 */
function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  return (error as TransactionCanceledException).CancellationReasons ?? [];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
