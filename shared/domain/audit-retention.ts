import { type AuditEvent, GENESIS_HASH, hashEvent } from './audit';

/**
 * Retention and incremental verification of a hash chain. Pure.
 *
 * A chain whose oldest events expire keeps its proof in a **checkpoint**: the id and hash of the
 * newest event that may expire. The checkpoint is written before any event at or behind it is
 * given a TTL (docs/storage.md), so every deleted event is behind it, and a walk that starts at
 * the checkpoint checks every event that is still meant to exist.
 */

/** The fewest and most days a tenant's events may be kept (null: the stack's default). */
export const AUDIT_RETENTION_MIN_DAYS = 30;
export const AUDIT_RETENTION_MAX_DAYS = 3650;
const DAY_MS = 86_400_000;

/** Where the proof of a chain starts once its oldest events expire. */
export interface Checkpoint {
  readonly id: number;
  readonly hash: string;
  /** `created_at` of the event it names. */
  readonly at: string;
}

/** The event a walk links onto: the genesis, the checkpoint, or the last event a walk verified. */
export interface Anchor {
  readonly id: number;
  readonly hash: string;
}

export const GENESIS: Anchor = { id: 0, hash: GENESIS_HASH };

export interface LinkBreak {
  readonly event_id: number | null;
  readonly reason: string;
}

/**
 * The days a chain keeps its events: the tenant's own setting, else the stack's default, else
 * forever (undefined).
 */
export function retentionDays(tenantDays: number | null | undefined, stackDefault: number | undefined) {
  return tenantDays ?? stackDefault;
}

/**
 * The lowest id that must not expire yet: events with ids below it are older than the retention
 * (ids are milliseconds * 1000 + a sub-millisecond part). Undefined keeps everything.
 */
export function expiryBoundary(now: Date, days: number | undefined): number | undefined {
  return days === undefined ? undefined : (now.getTime() - days * DAY_MS) * 1000;
}

/**
 * Checks a chain's events one at a time, oldest first, from an anchor: each must be stored under
 * its own id, come after the one before, link to its hash and hash to what it says. Passing the
 * checkpoint, the event there must be the one the checkpoint names.
 */
export class ChainWalker {
  private prev: string;
  private lastId: number;
  private count = 0;
  /** The newest checked event below `expiresBelow`: what a checkpoint may advance to. */
  private expiring: Checkpoint | undefined;

  constructor(
    anchor: Anchor,
    private readonly checkpoint?: Checkpoint,
    private readonly expiresBelow?: number,
  ) {
    this.prev = anchor.hash;
    this.lastId = anchor.id;
  }

  /**
   * The stored event a walk starts at (`from`): checked on its own (its hash must hold, and match
   * the anchor's when the anchor says it), then linked onto. Not counted: the walk that ended
   * there counted it.
   */
  static at(event: AuditEvent, keyId: number, checkpoint?: Checkpoint, expiresBelow?: number) {
    const { hash, ...rest } = event;
    if (keyId !== event.id) return { event_id: keyId, reason: 'stored under another id' } as LinkBreak;
    if (hashEvent(rest) !== hash) return { event_id: event.id, reason: 'altered event' } as LinkBreak;
    if (checkpoint && checkpoint.id === event.id && checkpoint.hash !== hash)
      return { event_id: event.id, reason: 'does not match the checkpoint' } as LinkBreak;
    return new ChainWalker({ id: event.id, hash }, checkpoint, expiresBelow);
  }

  check(event: AuditEvent, keyId: number): LinkBreak | undefined {
    const { hash, ...rest } = event;
    if (keyId !== event.id) return { event_id: keyId, reason: 'stored under another id' };
    if (event.id <= this.lastId) return { event_id: event.id, reason: 'out of order' };
    const cp = this.checkpoint;
    if (cp && this.lastId < cp.id && event.id > cp.id)
      return { event_id: cp.id, reason: 'the checkpoint is not on the chain' };
    if (event.prev_hash !== this.prev) return { event_id: event.id, reason: 'broken link' };
    if (hashEvent(rest) !== hash) return { event_id: event.id, reason: 'altered event' };
    if (cp && cp.id === event.id && cp.hash !== hash)
      return { event_id: event.id, reason: 'does not match the checkpoint' };
    if (this.expiresBelow !== undefined && event.id < this.expiresBelow)
      this.expiring = { id: event.id, hash, at: event.created_at };
    this.prev = hash;
    this.lastId = event.id;
    this.count++;
    return undefined;
  }

  /** At the end of the chain: the head must name the last event checked. */
  end(head: Anchor | undefined): LinkBreak | undefined {
    const h = head ?? GENESIS;
    if (h.hash !== this.prev || h.id !== this.lastId)
      return { event_id: head?.id ?? null, reason: 'head does not match the last event' };
    return undefined;
  }

  get checked(): number {
    return this.count;
  }

  /** The last event checked (or the anchor): where the next walk links on. */
  get position(): Anchor {
    return { id: this.lastId, hash: this.prev };
  }

  get newestExpiring(): Checkpoint | undefined {
    return this.expiring;
  }
}
