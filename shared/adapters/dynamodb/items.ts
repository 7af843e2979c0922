import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Key } from './keys';

/**
 * Plain objects to DynamoDB attribute values and back, with AWS's own marshaller (the
 * document client would add its weight to every bundle for the same two calls).
 */
export const toItem = (value: Record<string, unknown>): Record<string, AttributeValue> =>
  marshall(value, { removeUndefinedValues: true });
export const fromItem = (item: Record<string, AttributeValue>): Record<string, unknown> => unmarshall(item);

/** A transaction item with plain values; `toTransactItem` marshals it. */
export type PlainWrite =
  | {
      readonly Put: {
        readonly Item: Record<string, unknown>;
        readonly ConditionExpression?: string;
        readonly ExpressionAttributeNames?: Record<string, string>;
        readonly ExpressionAttributeValues?: Record<string, unknown>;
        /** `ALL_OLD`: a failed condition hands the item it failed on to the write's `conflict`. */
        readonly ReturnValuesOnConditionCheckFailure?: 'ALL_OLD';
      };
    }
  | {
      readonly Update: {
        readonly Key: Key;
        readonly UpdateExpression: string;
        readonly ConditionExpression?: string;
        readonly ExpressionAttributeNames?: Record<string, string>;
        readonly ExpressionAttributeValues?: Record<string, unknown>;
      };
    }
  | {
      readonly Delete: {
        readonly Key: Key;
        readonly ConditionExpression?: string;
        readonly ExpressionAttributeNames?: Record<string, string>;
        readonly ExpressionAttributeValues?: Record<string, unknown>;
      };
    }
  | {
      /** A condition on an item the transaction does not change (it still fails the whole). */
      readonly ConditionCheck: {
        readonly Key: Key;
        readonly ConditionExpression: string;
        readonly ExpressionAttributeNames?: Record<string, string>;
        readonly ExpressionAttributeValues?: Record<string, unknown>;
      };
    };

export function toTransactItem(write: PlainWrite, tableName: string): TransactWriteItem {
  const values = (v: Record<string, unknown> | undefined) =>
    v ? { ExpressionAttributeValues: toItem(v) } : {};
  if ('Put' in write) {
    const { Item, ExpressionAttributeValues, ...rest } = write.Put;
    return {
      Put: { TableName: tableName, ...rest, Item: toItem(Item), ...values(ExpressionAttributeValues) },
    };
  }
  if ('Update' in write) {
    const { Key: key, ExpressionAttributeValues, ...rest } = write.Update;
    return {
      Update: {
        TableName: tableName,
        ...rest,
        Key: toItem({ ...key }),
        ...values(ExpressionAttributeValues),
      },
    };
  }
  if ('ConditionCheck' in write) {
    const { Key: key, ExpressionAttributeValues, ...rest } = write.ConditionCheck;
    return {
      ConditionCheck: {
        TableName: tableName,
        ...rest,
        Key: toItem({ ...key }),
        ...values(ExpressionAttributeValues),
      },
    };
  }
  const { Key: key, ExpressionAttributeValues, ...rest } = write.Delete;
  return {
    Delete: { TableName: tableName, ...rest, Key: toItem({ ...key }), ...values(ExpressionAttributeValues) },
  };
}

/** A Query's input with its values and start key in plain form. */
export type QueryPageInput = Omit<
  QueryCommandInput,
  'TableName' | 'ExpressionAttributeValues' | 'ExclusiveStartKey'
> & {
  readonly values: Record<string, unknown>;
  readonly start?: Record<string, unknown>;
};

/** A Query's page: its items, the key to go on from (plain), the items DynamoDB read. */
export interface QueryPage<T> {
  readonly items: T[];
  readonly last?: Record<string, unknown>;
  readonly read: number;
}

/** Reads every store shares: a strongly consistent GetItem and a Query, in plain values. */
export class TableReader {
  constructor(
    readonly db: DynamoDBClient,
    readonly tableName: string,
  ) {}

  async get(key: Key): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(
      new GetItemCommand({ TableName: this.tableName, Key: toItem({ ...key }), ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  /** One page of a Query; values and the start key in plain form. */
  async query(input: QueryPageInput): Promise<QueryPage<Record<string, unknown>>> {
    const page = await this.queryItems(input);
    return { ...page, items: page.items.map(fromItem) };
  }

  /**
   * The same page with its items as DynamoDB returned them, for a reader that converts them
   * itself: one copy of each item instead of two (audit events: `eventFromAttributes`).
   */
  async queryItems(input: QueryPageInput): Promise<QueryPage<Record<string, AttributeValue>>> {
    const { values, start, ...rest } = input;
    const page = await this.db.send(
      new QueryCommand({
        ...rest,
        TableName: this.tableName,
        ExpressionAttributeValues: toItem(values),
        ...(start ? { ExclusiveStartKey: toItem(start) } : {}),
      }),
    );
    return {
      items: page.Items ?? [],
      ...(page.LastEvaluatedKey ? { last: fromItem(page.LastEvaluatedKey) } : {}),
      read: page.ScannedCount ?? 0,
    };
  }
}
