import { randomBytes } from 'node:crypto';
import { argon2id, argon2Verify } from 'hash-wasm';

/**
 * API key secrets at rest: argon2id (hash-wasm) in the PHC string format,
 * `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`. The string carries its own
 * parameters, so verification reads them from the stored hash and the defaults can change
 * without re-keying; a key verified under other parameters is re-hashed with the current ones.
 *
 * Defaults: OWASP's floor for argon2id, m=19 MiB, t=2, p=1. The argument: a key's secret is
 * 256 random bits, so guessing is hopeless whatever the hash costs, and the hash is defence
 * in depth for a leaked table, not a password stretcher. Every verify of a live key that misses
 * the cache pays it (an unknown id pays nothing: services/api-keys.ts), so it is kept at the
 * floor: ~65 ms here against ~140 ms for the seed's m=64 MiB, t=1, p=4 (hash-wasm is
 * single-threaded, so p=4 buys nothing but time). The verify Lambda
 * needs the 19 MiB of wasm memory on top of its baseline, and CPU (which Lambda allots by
 * memory): give it 1024 MB.
 */

export interface Argon2Params {
  /** Memory in KiB. */
  readonly m: number;
  /** Passes. */
  readonly t: number;
  /** Lanes. */
  readonly p: number;
}

export const DEFAULT_ARGON2_PARAMS: Argon2Params = { m: 19_456, t: 2, p: 1 };
/** OWASP's minimum recommendation for argon2id (the V3 benchmark's reference). */
export const OWASP_FLOOR_PARAMS: Argon2Params = { m: 19_456, t: 2, p: 1 };

const SALT_BYTES = 16;
const HASH_BYTES = 32;
const PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** The parameters a stored hash was made with, or undefined when it is not one of ours. */
export function paramsOf(encoded: string): Argon2Params | undefined {
  const m = PHC.exec(encoded);
  if (!m) return undefined;
  return { m: Number(m[1]), t: Number(m[2]), p: Number(m[3]) };
}

const sameParams = (a: Argon2Params, b: Argon2Params) => a.m === b.m && a.t === b.t && a.p === b.p;

export class KeyHasher {
  constructor(readonly params: Argon2Params = DEFAULT_ARGON2_PARAMS) {}

  hash(secret: string): Promise<string> {
    return argon2id({
      password: secret,
      salt: randomBytes(SALT_BYTES),
      memorySize: this.params.m,
      iterations: this.params.t,
      parallelism: this.params.p,
      hashLength: HASH_BYTES,
      outputType: 'encoded',
    });
  }

  /**
   * Whether `secret` matches `encoded`, under the parameters `encoded` names. A hash that is
   * not a well-formed argon2id string never matches (and never throws).
   */
  async verify(secret: string, encoded: string): Promise<boolean> {
    if (!paramsOf(encoded)) return false;
    try {
      return await argon2Verify({ password: secret, hash: encoded });
    } catch {
      return false;
    }
  }

  /** Whether a hash was made with other parameters than the current ones. */
  needsRehash(encoded: string): boolean {
    const params = paramsOf(encoded);
    return params === undefined || !sameParams(params, this.params);
  }
}
