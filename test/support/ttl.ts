import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE } from '../../shared/adapters/dynamodb/table';

/**
 * What DynamoDB's TTL would have deleted by `now`, deleted: every item whose TTL attribute is a
 * Number of epoch seconds below `now`'s (an item without it, or with a value of another type,
 * never expires). DynamoDB Local keeps expired items, and real DynamoDB deletes them within a
 * few days, so a test decides when "later" is. Returns the keys it deleted.
 */
export async function expireByTtl(
  db: DynamoDBClient,
  tableName: string,
  now: Date,
): Promise<{ PK: string; SK: string }[]> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const expired: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        ProjectionExpression: 'PK, SK, #ttl',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const ttl = item[TTL_ATTRIBUTE]?.N;
      if (ttl !== undefined && Number(ttl) < nowSeconds) expired.push(item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  for (let i = 0; i < expired.length; i += 25) {
    const batch = expired.slice(i, i + 25);
    let pending = batch.map((item) => ({
      DeleteRequest: { Key: { PK: item.PK as AttributeValue, SK: item.SK as AttributeValue } },
    }));
    while (pending.length > 0) {
      const out = await db.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
  }
  return expired.map((item) => ({ PK: String(item.PK?.S), SK: String(item.SK?.S) }));
}
