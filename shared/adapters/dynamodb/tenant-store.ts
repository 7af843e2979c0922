import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditEvent } from '../../domain/audit';
import {
  ConcurrentUpdateError,
  IdempotencyInProgressError,
  SlugQuarantinedError,
  SlugTakenError,
  StaleVersionError,
} from '../../domain/errors';
import type { IdempotencyRecord } from '../../domain/idempotency';
import type { Tenant, TenantStatus } from '../../domain/tenant';
import type { Clock } from '../../ports/clock';
import type {
  SlugClaim,
  TenantPage,
  TenantReader,
  TenantStore,
  TenantWriter,
  UnitOfWork,
} from '../../ports/tenant-store';
import { AuditedWriter, type GuardedWrite, type WriterOptions } from './audited-writer';
import { TableReader } from './items';
import { indexes, keys, SLUG_LIST, stripKeys, TENANT_LIST } from './keys';
import { newestFirst } from './pages';

/**
 * A first response stored with what it answers: the key is free, or its record expired (TTL
 * deletes lazily). A key taken meanwhile is a concurrent duplicate still committing.
 */
export function idempotencyWrite(r: IdempotencyRecord, at: Date): GuardedWrite {
  return {
    write: {
      Put: {
        Item: { ...keys.idempotency(r.scope, r.key), entity: 'idempotency', ...r },
        ConditionExpression: 'attribute_not_exists(PK) OR expires_at < :nowEpoch',
        ExpressionAttributeValues: { ':nowEpoch': Math.floor(at.getTime() / 1000) },
      },
    },
    conflict: () => new IdempotencyInProgressError(),
    rank: 0,
  };
}

/**
 * The read side of the tenant store (keys and access patterns: docs/storage.md). A class of its
 * own because methods do not tree-shake: a function that only reads carries no writer.
 */
export class DynamoTenantReader implements TenantReader {
  protected readonly reader: TableReader;

  constructor(
    db: DynamoDBClient,
    tableName: string,
    protected readonly clock: Clock,
  ) {
    this.reader = new TableReader(db, tableName);
  }

  async getTenant(id: string): Promise<Tenant | undefined> {
    const item = await this.reader.get(keys.tenant(id));
    return item ? tenantFromItem(item) : undefined;
  }

  async getSlugClaim(slug: string): Promise<SlugClaim | undefined> {
    const item = await this.reader.get(keys.slugClaim(slug));
    return item ? stripKeys<SlugClaim>(item) : undefined;
  }

  async getIdempotencyRecord(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    const item = await this.reader.get(keys.idempotency(scope, key));
    if (!item) return undefined;
    const record = stripKeys<IdempotencyRecord>(item);
    // DynamoDB deletes expired items lazily; an expired record no longer binds the key.
    return record.expires_at * 1000 > this.clock.now().getTime() ? record : undefined;
  }

  async ping(): Promise<void> {
    await this.reader.get(keys.tenant('ping'));
  }
}

/** The reads above and the audited commit: what the functions that change tenants bundle. */
export class DynamoTenantWriter extends DynamoTenantReader implements TenantWriter {
  private readonly writer: AuditedWriter;

  constructor(db: DynamoDBClient, tableName: string, clock: Clock, writer: WriterOptions = {}) {
    super(db, tableName, clock);
    this.writer = new AuditedWriter(this.reader, clock, writer);
  }

  /** The unit's writes and its audit event, in one transaction (see AuditedWriter). */
  commit(unit: UnitOfWork): Promise<AuditEvent> {
    const freshChain = unit.tenant?.expectedVersion === 'new' && unit.audit.tenant_id === unit.tenant.next.id;
    return this.writer.commit(unit.audit, (now) => this.writes(unit, now), {
      freshChain,
      ...(unit.tenant ? { resource: { kind: 'tenant', tenant: unit.tenant.next } } : {}),
      ...(unit.since === undefined ? {} : { since: unit.since }),
    });
  }

  private writes(unit: UnitOfWork, at: Date): GuardedWrite[] {
    const now = at.toISOString();
    const out: GuardedWrite[] = [];
    if (unit.idempotency) out.push(idempotencyWrite(unit.idempotency, at));
    if (unit.idempotentResponse) {
      const r = unit.idempotentResponse;
      out.push({
        write: {
          Update: {
            Key: keys.idempotency(r.scope, r.key),
            UpdateExpression: 'SET #body = :body',
            ConditionExpression: 'fingerprint = :fingerprint',
            ExpressionAttributeNames: { '#body': 'body' },
            ExpressionAttributeValues: { ':body': r.body, ':fingerprint': r.fingerprint },
          },
        },
        // Expired or taken over by another body: nothing of this create's to update.
        conflict: () => new ConcurrentUpdateError(),
        rank: 0,
      });
    }
    if (!unit.tenant) return out;

    const { next, expectedVersion } = unit.tenant;
    const isNew = expectedVersion === 'new';
    out.push({
      write: {
        Put: {
          Item: {
            ...keys.tenant(next.id),
            entity: 'tenant',
            ...indexes.tenantList(next.created_at, next.id),
            ...indexes.tenantsByStatus(next.status, next.created_at, next.id),
            ...tenantToItem(next),
          },
          ...(isNew
            ? { ConditionExpression: 'attribute_not_exists(PK)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        },
      },
      conflict: () => (isNew ? new ConcurrentUpdateError() : new StaleVersionError()),
      rank: 2,
    });
    for (const change of unit.slugs ?? []) {
      const taken = () => new SlugTakenError(change.slug);
      if (change.kind === 'claim') {
        const claimed = (current: Record<string, unknown> | undefined) => {
          const until = current?.quarantine_until;
          // Refused while retired means in another tenant's quarantine: say until when.
          return current?.retired_at !== undefined && typeof until === 'string'
            ? new SlugQuarantinedError(change.slug, until)
            : taken();
        };
        out.push({
          write: {
            Put: {
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
              // The claim that stood in the way, read by the same write: why it was refused.
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          conflict: claimed,
          rank: 1,
        });
      } else {
        out.push({
          write: {
            Update: {
              Key: keys.slugClaim(change.slug),
              UpdateExpression: 'SET retired_at = :now, quarantine_until = :until',
              ConditionExpression: 'tenant_id = :tenant AND attribute_not_exists(retired_at)',
              ExpressionAttributeValues: {
                ':now': now,
                ':until': change.quarantine_until,
                ':tenant': next.id,
              },
            },
          },
          conflict: taken,
          rank: 1,
        });
      }
    }
    return out;
  }
}

/** Tenants, slug claims and idempotency records: reads, the audited commit and the lists. */
export class DynamoTenantStore extends DynamoTenantWriter implements TenantStore {
  listTenants(query: { status?: TenantStatus; limit: number; cursor?: string }): Promise<TenantPage> {
    const byStatus = query.status !== undefined;
    return newestFirst(this.reader, {
      index: byStatus ? 'GSI2' : 'GSI1',
      partition: byStatus ? `${TENANT_LIST}#STATUS#${query.status}` : TENANT_LIST,
      limit: query.limit,
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      keyOf: keys.tenant,
      read: tenantFromItem,
    });
  }

  async *slugClaims(): AsyncIterable<SlugClaim> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.reader.query({
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        values: { ':pk': SLUG_LIST },
        ...(start ? { start } : {}),
      });
      for (const item of page.items) yield stripKeys<SlugClaim>(item);
      start = page.last;
    } while (start);
  }
}

/**
 * Free-form settings are kept as JSON text: any JSON the API accepted round-trips exactly,
 * whatever DynamoDB's limits on numbers, nesting and attribute names.
 */
function tenantToItem(tenant: Tenant): Record<string, unknown> {
  return { ...tenant, settings: JSON.stringify(tenant.settings) };
}

function tenantFromItem(item: Record<string, unknown>): Tenant {
  const tenant = stripKeys<Tenant & { settings: unknown }>(item);
  const settings =
    typeof tenant.settings === 'string' ? (JSON.parse(tenant.settings) as Record<string, unknown>) : {};
  return { ...tenant, settings };
}
