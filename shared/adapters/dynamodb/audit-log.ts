import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditEvent, AuditInput } from '../../domain/audit';
import type { AuditLog, AuditPage, AuditPageQuery, StoredChain } from '../../ports/audit-log';
import type { Clock } from '../../ports/clock';
import { AuditedWriter, eventFromItem } from './audited-writer';
import { TableReader } from './items';
import { auditListKey, keys } from './keys';

/** The audit log over the table (keys and access patterns: docs/storage.md). */
export class DynamoAuditLog implements AuditLog {
  private readonly reader: TableReader;
  private readonly writer: AuditedWriter;

  constructor(db: DynamoDBClient, tableName: string, clock: Clock) {
    this.reader = new TableReader(db, tableName);
    this.writer = new AuditedWriter(this.reader, clock);
  }

  /** An event that changes no other state: its transaction is the event, its head and its id. */
  append(input: AuditInput): Promise<AuditEvent> {
    return this.writer.commit(input, () => []);
  }

  /** One Query on the combination's partition, an id range, `limit + 1` items at most. */
  async page(query: AuditPageQuery): Promise<AuditPage> {
    const key = auditListKey(query);
    const page = await this.reader.query({
      ...(key.index ? { IndexName: key.index } : { ConsistentRead: true }),
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
      ExpressionAttributeNames: { '#pk': key.pkName, '#sk': key.skName },
      values: { ':pk': key.pk, ':lo': key.sk(query.minId), ':hi': key.sk(query.maxId) },
      ScanIndexForward: false,
      // One more than asked: tells whether another page exists without an empty last page.
      Limit: query.limit + 1,
    });
    return {
      items: page.items.slice(0, query.limit).map(eventFromItem),
      more: page.items.length > query.limit,
      read: page.read,
    };
  }

  /** Every event of a chain, oldest first, and its head (a walk: cost grows with the chain). */
  async chain(chain: string): Promise<StoredChain> {
    const head = await this.writer.readHead(chain);
    const events: AuditEvent[] = [];
    const keyIds: number[] = [];
    const { PK } = keys.auditHead(chain);
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.reader.query({
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :event)',
        values: { ':pk': PK, ':event': 'EVENT#' },
        ConsistentRead: true,
        ...(start ? { start } : {}),
      });
      for (const item of page.items) {
        keyIds.push(Number(String(item.SK).slice('EVENT#'.length)));
        events.push(eventFromItem(item));
      }
      start = page.last;
    } while (start);
    return { events, keyIds, head };
  }

  async tenantExists(id: string): Promise<boolean> {
    return (await this.reader.get(keys.tenant(id))) !== undefined;
  }
}
