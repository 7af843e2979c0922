import { type DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Checkpoint } from '../../domain/audit-retention';
import type { AuditRetentionStore, VerifyProgress } from '../../ports/audit-retention-store';
import { TableReader, toItem } from './items';
import { keys } from './keys';
import { TTL_ATTRIBUTE } from './table';

/** Stamps at once per chain: enough to keep up, few enough to leave the table's capacity to requests. */
const STAMP_CONCURRENCY = 16;

/**
 * The scheduled verifier's items and the TTL stamps (docs/storage.md): the checkpoint, the
 * verify progress and the run cursor are plain puts; events expire by an UpdateItem of their
 * TTL attribute, only at or behind the checkpoint, after the checkpoint is written.
 */
export class DynamoAuditRetentionStore implements AuditRetentionStore {
  private readonly reader: TableReader;

  constructor(
    private readonly db: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.reader = new TableReader(db, tableName);
  }

  async progress(chain: string): Promise<VerifyProgress | undefined> {
    const item = await this.reader.get(keys.auditVerifyProgress(chain));
    if (!item) return undefined;
    const { PK: _pk, SK: _sk, entity: _e, updated_at: _u, ...progress } = item;
    return progress as unknown as VerifyProgress;
  }

  async saveProgress(chain: string, progress: VerifyProgress, now: Date): Promise<void> {
    await this.db.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: toItem({
          ...keys.auditVerifyProgress(chain),
          entity: 'audit_verify_progress',
          ...progress,
          updated_at: now.toISOString(),
        }),
      }),
    );
  }

  async advanceCheckpoint(
    chain: string,
    next: Checkpoint,
    previous: Checkpoint | undefined,
    now: Date,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({
            ...keys.auditCheckpoint(chain),
            entity: 'audit_checkpoint',
            id: next.id,
            hash: next.hash,
            at: next.at,
            // Events up to here already carry their TTL (the previous checkpoint's stretch).
            stamped_through: previous?.id ?? 0,
            updated_at: now.toISOString(),
          }),
          ...(previous
            ? {
                ConditionExpression: '#id = :previous',
                ExpressionAttributeNames: { '#id': 'id' },
                ExpressionAttributeValues: toItem({ ':previous': previous.id }),
              }
            : { ConditionExpression: 'attribute_not_exists(PK)' }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async expireBehindCheckpoint(chain: string, checkpoint: Checkpoint, expiresAt: number): Promise<number> {
    const item = await this.reader.get(keys.auditCheckpoint(chain));
    if (!item || Number(item.id) !== checkpoint.id) return 0;
    const from = Number(item.stamped_through ?? 0) + 1;
    if (from > checkpoint.id) return 0;
    let stamped = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.reader.query({
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :lo AND :hi',
        values: {
          ':pk': keys.auditHead(chain).PK,
          ':lo': keys.auditEvent(chain, from).SK,
          ':hi': keys.auditEvent(chain, checkpoint.id).SK,
        },
        ProjectionExpression: 'SK',
        ...(start ? { start } : {}),
      });
      const ids = page.items.map((i) => Number(String(i.SK).slice('EVENT#'.length)));
      for (let i = 0; i < ids.length; i += STAMP_CONCURRENCY) {
        const batch = ids.slice(i, i + STAMP_CONCURRENCY);
        await Promise.all(
          batch.flatMap((id) => [
            this.stamp(keys.auditEvent(chain, id), expiresAt),
            this.stamp(keys.auditId(id), expiresAt),
          ]),
        );
        stamped += batch.length;
      }
      start = page.last;
    } while (start);
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: toItem({ ...keys.auditCheckpoint(chain) }),
        UpdateExpression: 'SET stamped_through = :to',
        ConditionExpression: '#id = :id',
        ExpressionAttributeNames: { '#id': 'id' },
        ExpressionAttributeValues: toItem({ ':to': checkpoint.id, ':id': checkpoint.id }),
      }),
    );
    return stamped;
  }

  /** The TTL on one item that still exists (an expired one is not written back). */
  private async stamp(key: { PK: string; SK: string }, expiresAt: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem({ ...key }),
          UpdateExpression: 'SET #ttl = :at',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(#ttl)',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: toItem({ ':at': expiresAt }),
        }),
      );
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
    }
  }

  async runCursor(): Promise<string | undefined> {
    const item = await this.reader.get(keys.auditVerifierRun());
    return typeof item?.cursor === 'string' ? item.cursor : undefined;
  }

  async saveRunCursor(cursor: string | undefined): Promise<void> {
    await this.db.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: toItem({ ...keys.auditVerifierRun(), entity: 'audit_verifier_run', cursor }),
      }),
    );
  }
}
