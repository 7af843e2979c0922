import { timingSafeEqual } from 'node:crypto';
import { TtlCache } from '../domain/lru';
import type { Clock } from '../ports/clock';

/** How long a container remembers which key last verified under an id (only to exempt it). */
const PROVEN_TTL_MS = 24 * 60 * 60 * 1000;

export interface Argon2BudgetOptions {
  /** Argon2 verifies per key id per window of keys this container has not verified: at least 1. */
  readonly perWindow: number;
  readonly windowMs: number;
  /** Key ids tracked at once, least recently used out first. */
  readonly maxEntries: number;
}

/** What `take` decided: run argon2, or refuse without it (`first` on the window's first refusal). */
export type Argon2Grant = 'run' | 'refused' | 'refused-first';

interface Window {
  spent: number;
  refused: boolean;
}

/**
 * The argon2 a container spends on one key id for keys it cannot vouch for. Per key id, a
 * fixed window opens at the first verify of a key this container has not verified before; in it,
 * at most `perWindow` such verifies run argon2 (slots are taken before argon2 runs, so concurrent
 * requests cannot overshoot), and one that succeeds gives its slot back, so the bound counts
 * wrong secrets. Past the bound the id's unproven keys are invalid without argon2 until the
 * window ends.
 *
 * Exempt: the key that last verified under the id here ("proven", by its SHA-256, remembered for
 * a day, forgotten on revocation). Its owner keeps working through a wrong-secret flood on its
 * id, and still pays one GetItem and one argon2 whenever the short valid-answer cache lapses, so
 * revocation and expiry bounds are unchanged. The price: a valid key this container has never
 * verified, presented while its id is past the bound, is invalid until the window ends; only
 * someone who knows the key's id can cause that.
 *
 * Both maps are bounded LRUs on the injected clock; an id pushed out of the window map starts a
 * fresh window, which costs at most another `perWindow` runs.
 */
export class Argon2Budget {
  private readonly windows: TtlCache<string, Window>;
  private readonly proven: TtlCache<string, Buffer>;

  constructor(
    clock: Clock,
    readonly options: Argon2BudgetOptions,
  ) {
    if (!Number.isInteger(options.perWindow) || options.perWindow < 1) {
      throw new Error('perWindow must be a positive integer');
    }
    const now = () => clock.now().getTime();
    // The entry's expiry is set once, when the window opens; later takes mutate it in place.
    this.windows = new TtlCache(options.maxEntries, options.windowMs, now);
    this.proven = new TtlCache(options.maxEntries, PROVEN_TTL_MS, now);
  }

  /** Whether `digest` (SHA-256 of the presented key) is the key that last verified under `id` here. */
  isProven(id: string, digest: Buffer): boolean {
    const known = this.proven.get(id)?.value;
    return known !== undefined && known.length === digest.length && timingSafeEqual(known, digest);
  }

  /** One argon2 run for an unproven key of `id`, if its window has a slot left. */
  take(id: string): Argon2Grant {
    const window = this.windows.get(id)?.value;
    if (!window) {
      this.windows.set(id, { spent: 1, refused: false });
      return 'run';
    }
    if (window.spent < this.options.perWindow) {
      window.spent += 1;
      return 'run';
    }
    if (window.refused) return 'refused';
    window.refused = true;
    return 'refused-first';
  }

  /** The unproven key verified: its slot comes back and the key is proven from now on. */
  succeeded(id: string, digest: Buffer, tookSlot: boolean): void {
    if (tookSlot) {
      const window = this.windows.get(id)?.value;
      if (window && window.spent > 0) window.spent -= 1;
    }
    this.proven.set(id, digest);
  }

  /** The key was revoked here: nothing of it is exempt any more. */
  forget(id: string): void {
    this.proven.delete(id);
  }
}

/**
 * At most `max` uncached key verifications (the key's read, argon2, the tenant's read) at once in
 * a container; the others wait in arrival order, costing nothing while they wait. Cached keys
 * never pass through it, so requests already authenticated keep their latency however many
 * unknown keys arrive: what unauthenticated callers can take of a process is bounded by `max`.
 * On Lambda a container serves one request at a time and this never waits; it matters where one
 * process serves many requests at once (the local server). The queue holds only requests the
 * server already holds open, so it needs no bound of its own.
 */
export class VerificationGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error('max must be a positive integer');
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.max) this.running += 1;
    // The slot is handed over by the finishing run, so `running` never dips and lets a newcomer in first.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }

  /** Verifications waiting for a slot (tests, benchmarks). */
  get queued(): number {
    return this.waiting.length;
  }
}
