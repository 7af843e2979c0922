import { GLOBAL_CHAIN } from '../domain/audit';
import { type Checkpoint, expiryBoundary, retentionDays } from '../domain/audit-retention';
import type { AuditRetentionStore, VerifyProgress } from '../ports/audit-retention-store';
import type { Clock } from '../ports/clock';
import type { TenantStore } from '../ports/tenant-store';
import type { AuditService } from './audit';

/** What one chain's turn found. */
export interface ChainReport {
  readonly chain: string;
  readonly ok: boolean;
  /** Events checked in this turn. */
  readonly checked: number;
  /** The round reached the head this turn. */
  readonly round_complete: boolean;
  readonly event_id?: number | null;
  readonly reason?: string;
  /** The checkpoint this turn moved to. */
  readonly checkpoint?: Checkpoint;
  /** Events given their TTL this turn. */
  readonly expired: number;
}

export interface VerifierReport {
  readonly chains: readonly ChainReport[];
  /** The run went through the last chain (else the next run goes on where it stopped). */
  readonly wrapped: boolean;
}

export interface AuditMonitorOptions {
  /** Days a chain keeps its events when its tenant says nothing; undefined: forever. */
  readonly defaultRetentionDays?: number | undefined;
  /** The longest one chain's turn walks. */
  readonly chainBudgetMs: number;
  /** The longest a run goes on starting new turns. */
  readonly runBudgetMs: number;
}

/** Chains read per page of the tenant list. */
const CHAINS_PER_PAGE = 50;

/**
 * The scheduled verifier: walks every chain (the global one, then each tenant's) in rounds from
 * its checkpoint to its head, a budgeted turn per chain per run, and records how far each got.
 * A round that passes moves the checkpoint up to the newest event past retention it verified,
 * and only then gives the events at or behind the new checkpoint their TTL: an event is deleted
 * only once a verified checkpoint stands in front of it. A chain that is broken keeps everything.
 */
export class AuditMonitor {
  constructor(
    private readonly audit: AuditService,
    private readonly store: AuditRetentionStore,
    private readonly tenants: TenantStore,
    private readonly clock: Clock,
    private readonly options: AuditMonitorOptions,
    private readonly elapsed: () => number = () => performance.now(),
  ) {}

  async run(): Promise<VerifierReport> {
    const started = this.elapsed();
    const reports: ChainReport[] = [];
    const outOfTime = () => this.elapsed() - started >= this.options.runBudgetMs;
    let cursor = await this.store.runCursor();
    if (cursor === undefined) reports.push(await this.turn(GLOBAL_CHAIN, this.options.defaultRetentionDays));
    for (;;) {
      if (outOfTime()) {
        await this.store.saveRunCursor(cursor ?? '');
        return { chains: reports, wrapped: false };
      }
      const page = await this.tenants.listTenants({
        limit: CHAINS_PER_PAGE,
        ...(cursor ? { cursor } : {}),
      });
      for (const tenant of page.items) {
        reports.push(
          await this.turn(
            tenant.id,
            retentionDays(tenant.audit_retention_days, this.options.defaultRetentionDays),
          ),
        );
      }
      if (page.next_cursor === undefined) {
        await this.store.saveRunCursor(undefined);
        return { chains: reports, wrapped: true };
      }
      cursor = page.next_cursor;
    }
  }

  /** One chain's turn: go on with its round; at the end of a clean round, move its checkpoint. */
  async turn(chain: string, days: number | undefined): Promise<ChainReport> {
    const now = this.clock.now();
    const progress: VerifyProgress = (await this.store.progress(chain)) ?? { round_checked: 0 };
    const expiresBelow = expiryBoundary(now, days);
    const walk = await this.audit.walk(chain, progress.position ? progress.position.id : 'checkpoint', {
      budgetMs: this.options.chainBudgetMs,
      expiresBelow,
    });
    const { verdict } = walk;
    if (!verdict.ok) {
      // The next round starts over from the checkpoint, and reports the break again until mended.
      const broken = {
        event_id: verdict.event_id ?? null,
        reason: verdict.reason ?? 'broken',
        at: now.toISOString(),
      };
      await this.store.saveProgress(
        chain,
        {
          round_checked: 0,
          broken,
          ...(progress.verified_through ? { verified_through: progress.verified_through } : {}),
        },
        now,
      );
      return {
        chain,
        ok: false,
        checked: verdict.checked,
        round_complete: false,
        event_id: broken.event_id,
        reason: broken.reason,
        expired: 0,
      };
    }
    const expiring = newer(walk.expiring, progress.expiring);
    const roundChecked = progress.round_checked + verdict.checked;
    if (verdict.next !== undefined) {
      await this.store.saveProgress(
        chain,
        {
          position: walk.position,
          round_checked: roundChecked,
          ...(expiring ? { expiring } : {}),
          ...(progress.verified_through ? { verified_through: progress.verified_through } : {}),
          ...(progress.broken ? { broken: progress.broken } : {}),
        },
        now,
      );
      return { chain, ok: true, checked: verdict.checked, round_complete: false, expired: 0 };
    }
    // A clean round: the checkpoint may move up to the newest verified event past retention.
    let checkpoint: Checkpoint | undefined;
    let expired = 0;
    const current = verdict.from_checkpoint ?? (await this.currentCheckpoint(chain));
    if (expiring && expiring.id > (current?.id ?? 0)) {
      if (await this.store.advanceCheckpoint(chain, expiring, current, now)) checkpoint = expiring;
    }
    const standing = checkpoint ?? current;
    // Written first, then the TTLs: every event that can expire is behind a checkpoint.
    if (standing)
      expired = await this.store.expireBehindCheckpoint(chain, standing, Math.floor(now.getTime() / 1000));
    await this.store.saveProgress(
      chain,
      { round_checked: 0, verified_through: { id: walk.position.id, at: now.toISOString() } },
      now,
    );
    return {
      chain,
      ok: true,
      checked: verdict.checked,
      round_complete: true,
      ...(checkpoint ? { checkpoint } : {}),
      expired,
    };
  }

  private currentCheckpoint(chain: string): Promise<Checkpoint | undefined> {
    return this.audit.checkpoint(chain === GLOBAL_CHAIN ? undefined : chain);
  }
}

function newer(a: Checkpoint | undefined, b: Checkpoint | undefined): Checkpoint | undefined {
  if (!a) return b;
  if (!b) return a;
  return a.id >= b.id ? a : b;
}
