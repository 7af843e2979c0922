import type { Anchor, Checkpoint } from '../domain/audit-retention';

/** How far the scheduled verifier got on one chain (docs/storage.md, "verify progress"). */
export interface VerifyProgress {
  /** A round in progress continues after this event; absent: the next round starts at the checkpoint. */
  readonly position?: Anchor;
  /** Events checked so far in the round in progress. */
  readonly round_checked: number;
  /** The newest event checked in this round that is older than the retention. */
  readonly expiring?: Checkpoint;
  /** The last complete round: the head it verified up to, and when. */
  readonly verified_through?: { readonly id: number; readonly at: string };
  /** The break the last round found, until a round passes. */
  readonly broken?: { readonly event_id: number | null; readonly reason: string; readonly at: string };
}

/** The scheduled verifier's state and the one write that makes events expire. */
export interface AuditRetentionStore {
  progress(chain: string): Promise<VerifyProgress | undefined>;
  saveProgress(chain: string, progress: VerifyProgress, now: Date): Promise<void>;
  /**
   * Moves the checkpoint to `next`, conditioned on it still being `previous`; false when another
   * run moved it meanwhile.
   */
  advanceCheckpoint(
    chain: string,
    next: Checkpoint,
    previous: Checkpoint | undefined,
    now: Date,
  ): Promise<boolean>;
  /**
   * Gives the chain's events at or behind its checkpoint that have no TTL yet (and their id
   * claims) the TTL `expiresAt` (epoch seconds), then records how far it got; how many it stamped.
   */
  expireBehindCheckpoint(chain: string, checkpoint: Checkpoint, expiresAt: number): Promise<number>;
  /** Where the last run stopped in the list of chains (a tenant-list cursor); undefined: the start. */
  runCursor(): Promise<string | undefined>;
  saveRunCursor(cursor: string | undefined): Promise<void>;
}
