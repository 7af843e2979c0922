import { ValidationError } from '../../domain/errors';
import { withinBudget } from '../../domain/page-budget';
import type { TableReader } from './items';
import { type Key, TENANT_LIST_SORT_PATTERN, tenantListSort } from './keys';

const CURSOR_PREFIX = 'v1.';

/** A page of records sorted by `<created_at>#<uuid>`; `next_cursor` only when there is more. */
export interface Page<T> {
  readonly items: T[];
  readonly next_cursor?: string;
}

/**
 * One page of an index partition whose sort key is `<created_at>#<uuid>`, newest first. Asks
 * for one item more than `limit`, so the last page carries no cursor. A page also ends early,
 * with a cursor, where DynamoDB stopped at its 1 MB per Query or where the next item would take
 * the page past the response budget (`withinBudget`). The cursor is opaque
 * (`v1.` + base64url of the sort key); one this API did not issue is a ValidationError, never
 * a DynamoDB error.
 */
export async function newestFirst<T extends { readonly created_at: string; readonly id: string }>(
  reader: TableReader,
  query: {
    readonly index: 'GSI1' | 'GSI2';
    readonly partition: string;
    readonly limit: number;
    readonly cursor?: string;
    /** The table key of the record a sort key names, to rebuild the start key. */
    readonly keyOf: (id: string) => Key;
    readonly read: (item: Record<string, unknown>) => T;
  },
): Promise<Page<T>> {
  const { index, partition, limit } = query;
  let start: Record<string, unknown> | undefined;
  if (query.cursor !== undefined) {
    const sort = decodeCursor(query.cursor);
    start = {
      ...query.keyOf(sort.slice(sort.indexOf('#') + 1)),
      [`${index}PK`]: partition,
      [`${index}SK`]: sort,
    };
  }
  const page = await reader.query({
    IndexName: index,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': `${index}PK` },
    values: { ':pk': partition },
    ScanIndexForward: false,
    Limit: limit + 1,
    ...(start ? { start } : {}),
  });
  const read = page.items.map(query.read);
  const items = withinBudget(read.slice(0, limit));
  const last = items.at(-1);
  const more = read.length > items.length || page.last !== undefined;
  return more && last
    ? { items, next_cursor: encodeCursor(tenantListSort(last.created_at, last.id)) }
    : { items };
}

function encodeCursor(sort: string): string {
  return CURSOR_PREFIX + Buffer.from(sort, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const sort = cursor.startsWith(CURSOR_PREFIX)
    ? Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString('utf8')
    : '';
  if (!TENANT_LIST_SORT_PATTERN.test(sort)) throw new ValidationError('cursor is not one this API issued');
  return sort;
}
