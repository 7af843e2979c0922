import {
  type CancellationReason,
  type TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { type AuditEvent, type AuditInput, type ChainHead, chainOf, sealEvent } from '../../domain/audit';
import { sealable } from '../../domain/audit-projection';
import { ConcurrentUpdateError } from '../../domain/errors';
import { type EventResource, eventData } from '../../domain/events';
import type { Clock } from '../../ports/clock';
import { fromItem, type PlainWrite, type TableReader, toTransactItem } from './items';
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

const MAX_ATTEMPTS = 10;

/** A chain's head as the writer keeps it: the hash link, and the outbox's event counter. */
export interface WriterHead extends ChainHead {
  /** Events of the chain written with an outbox `sequence`; 0 for a chain older than the outbox. */
  readonly sequence: number;
}

/**
 * The one way the store changes state: the writes of a change and its audit event, sealed onto
 * the event's hash chain (with a nonce where a tenant sees it only in part: `sealable`), in a
 * single TransactWriteItems. The chain head is a conditional write,
 * so two writers of one chain cannot fork it; the loser re-reads the head and tries again, as
 * does a transaction that lost a TransactionConflict.
 *
 * The event item is also the outbox (docs/events.md): beside the sealed event it carries the
 * chain's next `sequence` (counted in the head, in the same transaction, so 1, 2, 3... without
 * gaps) and `data`, the resource after the change (`eventData`). Both sit outside the hash, so
 * every chain stored before them still verifies, and no audit response shows them.
 */
export class AuditedWriter {
  constructor(
    private readonly reader: TableReader,
    private readonly clock: Clock,
  ) {}

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
    } = {},
  ): Promise<AuditEvent> {
    const chain = chainOf(audit);
    const input = sealable(audit);
    for (let attempt = 1; ; attempt++) {
      const head = options.freshChain ? undefined : await this.readHead(chain);
      const now = this.clock.now();
      const event = sealEvent(input, head, now);
      const outbox: Outbox | undefined =
        options.outbox === false
          ? undefined
          : { sequence: (head?.sequence ?? 0) + 1, data: eventData(input, options.resource) };
      const guarded = [...build(now), ...this.eventWrites(chain, head, event, outbox)];
      try {
        await this.reader.db.send(
          new TransactWriteItemsCommand({
            TransactItems: guarded.map((g) => toTransactItem(g.write, this.reader.tableName)),
          }),
        );
        return event;
      } catch (error) {
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
        if (attempt >= MAX_ATTEMPTS) throw new ConcurrentUpdateError();
        // Full jitter, exponential: writers of one busy chain spread out instead of colliding again.
        await sleep(Math.random() * Math.min(250, 10 * 2 ** attempt));
      }
    }
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
      {
        write: {
          Put: {
            Item: {
              ...keys.auditHead(chain),
              entity: 'audit_head',
              last_id: event.id,
              hash: event.hash,
              sequence: outbox?.sequence ?? head?.sequence ?? 0,
            },
            ...(head
              ? {
                  ConditionExpression: '#hash = :prev',
                  ExpressionAttributeNames: { '#hash': 'hash' },
                  ExpressionAttributeValues: { ':prev': head.hash },
                }
              : { ConditionExpression: 'attribute_not_exists(PK)' }),
          },
        },
      },
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
const STORAGE_ATTRIBUTES = ['PK', 'SK', 'entity', 'chain', 'sequence', 'data', 'expires_at'] as const;

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
  const event = Object.fromEntries(
    Object.entries(item).filter(
      ([k]) => !(STORAGE_ATTRIBUTES as readonly string[]).includes(k) && !/^GSI\d+(PK|SK)$/.test(k),
    ),
  );
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
