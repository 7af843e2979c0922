import { BatchWriteItemCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { eventItem } from '../../shared/adapters/dynamodb/audited-writer';
import { toItem } from '../../shared/adapters/dynamodb/items';
import { keys } from '../../shared/adapters/dynamodb/keys';
import { type AuditEvent, type AuditInput, type ChainHead, sealEvent } from '../../shared/domain/audit';

/**
 * Seeds one tenant's chain straight into the table, fast (BatchWriteItem, 25 items a call, a few
 * calls at once): a bare tenant item, `count` events sealed onto the chain a millisecond apart
 * (items built by the writer's own `eventItem`, so every list index sees them) and the chain's
 * head. For tests and benchmarks that need more events than appending one by one can make.
 */
export async function seedTenantChain(
  db: DynamoDBClient,
  tableName: string,
  tenantId: string,
  count: number,
  options: { start?: number; input?: (i: number) => Omit<AuditInput, 'tenant_id'> } = {},
): Promise<{ head: ChainHead | undefined }> {
  const start = options.start ?? Date.UTC(2025, 0, 1);
  const input = options.input ?? ((i: number) => ({ action: 'record.touched', target_id: `record-${i}` }));
  await db.send(
    new PutItemCommand({
      TableName: tableName,
      Item: toItem({ ...keys.tenant(tenantId), entity: 'tenant', id: tenantId }),
    }),
  );
  let head: ChainHead | undefined;
  let batch: Record<string, unknown>[] = [];
  const inflight: Promise<void>[] = [];
  const flush = async (items: Record<string, unknown>[]) => {
    let pending = items.map((item) => ({ PutRequest: { Item: toItem(item) } }));
    while (pending.length > 0) {
      const out = await db.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    }
  };
  for (let i = 0; i < count; i++) {
    const event: AuditEvent = sealEvent({ ...input(i), tenant_id: tenantId }, head, new Date(start + i));
    head = { last_id: event.id, hash: event.hash };
    batch.push(eventItem(tenantId, event));
    if (batch.length === 25) {
      inflight.push(flush(batch));
      batch = [];
      // A few batches in flight at a time: the items of the rest are not built yet.
      if (inflight.length >= 8) await Promise.all(inflight.splice(0));
    }
  }
  if (batch.length > 0) inflight.push(flush(batch));
  await Promise.all(inflight);
  if (head) {
    await db.send(
      new PutItemCommand({
        TableName: tableName,
        Item: toItem({
          ...keys.auditHead(tenantId),
          entity: 'audit_head',
          last_id: head.last_id,
          hash: head.hash,
        }),
      }),
    );
  }
  return { head };
}
