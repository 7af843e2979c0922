import { timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports/clock';
import type { SecretSource } from '../ports/secret-source';

/** The shortest admin token the API accepts; with a shorter one every route stays off. */
export const MIN_TOKEN_LENGTH = 32;

export interface AdminTokenPolicy {
  /** How long a fetched token is trusted before it is fetched again. */
  readonly ttlMs: number;
  /** The least time between two fetches forced by an unknown token (rotation pick-up). */
  readonly refreshMinMs: number;
}

type Cached = { readonly value: string | undefined; readonly fetched: number };

/**
 * The admin token, cached per container. A normal request costs no secret fetch; a token the
 * cache does not know triggers at most one refresh per `refreshMinMs`, so a rotated token is
 * picked up quickly while a flood of bad tokens cannot hammer Secrets Manager. The previous
 * version is fetched only when a presented token does not match the current one.
 */
export class AdminTokens {
  private current?: Cached;
  private previous?: Cached;
  private lastForced = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly source: SecretSource,
    private readonly policy: AdminTokenPolicy,
    private readonly clock: Clock,
  ) {}

  /** The API is on only with a token of at least MIN_TOKEN_LENGTH characters. */
  async configured(): Promise<boolean> {
    const token = await this.load('current');
    return token !== undefined && token.length >= MIN_TOKEN_LENGTH;
  }

  /** Compares in constant time against the current and, failing that, the previous token. */
  async accepts(presented: string): Promise<boolean> {
    if (matches(presented, await this.load('current'))) return true;
    if (matches(presented, await this.load('previous'))) return true;
    const now = this.clock.now().getTime();
    if (now - this.lastForced < this.policy.refreshMinMs) return false;
    this.lastForced = now;
    this.current = undefined;
    this.previous = undefined;
    return matches(presented, await this.load('current')) || matches(presented, await this.load('previous'));
  }

  private async load(which: 'current' | 'previous'): Promise<string | undefined> {
    const now = this.clock.now().getTime();
    const cached = this[which];
    if (cached && now - cached.fetched < this.policy.ttlMs) return cached.value;
    const value = await (which === 'current' ? this.source.current() : this.source.previous());
    this[which] = { value, fetched: now };
    return value;
  }
}

function matches(presented: string, token: string | undefined): boolean {
  if (token === undefined || token.length < MIN_TOKEN_LENGTH) return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(token, 'utf8');
  // Length differences are not secret (tokens have a fixed length); contents are.
  return a.length === b.length && timingSafeEqual(a, b);
}
