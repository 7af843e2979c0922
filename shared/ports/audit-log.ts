import type { AuditEvent, AuditInput, ChainHead } from '../domain/audit';

/** The filters a listing may combine; each combination is served by its own index. */
export interface AuditFilters {
  readonly tenant_id?: string;
  readonly product?: string;
  readonly actor_id?: string;
  readonly action?: string;
}

/** One page of a listing: ids from `minId` to `maxId` (both inclusive), newest first. */
export interface AuditPageQuery extends AuditFilters {
  readonly minId: number;
  readonly maxId: number;
  readonly limit: number;
}

export interface AuditPage {
  readonly items: readonly AuditEvent[];
  /** Whether older events match beyond this page. */
  readonly more: boolean;
  /** Items the store read for this page (DynamoDB's ScannedCount): what a page costs. */
  readonly read: number;
}

/** A chain as stored, oldest first, with the id each event is stored under. */
export interface StoredChain {
  readonly events: readonly AuditEvent[];
  readonly keyIds: readonly number[];
  readonly head: ChainHead | undefined;
}

/** The audit log: appends go onto the event's hash chain; listings cost what a page holds. */
export interface AuditLog {
  append(input: AuditInput): Promise<AuditEvent>;
  page(query: AuditPageQuery): Promise<AuditPage>;
  chain(chain: string): Promise<StoredChain>;
  tenantExists(id: string): Promise<boolean>;
}
