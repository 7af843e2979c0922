import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { ApiKeyRecord } from '../../domain/api-key';
import type { AuditInput } from '../../domain/audit';
import { DomainError } from '../../domain/errors';
import type { ApiKeyPage, ApiKeyStore, ApiKeyVerificationStore } from '../../ports/api-key-store';
import type { Clock } from '../../ports/clock';
import { AuditedWriter, type GuardedWrite, type WriterOptions } from './audited-writer';
import { TableReader, toItem } from './items';
import { indexes, keys, stripKeys } from './keys';
import { newestFirst } from './pages';

/** Thrown inside a commit when the key was revoked between the read and the write. */
class AlreadyRevoked extends DomainError {
  constructor() {
    super('conflict', 'the key is already revoked');
  }
}

/** Thrown inside a roll when the old key was revoked or rolled between the read and the write. */
export class ApiKeyChangedError extends DomainError {
  constructor() {
    super('conflict', 'the key was revoked or rolled by another request meanwhile; read it again');
  }
}

/**
 * API keys: `APIKEY#<id>` / `KEY`, listed per tenant on GSI1 (`TENANT#<id>#KEYS`). The key's
 * expiry is stored as `valid_until`, not `expires_at`: that name is the table's TTL attribute,
 * and a key record stays after it expires (the list shows it).
 */
export class DynamoApiKeyReader implements ApiKeyVerificationStore {
  protected readonly reader: TableReader;

  constructor(db: DynamoDBClient, tableName: string) {
    this.reader = new TableReader(db, tableName);
  }

  async getKey(id: string): Promise<ApiKeyRecord | undefined> {
    const item = await this.reader.get(keys.apiKey(id));
    return item ? keyFromItem(item) : undefined;
  }

  async touchKey(id: string, usedAt: string, notAfter: string): Promise<void> {
    await this.conditionalUpdate({
      Key: toItem({ ...keys.apiKey(id) }),
      UpdateExpression: 'SET last_used_at = :at',
      // At most once a minute across every container: a fresher stamp wins, quietly.
      ConditionExpression:
        'attribute_exists(PK) AND (attribute_not_exists(last_used_at) OR last_used_at < :notAfter)',
      ExpressionAttributeValues: toItem({ ':at': usedAt, ':notAfter': notAfter }),
    });
  }

  async rehashKey(id: string, previous: string, next: string): Promise<void> {
    await this.conditionalUpdate({
      Key: toItem({ ...keys.apiKey(id) }),
      UpdateExpression: 'SET secret_hash = :next',
      ConditionExpression: 'secret_hash = :previous',
      ExpressionAttributeValues: toItem({ ':next': next, ':previous': previous }),
    });
  }

  /** An UpdateItem whose failed condition means "someone got there first": not an error. */
  private async conditionalUpdate(
    input: Omit<ConstructorParameters<typeof UpdateItemCommand>[0], 'TableName'>,
  ): Promise<void> {
    try {
      await this.reader.db.send(new UpdateItemCommand({ ...input, TableName: this.reader.tableName }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return;
      throw error;
    }
  }
}

/**
 * The whole store: the reader's verification path, plus the list and the audited writes. The
 * tenant plane's admission uses `DynamoApiKeyReader` alone, so its bundles carry no audited writer.
 */
export class DynamoApiKeyStore extends DynamoApiKeyReader implements ApiKeyStore {
  private readonly writer: AuditedWriter;

  constructor(db: DynamoDBClient, tableName: string, clock: Clock, writer: WriterOptions = {}) {
    super(db, tableName);
    this.writer = new AuditedWriter(this.reader, clock, writer);
  }

  listKeys(tenantId: string, query: { limit: number; cursor?: string }): Promise<ApiKeyPage> {
    return newestFirst(this.reader, {
      index: 'GSI1',
      partition: indexes.tenantApiKeys(tenantId, '', '').GSI1PK,
      limit: query.limit,
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      keyOf: keys.apiKey,
      read: keyFromItem,
    });
  }

  async createKey(key: ApiKeyRecord, audit: AuditInput): Promise<void> {
    await this.writer.commit(audit, () => [newKeyWrite(key)], { resource: { kind: 'api_key', key } });
  }

  async rollKey(
    next: ApiKeyRecord,
    previous: { readonly id: string; readonly was: string | null; readonly expires_at: string },
    audit: AuditInput,
  ): Promise<void> {
    await this.writer.commit(
      audit,
      () => [
        newKeyWrite(next),
        {
          write: {
            Update: {
              Key: keys.apiKey(previous.id),
              UpdateExpression: 'SET valid_until = :until',
              // Unrevoked, and still with the expiry it was read with: a concurrent revoke or roll wins.
              ConditionExpression: `attribute_exists(PK) AND attribute_not_exists(revoked_at) AND ${
                previous.was === null ? 'attribute_not_exists(valid_until)' : 'valid_until = :was'
              }`,
              ExpressionAttributeValues: {
                ':until': previous.expires_at,
                ...(previous.was === null ? {} : { ':was': previous.was }),
              },
            },
          },
          conflict: () => new ApiKeyChangedError(),
        },
      ],
      { resource: { kind: 'api_key', key: next } },
    );
  }

  async revokeKey(key: ApiKeyRecord, revokedAt: string, audit: AuditInput): Promise<boolean> {
    const { id } = key;
    try {
      await this.writer.commit(
        audit,
        () => [
          {
            write: {
              Update: {
                Key: keys.apiKey(id),
                UpdateExpression: 'SET revoked_at = :at',
                ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(revoked_at)',
                ExpressionAttributeValues: { ':at': revokedAt },
              },
            },
            conflict: () => new AlreadyRevoked(),
          },
        ],
        { resource: { kind: 'api_key', key: { ...key, revoked_at: revokedAt } } },
      );
      return true;
    } catch (error) {
      if (error instanceof AlreadyRevoked) return false;
      throw error;
    }
  }
}

/** A new key's Put: its record and its place in the tenant's list, never over an existing id. */
function newKeyWrite(key: ApiKeyRecord): GuardedWrite {
  return {
    write: {
      Put: {
        Item: {
          ...keys.apiKey(key.id),
          entity: 'api_key',
          ...indexes.tenantApiKeys(key.tenant_id, key.created_at, key.id),
          ...keyToItem(key),
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    },
  };
}

/** Unset times are left out (never stored as NULL), so conditions can ask attribute_not_exists. */
function keyToItem(key: ApiKeyRecord): Record<string, unknown> {
  const { expires_at, ...rest } = key;
  const item: Record<string, unknown> = { ...rest, valid_until: expires_at };
  for (const [k, v] of Object.entries(item)) if (v === null) delete item[k];
  return item;
}

function keyFromItem(item: Record<string, unknown>): ApiKeyRecord {
  const { valid_until, ...rest } = stripKeys<Record<string, unknown>>(item);
  const record = rest as unknown as Omit<ApiKeyRecord, 'expires_at'>;
  return {
    ...record,
    expires_at: (valid_until as string | null | undefined) ?? null,
    revoked_at: record.revoked_at ?? null,
    last_used_at: record.last_used_at ?? null,
  };
}
