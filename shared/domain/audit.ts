import { createHash } from 'node:crypto';
import type { Origin } from './audit-events';

/**
 * Audit events and their hash chain. Each chain (one per tenant, one for events without a
 * tenant) links every event to its predecessor by the SHA-256 of a canonical JSON form, so a
 * changed, deleted, reordered or inserted event breaks a link that `verifyChain` finds. The
 * hash covers the fields an event has: events stored before a field existed verify as they were.
 */

export interface AuditInput {
  readonly tenant_id?: string;
  readonly project_id?: string;
  readonly actor_id?: string;
  readonly actor_name?: string;
  readonly actor_type?: string;
  readonly action: string;
  readonly target_id?: string;
  readonly target_type?: string;
  readonly target_name?: string;
  readonly product?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly source_ip?: string;
  readonly user_agent?: string;
  /** Set by the server from the credential, never by the caller (audit-events.ts). */
  readonly origin?: Origin;
  /** Tenant-plane writes: the API key that wrote the event. */
  readonly key_id?: string;
  /**
   * Random, on tenant events a tenant sees only in part: inside the hash, never shown to the
   * tenant, so the hash cannot confirm a guess at what was withheld (audit-projection.ts).
   */
  readonly nonce?: string;
}

export interface AuditEvent extends AuditInput {
  /** Time-ordered and below 2^53: milliseconds * 1000 + a sub-millisecond part. */
  readonly id: number;
  readonly created_at: string;
  readonly prev_hash: string;
  readonly hash: string;
}

/**
 * Every field an audit event may have: everything hashed. What a store reads back as the event
 * (the DynamoDB adapter's projection). A type check below fails the build if `AuditEvent` gains a
 * field this list lacks.
 */
export const AUDIT_EVENT_FIELDS = [
  'id',
  'created_at',
  'prev_hash',
  'hash',
  'tenant_id',
  'project_id',
  'actor_id',
  'actor_name',
  'actor_type',
  'action',
  'target_id',
  'target_type',
  'target_name',
  'product',
  'metadata',
  'source_ip',
  'user_agent',
  'origin',
  'key_id',
  'nonce',
] as const satisfies readonly (keyof AuditEvent)[];
type Unlisted = Exclude<keyof AuditEvent, (typeof AUDIT_EVENT_FIELDS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyFieldListed;

export const GENESIS_HASH = '0'.repeat(64);
export const GLOBAL_CHAIN = 'global';

/** The chain an event belongs to. */
export function chainOf(event: Pick<AuditInput, 'tenant_id'>): string {
  return event.tenant_id ?? GLOBAL_CHAIN;
}

export interface ChainHead {
  readonly last_id: number;
  readonly hash: string;
}

/**
 * The sub-millisecond parts an id may take. Single events take 0..899 (and 999 when the clock
 * is behind their chain); 900..998, exactly `MAX_BATCH_EVENTS` ids, belong to batches: a batch
 * claims one millisecond's block with one item (`batchBlock`), so its ids can never meet a
 * single event's id, nor another batch's, whichever chain either is on.
 */
export const BATCH_SLOT = 900;
/**
 * Events per batch transaction: DynamoDB's TransactWriteItems holds at most 100 items, and a
 * batch on one chain writes its events and the chain's head (docs/storage.md).
 */
export const MAX_BATCH_EVENTS = 99;
const BATCH_LAST_SLOT = BATCH_SLOT + MAX_BATCH_EVENTS - 1;

/** Whether `id` is one of a batch block's (sub-millisecond part 900..998). */
function inBatchBlock(id: number): boolean {
  const sub = id % 1000;
  return sub >= BATCH_SLOT && sub <= BATCH_LAST_SLOT;
}

/**
 * The next id of a chain: the clock's millisecond with a random sub-millisecond part below the
 * batch slots, and always above the chain's last id (skipping a batch block), so ids stay
 * ordered even if clocks disagree.
 */
export function nextAuditId(
  now: Date,
  head: ChainHead | undefined,
  random: () => number = Math.random,
): number {
  const fromClock = now.getTime() * 1000 + Math.floor(random() * BATCH_SLOT);
  const afterHead = (head?.last_id ?? 0) + 1;
  // In a batch block: its millisecond's 999, the first id past the block.
  const free = inBatchBlock(afterHead) ? afterHead - (afterHead % 1000) + BATCH_LAST_SLOT + 1 : afterHead;
  return Math.max(fromClock, free);
}

/**
 * The millisecond whose batch block (ids `ms * 1000 + 900` ..) a batch on a chain may use:
 * the clock's, or the first whose block is above the chain's last id.
 */
export function batchBlock(now: Date, head: ChainHead | undefined): number {
  const last = head?.last_id ?? 0;
  const afterHead = last % 1000 < BATCH_SLOT ? Math.floor(last / 1000) : Math.floor(last / 1000) + 1;
  return Math.max(now.getTime(), afterHead);
}

/** The first id of a millisecond's batch block: the id its claim is stored under. */
export const batchBlockStart = (ms: number): number => ms * 1000 + BATCH_SLOT;

/** The id under which `id`'s claim is stored: its own, or its batch block's first. */
export function idClaimOf(id: number): number {
  return inBatchBlock(id) ? batchBlockStart(Math.floor(id / 1000)) : id;
}

/** Seals `inputs` (at most `MAX_BATCH_EVENTS`) in order onto `head`, in the block of `ms`. */
export function sealBatch(
  inputs: readonly AuditInput[],
  head: ChainHead | undefined,
  ms: number,
): AuditEvent[] {
  if (inputs.length > MAX_BATCH_EVENTS) throw new Error(`a batch block holds ${MAX_BATCH_EVENTS} events`);
  const start = batchBlockStart(ms);
  if (start <= (head?.last_id ?? 0)) throw new Error('the batch block is not above the chain head');
  const events: AuditEvent[] = [];
  let prev = head?.hash ?? GENESIS_HASH;
  for (const [i, input] of inputs.entries()) {
    const unsealed = { ...input, id: start + i, created_at: new Date(ms).toISOString(), prev_hash: prev };
    const event = { ...unsealed, hash: hashEvent(unsealed) };
    events.push(event);
    prev = event.hash;
  }
  return events;
}

/** JSON with object keys sorted at every depth: the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const object = value as Record<string, unknown>;
  // The default sort: UTF-16 code unit order, the same in every engine (keys never tie).
  const keys = Object.keys(object)
    .filter((k) => object[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(object[k])}`).join(',')}}`;
}

export function hashEvent(event: Omit<AuditEvent, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(event)).digest('hex');
}

/** Seals `input` as the successor of `head`. */
export function sealEvent(input: AuditInput, head: ChainHead | undefined, now: Date): AuditEvent {
  const id = nextAuditId(now, head);
  const unsealed = {
    ...input,
    id,
    // From the id, not the clock: the two always agree, so a time range is an id range.
    created_at: new Date(Math.floor(id / 1000)).toISOString(),
    prev_hash: head?.hash ?? GENESIS_HASH,
  };
  return { ...unsealed, hash: hashEvent(unsealed) };
}

export type ChainBreak =
  | { readonly ok: true; readonly checked: number }
  | {
      readonly ok: false;
      readonly checked: number;
      readonly event_id: number | null;
      readonly reason: string;
    };

/**
 * Walks a chain oldest first against its head. Reports the first event whose hash or link
 * does not hold, or a head that does not match the last event (a deleted tail).
 */
export function verifyChain(
  eventsOldestFirst: readonly AuditEvent[],
  head: ChainHead | undefined,
  /** The id each event is stored under, when it is stored apart from the event (a table key). */
  keyIds?: readonly number[],
): ChainBreak {
  let prev = GENESIS_HASH;
  let lastId = 0;
  let checked = 0;
  for (const [i, event] of eventsOldestFirst.entries()) {
    const { hash, ...rest } = event;
    const keyId = keyIds?.[i];
    if (keyId !== undefined && keyId !== event.id)
      return { ok: false, checked, event_id: keyId, reason: 'stored under another id' };
    if (event.id <= lastId) return { ok: false, checked, event_id: event.id, reason: 'out of order' };
    if (event.prev_hash !== prev) return { ok: false, checked, event_id: event.id, reason: 'broken link' };
    if (hashEvent(rest) !== hash) return { ok: false, checked, event_id: event.id, reason: 'altered event' };
    prev = hash;
    lastId = event.id;
    checked++;
  }
  if ((head?.hash ?? GENESIS_HASH) !== prev || (head?.last_id ?? 0) !== lastId) {
    return {
      ok: false,
      checked,
      event_id: head?.last_id ?? null,
      reason: 'head does not match the last event',
    };
  }
  return { ok: true, checked };
}
