import { crc32 } from 'node:zlib';
import { DomainError, ValidationError } from './errors';
import { isUuid } from './slug';

/**
 * Tenant API keys: the plaintext format, scopes and the record. Pure: no AWS, no HTTP.
 *
 * A key reads `<prefix>_<id>_<secret>_<checksum>`:
 * - `prefix`: recognisable (secret scanners, humans), configurable, 2-16 of `a-z0-9`, no `_`;
 * - `id`: the key's UUID as base64url of its 16 bytes (22 characters), so one GetItem finds it;
 * - `secret`: 32 random bytes as base64url (43 characters, 256 bits);
 * - `checksum`: CRC32 of everything before it, 8 lowercase hex digits.
 * The parts after the prefix have fixed widths, so `_` inside base64url never confuses the
 * parse. CRC32 catches every error burst up to 32 bits, so any one mistyped character fails
 * the checksum and never costs a read.
 */

export const SCOPES = [
  'profile:read',
  'entitlements:read',
  'audit:read',
  'audit:write',
  'catalog:request',
  'keys:manage',
  'swagger:read',
  'webhooks:manage',
] as const;
export type Scope = (typeof SCOPES)[number];

/** A key created without scopes may read and nothing more. */
export const DEFAULT_SCOPES: readonly Scope[] = [
  'profile:read',
  'entitlements:read',
  'audit:read',
  'swagger:read',
];

/** A key cannot hand on what it does not hold (403 `scope_not_held`). */
export class ScopeNotHeldError extends DomainError {
  constructor(scope: Scope) {
    super('scope_not_held', `scopes: the calling API key cannot grant ${scope}, which it does not hold`);
  }
}

/**
 * The scopes a new (or rolled) key gets: the one rule for both planes, so that no key is ever
 * made with a scope its maker does not hold. `held` is what the maker holds: the calling key's
 * scopes on the tenant plane, every scope for an operator.
 * - `requested` absent: the default read scopes the maker holds; none of them -> 400 naming `scopes`.
 * - `requested` empty: 400 naming `scopes` (never a silent default).
 * - a requested scope the maker does not hold: 403 `scope_not_held`.
 * The result is always a non-empty subset of `held`, in the order requested.
 */
export function grantableScopes(
  requested: readonly Scope[] | undefined,
  held: readonly Scope[] = SCOPES,
): Scope[] {
  if (requested === undefined) {
    const defaults = DEFAULT_SCOPES.filter((s) => held.includes(s));
    if (defaults.length === 0) {
      throw new ValidationError(
        `scopes is required: the calling API key holds none of the default read scopes (${DEFAULT_SCOPES.join(', ')})`,
      );
    }
    return defaults;
  }
  if (requested.length === 0) {
    throw new ValidationError(
      'scopes must name at least one scope; leave it out for the default read scopes',
    );
  }
  const extra = requested.find((s) => !held.includes(s));
  if (extra !== undefined) throw new ScopeNotHeldError(extra);
  return [...new Set(requested)];
}

const DAY_MS = 86_400_000;
/** The default longest lifetime of a key (`TENANT_REGISTRY_KEY_MAX_LIFETIME_DAYS`). */
export const DEFAULT_MAX_KEY_LIFETIME_DAYS = 365;

/**
 * When a new key expires: the one lifetime rule for both planes.
 * - `requested` a time: it must be in the future and at most `maxLifetimeDays` ahead (400 naming
 *   `expires_at`, with the limit);
 * - absent: `now` + `maxLifetimeDays`;
 * - `null` (never expires): only where `mayNeverExpire` (an operator's explicit choice), else 400.
 */
export function keyExpiry(
  requested: string | null | undefined,
  now: Date,
  options: { readonly maxLifetimeDays: number; readonly mayNeverExpire: boolean },
): string | null {
  const latest = now.getTime() + options.maxLifetimeDays * DAY_MS;
  if (requested === undefined) return new Date(latest).toISOString();
  if (requested === null) {
    if (options.mayNeverExpire) return null;
    throw new ValidationError(
      'expires_at must be a date-time: only an operator may create a key that never expires',
    );
  }
  const at = Date.parse(requested);
  if (Number.isNaN(at)) throw new ValidationError('expires_at must be an RFC 3339 date-time');
  if (at <= now.getTime()) throw new ValidationError('expires_at must be in the future');
  if (at > latest) {
    throw new ValidationError(
      `expires_at must be at most ${options.maxLifetimeDays} days ahead (the maximum key lifetime), so no later than ${new Date(latest).toISOString()}`,
    );
  }
  return new Date(at).toISOString();
}

/** How long a rolled key keeps working beside its successor: default a day, at most a week. */
export const DEFAULT_ROLL_OVERLAP_SECONDS = 86_400;
export const MAX_ROLL_OVERLAP_SECONDS = 604_800;

/**
 * The rolled key's new expiry: `overlapSeconds` from now, never later than it already expired
 * (0 = now, so it stops verifying at once).
 */
export function rolledExpiry(key: Pick<ApiKey, 'expires_at'>, now: Date, overlapSeconds: number): string {
  const end = now.getTime() + overlapSeconds * 1000;
  const current = key.expires_at === null ? Number.POSITIVE_INFINITY : Date.parse(key.expires_at);
  return new Date(Math.min(end, current)).toISOString();
}

export const KEY_PREFIX_PATTERN = /^[a-z][a-z0-9]{1,15}$/;

const ID_CHARS = 22;
const SECRET_BYTES = 32;
const SECRET_CHARS = 43;
const CHECKSUM_CHARS = 8;
/** The longest plaintext any valid prefix can make; longer input is rejected unread. */
export const MAX_KEY_LENGTH = 16 + 1 + ID_CHARS + 1 + SECRET_CHARS + 1 + CHECKSUM_CHARS;
/** How many characters of the id part `api_key.prefix` shows: public, and never the secret. */
const DISPLAY_ID_CHARS = 8;

const KEY_PATTERN = /^([a-z][a-z0-9]{1,15})_([A-Za-z0-9_-]{22})_([A-Za-z0-9_-]{43})_([0-9a-f]{8})$/;

export interface ApiKey {
  readonly id: string;
  readonly tenant_id: string;
  readonly name: string;
  readonly product?: string;
  readonly scopes: readonly Scope[];
  /** The leading part of the plaintext, for UIs: the prefix and the start of the public id. */
  readonly prefix: string;
  readonly created_by?: string;
  /** The key this one was rolled from (`api_key.rolled`). */
  readonly rolled_from?: string;
  readonly created_at: string;
  readonly expires_at: string | null;
  readonly revoked_at: string | null;
  readonly last_used_at: string | null;
}

/** The stored record: the key and its format-tagged argon2id hash (never returned). */
export interface ApiKeyRecord extends ApiKey {
  readonly secret_hash: string;
}

/** A key as the API shows it: every field of the record but the hash. */
export function apiKeyView(key: ApiKey): ApiKey {
  const { secret_hash: _hash, ...view } = key as ApiKeyRecord;
  return view;
}

export interface ParsedKey {
  readonly prefix: string;
  readonly id: string;
  /** The secret part, as presented (what the hash covers). */
  readonly secret: string;
}

export function isValidKeyPrefix(prefix: string): boolean {
  return KEY_PREFIX_PATTERN.test(prefix);
}

function checksum(body: string): string {
  return (crc32(body) >>> 0).toString(16).padStart(CHECKSUM_CHARS, '0');
}

export function uuidToIdPart(uuid: string): string {
  if (!isUuid(uuid)) throw new Error('not a lowercase UUID');
  return Buffer.from(uuid.replaceAll('-', ''), 'hex').toString('base64url');
}

/** The bytes of a base64url part, if `part` is their canonical encoding. */
function canonicalBytes(part: string): Buffer | undefined {
  const bytes = Buffer.from(part, 'base64url');
  // A last character with stray low bits decodes to the same bytes: only one spelling is a key.
  // KEY_PATTERN fixes the widths, so 22 and 43 characters always decode to 16 and 32 bytes.
  return bytes.toString('base64url') === part ? bytes : undefined;
}

function idPartToUuid(part: string): string | undefined {
  const bytes = canonicalBytes(part);
  if (!bytes) return undefined;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The plaintext of a new key. `secretBytes` must be 32 random bytes. */
export function formatKey(prefix: string, id: string, secretBytes: Uint8Array): string {
  if (!isValidKeyPrefix(prefix)) throw new Error('invalid key prefix');
  if (secretBytes.length !== SECRET_BYTES) throw new Error(`a key secret is ${SECRET_BYTES} bytes`);
  const body = `${prefix}_${uuidToIdPart(id)}_${Buffer.from(secretBytes).toString('base64url')}`;
  return `${body}_${checksum(body)}`;
}

/** What `api_key.prefix` shows of a key: enough to tell keys apart, nothing secret. */
export function displayPrefix(prefix: string, id: string): string {
  return `${prefix}_${uuidToIdPart(id).slice(0, DISPLAY_ID_CHARS)}`;
}

/**
 * The parts of a presented key, or undefined for anything that is not a well-formed key with
 * a matching checksum: wrong type, wrong length, wrong alphabet, non-canonical base64url, or
 * a mistyped character. Costs microseconds and no I/O; the input is never echoed anywhere.
 * Any well-formed prefix is accepted, so keys issued before a prefix change keep working.
 */
export function parseKey(input: unknown): ParsedKey | undefined {
  if (typeof input !== 'string') return undefined;
  // Stryker disable next-line ConditionalExpression: equivalent when false, KEY_PATTERN is anchored and fixed-width and refuses every longer input too; the bound only spares it the work
  if (input.length > MAX_KEY_LENGTH) return undefined;
  const m = KEY_PATTERN.exec(input);
  if (!m) return undefined;
  const [, prefix, idPart, secret, sum] = m;
  if (!prefix || !idPart || !secret || !sum) return undefined;
  if (checksum(input.slice(0, -(CHECKSUM_CHARS + 1))) !== sum) return undefined;
  const id = idPartToUuid(idPart);
  if (!id || !canonicalBytes(secret)) return undefined;
  return { prefix, id, secret };
}

/** Why a key cannot be used now, or undefined when it can (the tenant is checked apart). */
export function keyUnusable(key: ApiKey, now: Date): 'revoked' | 'expired' | undefined {
  if (key.revoked_at !== null) return 'revoked';
  if (key.expires_at !== null && Date.parse(key.expires_at) <= now.getTime()) return 'expired';
  return undefined;
}

export { SECRET_BYTES as KEY_SECRET_BYTES };
