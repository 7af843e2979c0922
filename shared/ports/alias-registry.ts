/**
 * The published slug -> tenant id map that other products read (SSM Parameter Store). It
 * follows the table: written after a commit, repaired by the reconciler.
 */
export interface AliasRegistry {
  lookup(slug: string): Promise<string | undefined>;
  publish(slug: string, tenantId: string): Promise<void>;
  unpublish(slug: string): Promise<void>;
  ping(): Promise<void>;
}

/** The registry with a listing of every published alias: the reconciler's, apart so request paths do not carry it. */
export interface ListedAliasRegistry extends AliasRegistry {
  /** Every published alias. */
  entries(): AsyncIterable<{ readonly slug: string; readonly tenant_id: string }>;
}
