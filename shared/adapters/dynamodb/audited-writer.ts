import { randomInt } from 'node:crypto';
import {
  type AttributeValue,
  type CancellationReason,
  PutItemCommand,
  type TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { convertToNative } from '@aws-sdk/util-dynamodb';
import {
  AUDIT_EVENT_FIELDS,
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
import { type EventResource, eventData } from '../../domain/events';
import type { Clock } from '../../ports/clock';
import { fromItem, type PlainWrite, type TableReader, toItem, toTransactItem } from './items';
import { auditIndexAttributes, keys } from './keys';

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

/** How an attempt lost (see `settle`). */
type Race = 'moved' | 'conflict';
/**
 * Appends committed together take at most this many bytes as JSON (and at most 99 events), so
 * their transaction stays far below DynamoDB's 4 MB whatever each append's size.
 */
const GROUP_MAX_BYTES = 1024 * 1024;
/** Milliseconds over which concurrent block claims spread (a block's ids may lie this far ahead). */
const BLOCK_SPREAD = 8;

/** A chain's head as the writer keeps it: the hash link, and the outbox's event counter. */
export interface WriterHead extends ChainHead {
  /** Events of the chain written with an outbox `sequence`; 0 for a chain older than the outbox. */
  readonly sequence: number;
}

/**
 * The one way the store changes state: the writes of a change and its audit event, sealed onto
 * the event's hash chain (with a nonce where a tenant sees it only in part: `sealable`), in a
 * single TransactWriteItems. The chain head is a conditional write, so two writers of one chain
 * cannot fork it; the loser re-reads the head and tries again after a jittered exponential
 * backoff, as does a transaction that lost a TransactionConflict, until the write budget is
 * spent: only then is the race the caller's, as a 503 with `Retry-After` (never a 409, and
 * nothing committed).
 *
 * The event item is also the outbox (docs/events.md): beside the sealed event it carries the
 * chain's next `sequence` (counted in the head, in the same transaction, so 1, 2, 3... without
 * gaps; a batch of N events on a chain takes the next N, in chain order) and `data`, the
 * resource after the change (`eventData`). Both sit outside the hash, so every chain stored
 * before them still verifies, and no audit response shows them.
 */
export class AuditedWriter {
  protected readonly budgetMs: number;

  constructor(
    protected readonly reader: TableReader,
    protected readonly clock: Clock,
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
    options: {
      readonly freshChain?: boolean;
      /** What the change leaves behind: the event's `data` (`eventData`). */
      readonly resource?: EventResource;
      /**
       * false: the event is audited but no outbox event (no `sequence`, no `data`, the chain's
       * count unchanged), so the stream never publishes it: `webhook.test`, delivered directly.
       */
      readonly outbox?: boolean;
      /** `performance.now()` when the write arrived: its budget runs from there (default: now). */
      readonly since?: number;
    } = {},
  ): Promise<AuditEvent> {
    const chain = chainOf(audit);
    const input = sealable(audit);
    const backoff = this.backoff(options.since);
    // A change retried from above (re-read and re-decided) shares one budget across its commits.
    if (options.since !== undefined) backoff.check();
    for (;;) {
      const head = options.freshChain ? undefined : await this.readHead(chain);
      const now = this.clock.now();
      const event = sealEvent(input, head, now);
      const outbox: Outbox | undefined =
        options.outbox === false
          ? undefined
          : { sequence: (head?.sequence ?? 0) + 1, data: eventData(input, options.resource) };
      const guarded = [...build(now), ...this.eventWrites(chain, head, event, outbox)];
      try {
        await this.transact(guarded);
        return event;
      } catch (error) {
        await backoff.wait(this.settle(error, guarded));
      }
    }
  }

  protected async transact(guarded: readonly GuardedWrite[]): Promise<void> {
    await this.reader.db.send(
      new TransactWriteItemsCommand({
        TransactItems: guarded.map((g) => toTransactItem(g.write, this.reader.tableName)),
      }),
    );
  }

  /**
   * Why a transaction failed: a domain error for the caller (thrown), or a race a fresh attempt
   * can win (returned). The lowest `rank` among the failed writes that speak decides. A race is
   * `moved` when a condition failed (the head, a version: another writer committed, so the next
   * attempt starts from its result) and `conflict` when DynamoDB cancelled the transaction for
   * another one in flight on the same items (nobody may have committed yet).
   */
  protected settle(error: unknown, guarded: readonly GuardedWrite[]): Race {
    const reasons = cancellationReasons(error);
    if (!reasons) throw error;
    const failed = guarded.filter((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed');
    const speaking = failed.filter((g) => g.conflict).sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))[0];
    if (speaking?.conflict) {
      const item = reasons[guarded.indexOf(speaking)]?.Item;
      throw speaking.conflict(item && fromItem(item));
    }
    if (failed.length > 0) return 'moved';
    if (reasons.some((r) => r.Code === 'TransactionConflict')) return 'conflict';
    throw error;
  }

  /**
   * Within the budget (wall time, whatever the clock port says) it waits; past it, ChainBusyError.
   * After a `moved` race someone committed, so the chain made progress: a short jitter (up to
   * `BACKOFF_BASE_MS`) and try again from the new head. After a `conflict` nobody may have:
   * full jitter, exponential in the conflicts so far, so colliding writers spread out.
   */
  protected backoff(started = performance.now()): { check(): void; wait(race: Race): Promise<void> } {
    const budget = this.budgetMs;
    let conflicts = 0;
    const left = () => {
      const ms = budget - (performance.now() - started);
      if (ms <= 0) throw new ChainBusyError(budget);
      return ms;
    };
    return {
      check: () => void left(),
      wait: async (race: Race) => {
        const remaining = left();
        const ceiling =
          race === 'moved' ? BACKOFF_BASE_MS : Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** ++conflicts);
        await sleep(Math.min(Math.random() * ceiling, remaining));
      },
    };
  }

  async readHead(chain: string): Promise<WriterHead | undefined> {
    const item = await this.reader.get(keys.auditHead(chain));
    return item
      ? { last_id: Number(item.last_id), hash: String(item.hash), sequence: Number(item.sequence ?? 0) }
      : undefined;
  }

  /**
   * The event (with its list index attributes), its chain head and its id claim; a moved head or
   * an id taken by any chain is a retryable race.
   */
  private eventWrites(
    chain: string,
    head: WriterHead | undefined,
    event: AuditEvent,
    outbox: Outbox | undefined,
  ): GuardedWrite[] {
    return [
      headWrite(chain, head, event, outbox?.sequence ?? head?.sequence ?? 0),
      {
        write: {
          Put: { Item: eventItem(chain, event, outbox), ConditionExpression: 'attribute_not_exists(PK)' },
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

/**
 * The audited writer of the audit log, which also appends events that change no other state,
 * alone or as a batch. Apart from `AuditedWriter`, so that the stores of state changes (tenants,
 * keys, catalog, webhooks) bundle none of it.
 */
export class AuditAppender extends AuditedWriter {
  /** Appends waiting, per chain, for the transaction under way on it (see `append`). */
  private readonly waiting = new Map<string, Waiter[]>();

  /**
   * An event that changes no other state (a product's append). Appends to one chain that arrive
   * in this process while a transaction on that chain is under way wait for it, then commit
   * together, up to `MAX_BATCH_EVENTS` in one transaction (`commitBatch`, in arrival order), so
   * a hot chain commits many events per head race instead of one; alone, an append is `commit`.
   * An append that waited past the write budget is answered ChainBusyError without being tried.
   */
  append(audit: AuditInput): Promise<AuditEvent> {
    const chain = chainOf(audit);
    return new Promise((resolve, reject) => {
      const bytes = Buffer.byteLength(JSON.stringify(audit));
      const waiter: Waiter = { audit, bytes, since: performance.now(), resolve, reject };
      const queue = this.waiting.get(chain);
      if (queue) {
        queue.push(waiter);
        return;
      }
      const fresh = [waiter];
      this.waiting.set(chain, fresh);
      void this.drain(chain, fresh);
    });
  }

  /** Commits the chain's waiting appends, a group per transaction, until none is left. */
  private async drain(chain: string, queue: Waiter[]): Promise<void> {
    while (queue.length > 0) {
      let count = 1;
      for (let bytes = queue[0]?.bytes ?? 0; count < Math.min(queue.length, MAX_BATCH_EVENTS); count++) {
        bytes += queue[count]?.bytes ?? 0;
        if (bytes > GROUP_MAX_BYTES) break;
      }
      const taken = queue.splice(0, count);
      const late = performance.now() - this.budgetMs;
      for (const w of taken) if (w.since < late) w.reject(new ChainBusyError(this.budgetMs));
      const group = taken.filter((w) => w.since >= late);
      if (group.length === 0) continue;
      try {
        const events =
          group.length === 1
            ? [await this.commit((group[0] as Waiter).audit, () => [], { since: group[0]?.since })]
            : await this.commitBatch(
                group.map((w) => w.audit),
                () => [],
                Math.min(...group.map((w) => w.since)),
              );
        for (const [i, w] of group.entries()) w.resolve(events[i] as AuditEvent);
      } catch (error) {
        for (const w of group) w.reject(error);
      }
    }
    this.waiting.delete(chain);
  }

  /**
   * Events appended in one transaction, in order, each onto its own chain (grouped by chain;
   * the whole list is all or nothing). Per chain: its head and its events (so at most 99 on one
   * chain: DynamoDB's 100 items per transaction), plus `extra` writes (an idempotency record).
   * A chain's events take consecutive ids of one millisecond's batch block (`batchBlock`),
   * claimed before the transaction with one conditional put: the ids are unique log-wide
   * without an id claim per event. A block whose transaction then loses is kept for the next
   * attempt while it stays above the head, and otherwise simply unused (ids are not dense).
   * Each event is an outbox event: a chain's N events take the head's next N sequence numbers.
   */
  async commitBatch(
    inputs: readonly AuditInput[],
    extra: (events: readonly AuditEvent[], now: Date) => readonly GuardedWrite[] = () => [],
    /** `performance.now()` when the batch arrived: its budget runs from there (default: now). */
    since?: number,
  ): Promise<AuditEvent[]> {
    const groups = new Map<string, number[]>();
    for (const [i, input] of inputs.entries()) {
      const chain = chainOf(input);
      groups.set(chain, [...(groups.get(chain) ?? []), i]);
    }
    const sealed = inputs.map((input) => sealable(input));
    const blocks = new Map<string, number>();
    const backoff = this.backoff(since);
    for (;;) {
      const chains = [...groups.keys()];
      const heads = await Promise.all(chains.map((chain) => this.readHead(chain)));
      const now = this.clock.now();
      const events: AuditEvent[] = [];
      const writes: GuardedWrite[] = [];
      for (const [c, chain] of chains.entries()) {
        const head = heads[c];
        const ms = await this.claimBlock(chain, head, now, blocks);
        const order = groups.get(chain) ?? [];
        const chainInputs = order.map((i) => sealed[i] as AuditInput);
        const chainEvents = sealBatch(chainInputs, head, ms);
        for (const [j, i] of order.entries()) events[i] = chainEvents[j] as AuditEvent;
        const first = (head?.sequence ?? 0) + 1;
        writes.push(
          headWrite(chain, head, chainEvents.at(-1) as AuditEvent, first + chainEvents.length - 1),
          ...chainEvents.map((event, j) => ({
            write: {
              Put: {
                Item: eventItem(chain, event, {
                  sequence: first + j,
                  data: eventData(chainInputs[j] as AuditInput),
                }),
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          })),
        );
      }
      const guarded = [...extra(events, now), ...writes];
      try {
        await this.transact(guarded);
        return events;
      } catch (error) {
        await backoff.wait(this.settle(error, guarded));
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
    head: WriterHead | undefined,
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
}

/**
 * The chain's head moved from `head` (read before) to `last`, its outbox count to `sequence`:
 * a moved head is a retryable race.
 */
function headWrite(
  chain: string,
  head: WriterHead | undefined,
  last: AuditEvent,
  sequence: number,
): GuardedWrite {
  return {
    write: {
      Put: {
        Item: { ...keys.auditHead(chain), entity: 'audit_head', last_id: last.id, hash: last.hash, sequence },
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

/** An append waiting for its chain (`AuditedWriter.append`). */
interface Waiter {
  readonly audit: AuditInput;
  /** Its size as JSON: a group stays within `GROUP_MAX_BYTES`. */
  readonly bytes: number;
  /** `performance.now()` when it arrived: its write budget runs from there. */
  readonly since: number;
  readonly resolve: (event: AuditEvent) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The outbox attributes of an event item, outside the hash: the chain's event counter and the
 * event's `data` (as JSON text, like metadata, whatever DynamoDB's limits on nesting).
 */
export interface Outbox {
  readonly sequence: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * Attributes of an event item that are storage, not the event: never part of what is read back
 * nor hashed (`expires_at` is the TTL the scheduled verifier gives events behind the checkpoint).
 */
const STORAGE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'PK',
  'SK',
  'entity',
  'chain',
  'sequence',
  'data',
  'expires_at',
]);
const INDEX_KEY = /^GSI\d+(PK|SK)$/;

/**
 * The stored event: its chain's key, a partition in each list index it belongs to, the event,
 * and its outbox attributes (absent on events written before the outbox).
 */
export function eventItem(chain: string, event: AuditEvent, outbox?: Outbox): Record<string, unknown> {
  return {
    ...keys.auditEvent(chain, event.id),
    entity: 'audit_event',
    chain,
    ...auditIndexAttributes(event),
    ...eventToItem(event),
    ...(outbox ? { sequence: outbox.sequence, data: JSON.stringify(outbox.data) } : {}),
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
  const event = Object.fromEntries(Object.entries(item).filter(([name]) => !isStorageAttribute(name)));
  return (
    typeof event.metadata === 'string' ? { ...event, metadata: JSON.parse(event.metadata) } : event
  ) as AuditEvent;
}

/**
 * An event item straight from DynamoDB's attribute values: the event `eventFromItem` makes of
 * `fromItem(item)`, without the plain copy of the whole item in between (storage attributes,
 * index keys and the outbox's `data` are skipped, not converted). Text, nearly every attribute,
 * is taken as it is; anything else goes through AWS's own `convertToNative`. Exports and
 * verification walks read every event of a chain: one copy less per event is less for V8 to
 * collect (figure X1, docs/testing.md).
 */
export function eventFromAttributes(item: Record<string, AttributeValue>): AuditEvent {
  const event: Record<string, unknown> = {};
  for (const name in item) {
    if (isStorageAttribute(name)) continue;
    const value = item[name] as AttributeValue;
    const text = value.S;
    event[name] = text === undefined ? convertToNative(value) : name === 'metadata' ? JSON.parse(text) : text;
  }
  return event as unknown as AuditEvent;
}

/** A Query's projection and its attribute names (every name a placeholder: many are reserved). */
export interface Projection {
  readonly ProjectionExpression: string;
  readonly ExpressionAttributeNames: Readonly<Record<string, string>>;
}

function projectionOf(names: readonly string[]): Projection {
  return {
    ProjectionExpression: names.map((_, i) => `#e${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#e${i}`, name])),
  };
}

/**
 * What an audit read asks DynamoDB for: the event's own attributes (`AUDIT_EVENT_FIELDS`), not the
 * item's keys, list-index keys, or the outbox's copy of the event (`data`), which are most of an
 * event item's bytes (a small event: 360 bytes of DynamoDB's JSON of the item's 886, or of 1,302
 * with an outbox copy of the event). DynamoDB charges the read by the item's size either way;
 * what changes is what crosses the network and what the SDK decodes: an export allocates 4,831
 * bytes per event instead of 6,658 (docs/storage.md, "Audit listings"; docs/testing.md, X1).
 */
export const EVENT_PROJECTION: Projection = projectionOf(AUDIT_EVENT_FIELDS);

/** The same with the sort key, for walks that check each event's id against its key. */
export const EVENT_PROJECTION_WITH_KEY: Projection = projectionOf([...AUDIT_EVENT_FIELDS, 'SK']);

/** An item's own attributes that are not the event's: storage, outbox, the list indexes' keys. */
function isStorageAttribute(name: string): boolean {
  return STORAGE_ATTRIBUTES.has(name) || (name.startsWith('GSI') && INDEX_KEY.test(name));
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
