import { aliasRegistry, clock, secretSource, tenantReader } from './app';
import type { Clock } from './ports/clock';

export type Check = 'ok' | 'unreachable';
export type Readiness = { table: Check; parameters: Check; secret: Check };

/**
 * How long a container reuses its last readiness answer. `/readyz` is public and unauthenticated:
 * uncached, every call would cost a GetItem, a GetParameter (SSM's account-wide quota, shared with
 * the alias lookups) and a GetSecretValue, so a flood of probes would amplify into AWS calls.
 */
export const READINESS_TTL_MS = 5_000;

/** Each dependency answered within the time limit, or not. */
export async function probeReadiness(timeoutMs = 2000): Promise<Readiness> {
  const probe = async (fn: () => Promise<void>): Promise<Check> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        fn(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        }),
      ]);
      return 'ok';
    } catch {
      return 'unreachable';
    } finally {
      clearTimeout(timer);
    }
  };
  const [table, parameters, secret] = await Promise.all([
    probe(() => tenantReader().ping()),
    probe(() => aliasRegistry().ping()),
    probe(() => secretSource().ping()),
  ]);
  return { table, parameters, secret };
}

/**
 * A readiness answer reused for `ttlMs` (whatever it was: a failing dependency is not probed
 * harder either); calls while a probe runs share it.
 */
export class CachedReadiness {
  private last: { readonly at: number; readonly value: Readiness } | undefined;
  private running: Promise<Readiness> | undefined;

  constructor(
    private readonly probe: () => Promise<Readiness>,
    private readonly clock: Clock,
    private readonly ttlMs: number = READINESS_TTL_MS,
  ) {}

  async get(): Promise<Readiness> {
    const now = this.clock.now().getTime();
    // A clock that moved back (a test, a corrected host clock) never extends the answer's life.
    if (this.last && now >= this.last.at && now - this.last.at < this.ttlMs) return this.last.value;
    this.running ??= this.probe()
      .then((value) => {
        this.last = { at: this.clock.now().getTime(), value };
        return value;
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }
}

let cached: CachedReadiness | undefined;

/** The container's readiness, probed at most once per READINESS_TTL_MS. */
export function readiness(): Promise<Readiness> {
  cached ??= new CachedReadiness(() => probeReadiness(), clock);
  return cached.get();
}
