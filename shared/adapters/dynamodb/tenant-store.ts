import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { type AuditEvent, type ChainHead, chainOf, sealEvent } from '../../domain/audit';
import {
  ConcurrentUpdateError,
  IdempotencyInProgressError,
  SlugTakenError,
  StaleVersionError,
  ValidationError,
} from '../../domain/errors';
import type { IdempotencyRecord } from '../../domain/idempotency';
import type { Tenant, TenantStatus } from '../../domain/tenant';
import type { Clock } from '../../ports/clock';
import type { SlugClaim, TenantPage, TenantStore, UnitOfWork } from '../../ports/tenant-store';
import {
  indexes,
  type Key,
  keys,
  SLUG_LIST,
  stripKeys,
  TENANT_LIST,
  TENANT_LIST_SORT_PATTERN,
  tenantListSort,
} from './keys';

/**
 * Plain objects to DynamoDB attribute values and back, with AWS's own marshaller (the
 * document client would add its weight to every bundle for the same two calls).
 */
const toItem = (value: Record<string, unknown>): Record<string, AttributeValue> =>
  marshall(value, { removeUndefinedValues: true });
const fromItem = (item: Record<string, AttributeValue>): Record<string, unknown> => unmarshall(item);

/** What a failed condition at a transaction position means to the caller. */
type Guard =
  | { readonly kind: 'tenant'; readonly isNew: boolean }
  | { readonly kind: 'slug'; readonly slug: string }
  | { readonly kind: 'head' }
  | { readonly kind: 'idempotency' }
  | { readonly kind: 'event' };

const MAX_ATTEMPTS = 6;
const CURSOR_PREFIX = 'v1.';

export class DynamoTenantStore implements TenantStore {
  constructor(
    private readonly db: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async getTenant(id: string): Promise<Tenant | undefined> {
    const item = await this.get(keys.tenant(id));
    return item ? stripKeys<Tenant>(item) : undefined;
  }

  async getSlugClaim(slug: string): Promise<SlugClaim | undefined> {
    const item = await this.get(keys.slugClaim(slug));
    return item ? stripKeys<SlugClaim>(item) : undefined;
  }

  async getIdempotencyRecord(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    const item = await this.get(keys.idempotency(scope, key));
    if (!item) return undefined;
    const record = stripKeys<IdempotencyRecord>(item);
    // DynamoDB deletes expired items lazily; an expired record no longer binds the key.
    return record.expires_at * 1000 > this.clock.now().getTime() ? record : undefined;
  }

  async listTenants(query: { status?: TenantStatus; limit: number; cursor?: string }): Promise<TenantPage> {
    const byStatus = query.status !== undefined;
    const index = byStatus ? 'GSI2' : 'GSI1';
    const partition = byStatus ? `${TENANT_LIST}#STATUS#${query.status}` : TENANT_LIST;
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: index,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': `${index}PK` },
      ExpressionAttributeValues: toItem({ ':pk': partition }),
      ScanIndexForward: false,
      // One more than asked: tells whether another page exists without an empty last page.
      Limit: query.limit + 1,
    };
    if (query.cursor !== undefined) {
      const sort = decodeCursor(query.cursor);
      const id = sort.slice(sort.indexOf('#') + 1);
      input.ExclusiveStartKey = toItem({
        ...keys.tenant(id),
        [`${index}PK`]: partition,
        [`${index}SK`]: sort,
      });
    }
    const { Items = [] } = await this.db.send(new QueryCommand(input));
    const items = Items.slice(0, query.limit).map((item) => stripKeys<Tenant>(fromItem(item)));
    const last = items.at(-1);
    return Items.length > query.limit && last
      ? { items, next_cursor: encodeCursor(tenantListSort(last.created_at, last.id)) }
      : { items };
  }

  async *slugClaims(): AsyncIterable<SlugClaim> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'GSI1',
          KeyConditionExpression: 'GSI1PK = :pk',
          ExpressionAttributeValues: toItem({ ':pk': SLUG_LIST }),
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) yield stripKeys<SlugClaim>(fromItem(item));
      start = page.LastEvaluatedKey;
    } while (start);
  }

  async ping(): Promise<void> {
    await this.db.send(
      new GetItemCommand({ TableName: this.tableName, Key: toItem({ ...keys.tenant('ping') }) }),
    );
  }

  private async get(key: Key): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(
      new GetItemCommand({ TableName: this.tableName, Key: toItem({ ...key }), ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  /**
   * Commits a unit of work and its audit event in one TransactWriteItems. The event is sealed
   * onto its chain inside the same transaction (the chain head is a conditional write), so
   * two writers of one chain cannot fork it: the loser re-reads the head and tries again.
   */
  async commit(unit: UnitOfWork): Promise<AuditEvent> {
    const chain = chainOf(unit.audit);
    const freshChain = unit.tenant?.expectedVersion === 'new' && unit.audit.tenant_id === unit.tenant.next.id;
    for (let attempt = 1; ; attempt++) {
      const head = freshChain ? undefined : await this.readHead(chain);
      const event = sealEvent(unit.audit, head, this.clock.now());
      const { writes, guards } = this.plan(unit, chain, head, event);
      try {
        await this.db.send(new TransactWriteItemsCommand({ TransactItems: writes.map(toTransactItem) }));
        return event;
      } catch (error) {
        const retry = this.explain(error, guards);
        if (!retry || attempt >= MAX_ATTEMPTS) throw retry ? new ConcurrentUpdateError() : error;
        await sleep(Math.random() * 20 * attempt);
      }
    }
  }

  private async readHead(chain: string): Promise<ChainHead | undefined> {
    const item = await this.get(keys.auditHead(chain));
    return item ? { last_id: Number(item.last_id), hash: String(item.hash) } : undefined;
  }

  private plan(unit: UnitOfWork, chain: string, head: ChainHead | undefined, event: AuditEvent) {
    const writes: PlainWrite[] = [];
    const guards: Guard[] = [];
    const table = this.tableName;
    const now = this.clock.now().toISOString();

    if (unit.idempotency) {
      const r = unit.idempotency;
      writes.push({
        Put: {
          TableName: table,
          Item: { ...keys.idempotency(r.scope, r.key), entity: 'idempotency', ...r },
          ConditionExpression: 'attribute_not_exists(PK) OR expires_at < :nowEpoch',
          ExpressionAttributeValues: { ':nowEpoch': Math.floor(Date.parse(now) / 1000) },
        },
      });
      guards.push({ kind: 'idempotency' });
    }

    if (unit.tenant) {
      const { next, expectedVersion } = unit.tenant;
      const isNew = expectedVersion === 'new';
      writes.push({
        Put: {
          TableName: table,
          Item: {
            ...keys.tenant(next.id),
            entity: 'tenant',
            ...indexes.tenantList(next.created_at, next.id),
            ...indexes.tenantsByStatus(next.status, next.created_at, next.id),
            ...next,
          },
          ...(isNew
            ? { ConditionExpression: 'attribute_not_exists(PK)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        },
      });
      guards.push({ kind: 'tenant', isNew });

      for (const change of unit.slugs ?? []) {
        if (change.kind === 'claim') {
          writes.push({
            Put: {
              TableName: table,
              Item: {
                ...keys.slugClaim(change.slug),
                entity: 'slug',
                ...indexes.slugList(change.slug),
                slug: change.slug,
                tenant_id: next.id,
                created_at: now,
              },
              // Free, out of quarantine, or this tenant's own retired alias: never read-then-write.
              ConditionExpression:
                'attribute_not_exists(PK) OR quarantine_until < :now OR (tenant_id = :tenant AND attribute_exists(retired_at))',
              ExpressionAttributeValues: { ':now': now, ':tenant': next.id },
            },
          });
        } else {
          writes.push({
            Update: {
              TableName: table,
              Key: keys.slugClaim(change.slug),
              UpdateExpression: 'SET retired_at = :now, quarantine_until = :until',
              ConditionExpression: 'tenant_id = :tenant AND attribute_not_exists(retired_at)',
              ExpressionAttributeValues: {
                ':now': now,
                ':until': change.quarantine_until,
                ':tenant': next.id,
              },
            },
          });
        }
        guards.push({ kind: 'slug', slug: change.slug });
      }
    }

    writes.push({
      Put: {
        TableName: table,
        Item: { ...keys.auditHead(chain), entity: 'audit_head', last_id: event.id, hash: event.hash },
        ...(head
          ? {
              ConditionExpression: '#hash = :prev',
              ExpressionAttributeNames: { '#hash': 'hash' },
              ExpressionAttributeValues: { ':prev': head.hash },
            }
          : { ConditionExpression: 'attribute_not_exists(PK)' }),
      },
    });
    guards.push({ kind: 'head' });
    writes.push({
      Put: {
        TableName: table,
        Item: { ...keys.auditEvent(chain, event.id), entity: 'audit_event', chain, ...event },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    });
    guards.push({ kind: 'event' });
    return { writes, guards };
  }

  /**
   * Turns a cancelled transaction into the domain error it stands for, or returns true when
   * the transaction lost a race that a fresh attempt can win.
   */
  private explain(error: unknown, guards: readonly Guard[]): true {
    if (!isCancellation(error)) throw error;
    const reasons = error.CancellationReasons ?? [];
    const failed = guards.filter((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed');
    const byPriority = (kind: Guard['kind']) => failed.find((g) => g.kind === kind);
    if (byPriority('idempotency')) throw new IdempotencyInProgressError();
    const slug = byPriority('slug');
    if (slug?.kind === 'slug') throw new SlugTakenError(slug.slug);
    const tenant = byPriority('tenant');
    if (tenant?.kind === 'tenant') throw tenant.isNew ? new ConcurrentUpdateError() : new StaleVersionError();
    // A moved chain head, an id collision or a TransactionConflict: try again.
    if (failed.length > 0 || reasons.some((r) => r.Code === 'TransactionConflict')) return true;
    throw error;
  }
}

/** A transaction item with plain values; `toTransactItem` marshals it. */
type PlainWrite =
  | {
      Put: {
        TableName: string;
        Item: Record<string, unknown>;
        ConditionExpression: string;
        ExpressionAttributeNames?: Record<string, string>;
        ExpressionAttributeValues?: Record<string, unknown>;
      };
    }
  | {
      Update: {
        TableName: string;
        Key: Key;
        UpdateExpression: string;
        ConditionExpression: string;
        ExpressionAttributeValues: Record<string, unknown>;
      };
    };

function toTransactItem(write: PlainWrite): TransactWriteItem {
  if ('Put' in write) {
    const { Item, ExpressionAttributeValues, ...rest } = write.Put;
    return {
      Put: {
        ...rest,
        Item: toItem(Item),
        ...(ExpressionAttributeValues
          ? { ExpressionAttributeValues: toItem(ExpressionAttributeValues) }
          : {}),
      },
    };
  }
  const { Key: key, ExpressionAttributeValues, ...rest } = write.Update;
  return {
    Update: {
      ...rest,
      Key: toItem({ ...key }),
      ExpressionAttributeValues: toItem(ExpressionAttributeValues),
    },
  };
}

interface Cancellation {
  readonly name: string;
  readonly CancellationReasons?: readonly { readonly Code?: string }[];
}

function isCancellation(error: unknown): error is Cancellation {
  return error instanceof Error && error.name === 'TransactionCanceledException';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
