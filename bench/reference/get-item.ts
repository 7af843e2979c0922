/**
 * The reference bundle for bench/bundles.ts: the smallest useful Lambda on the same SDK, one
 * DynamoDB GetItem and nothing else. Endpoint bundles are measured against it (B1, B2).
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

const client = new DynamoDBClient({});

export const handler = async (event: { id: string }): Promise<Record<string, unknown> | null> => {
  const out = await client.send(
    new GetItemCommand({
      TableName: process.env.TENANT_REGISTRY_TABLE_NAME ?? 'tenant-registry',
      Key: { PK: { S: `TENANT#${event.id}` }, SK: { S: 'TENANT' } },
    }),
  );
  return out.Item ?? null;
};
