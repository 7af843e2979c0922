import type { AuditEvent, AuditInput, ChainHead } from '../domain/audit';
import type { Origin } from '../domain/audit-events';
import type { Checkpoint } from '../domain/audit-retention';
import type { FirstResponse, IdempotencyClaim } from '../domain/idempotency';

/** The filters a listing may combine (how each combination is served: docs/storage.md). */
export interface AuditFilters {
  readonly tenant_id?: string;
  readonly product?: string;
  readonly actor_id?: string;
  readonly action?: string;
  readonly origin?: Origin;
  readonly key_id?: string;
}

/** One page of a listing: ids from `minId` to `maxId` (both inclusive), newest first. */
export interface AuditPageQuery extends AuditFilters {
  readonly minId: number;
  readonly maxId: number;
  readonly limit: number;
  /** Oldest first instead (exports): `next` then says the next page holds ids above it only. */
  readonly oldestFirst?: boolean;
  /**
   * Written out event by event (exports), not carried whole in one response: no response byte
   * budget (`withinBudget`) cuts the page, and nothing measures each event's size for one.
   */
  readonly streamed?: boolean;
}

export interface AuditPage {
  /** At most `limit` events; fewer (even none) does not mean the listing is over. */
  readonly items: readonly AuditEvent[];
  /**
   * Present when more events may match: the next page holds ids below it only (above it,
   * oldest first).
   */
  readonly next?: number;
  /** Items the store read for this page (DynamoDB's ScannedCount): what a page costs. */
  readonly read: number;
}

/** A chain as stored, oldest first, with the id each event is stored under. */
export interface StoredChain {
  readonly events: readonly AuditEvent[];
  readonly keyIds: readonly number[];
  readonly head: ChainHead | undefined;
}

/** Stored events of a chain, oldest first, with the id each is stored under. */
export interface ChainPage {
  readonly events: readonly AuditEvent[];
  readonly keyIds: readonly number[];
  /** More pages follow. */
  readonly more: boolean;
}

/** The audit log: appends go onto the event's hash chain; listings cost what a page holds. */
export interface AuditLog {
  append(input: AuditInput): Promise<AuditEvent>;
  /**
   * Appends every input in one transaction, in order, each onto its chain: all or none. With
   * `idempotency`, the first response (`respond` of the stored events) commits in the same
   * transaction under the claim's key.
   */
  appendBatch(inputs: readonly AuditInput[], idempotency?: BatchIdempotency): Promise<AuditEvent[]>;
  page(query: AuditPageQuery): Promise<AuditPage>;
  chain(chain: string): Promise<StoredChain>;
  tenantExists(id: string): Promise<boolean>;
  /** The chain's head, read strongly. */
  head(chain: string): Promise<ChainHead | undefined>;
  /** The chain's checkpoint, once its oldest events may expire. */
  checkpoint(chain: string): Promise<Checkpoint | undefined>;
  /**
   * The chain's events from the id `fromId` on, oldest first, a page at a time; the next page
   * is read while the caller checks this one.
   */
  events(chain: string, fromId: number): AsyncIterable<ChainPage>;
  /** The chain an id was claimed for (alone, or within its batch block), if the claim exists. */
  idOwner(id: number): Promise<string | undefined>;
}

/** An Idempotency-Key on a batch: the claim and the response a replay answers. */
export interface BatchIdempotency {
  readonly claim: IdempotencyClaim;
  readonly respond: (events: readonly AuditEvent[]) => FirstResponse;
}
