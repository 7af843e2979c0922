import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AuditEvent, AuditInput } from '../../domain/audit';
import type { CatalogEntry, Entitlement } from '../../domain/catalog';
import { CatalogRuleError, ConcurrentUpdateError } from '../../domain/errors';
import type { EventResource } from '../../domain/events';
import type { CatalogReader, CatalogStore, Expected, TrialGuard } from '../../ports/catalog-store';
import type { Clock } from '../../ports/clock';
import { AuditedWriter, type GuardedWrite, type WriterOptions } from './audited-writer';
import { TableReader } from './items';
import { CATALOG_LIST, ENTITLEMENT_PREFIX, indexes, type Key, keys, stripKeys } from './keys';

/**
 * The catalog's reads (keys and access patterns: docs/storage.md). A class of its own because
 * methods do not tree-shake: a function that only reads carries no writer.
 */
export class DynamoCatalogReader implements CatalogReader {
  protected readonly reader: TableReader;

  constructor(db: DynamoDBClient, tableName: string) {
    this.reader = new TableReader(db, tableName);
  }

  async getEntry(key: string): Promise<CatalogEntry | undefined> {
    const item = await this.reader.get(keys.catalogEntry(key));
    return item ? entryFromItem(item) : undefined;
  }

  async listEntries(): Promise<CatalogEntry[]> {
    const out: CatalogEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.reader.query({
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        values: { ':pk': CATALOG_LIST },
        ...(start ? { start } : {}),
      });
      out.push(...page.items.map(entryFromItem));
      start = page.last;
    } while (start);
    return out;
  }

  async getEntitlement(tenantId: string, product: string): Promise<Entitlement | undefined> {
    const item = await this.reader.get(keys.entitlement(tenantId, product));
    return item ? entitlementFromItem(item) : undefined;
  }

  async listEntitlements(tenantId: string): Promise<Entitlement[]> {
    const out: Entitlement[] = [];
    const { PK } = keys.entitlement(tenantId, '');
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.reader.query({
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        values: { ':pk': PK, ':prefix': ENTITLEMENT_PREFIX },
        ConsistentRead: true,
        ...(start ? { start } : {}),
      });
      out.push(...page.items.map(entitlementFromItem));
      start = page.last;
    } while (start);
    return out;
  }
}

/** Catalog entries, entitlements and trial markers: the reads above and the audited writes. */
export class DynamoCatalogStore extends DynamoCatalogReader implements CatalogStore {
  private readonly writer: AuditedWriter;

  constructor(
    db: DynamoDBClient,
    tableName: string,
    private readonly clock: Clock,
    writer: WriterOptions = {},
  ) {
    super(db, tableName);
    this.writer = new AuditedWriter(this.reader, clock, writer);
  }

  putEntry(entry: CatalogEntry, expected: Expected, audit: AuditInput): Promise<AuditEvent> {
    const item = {
      ...keys.catalogEntry(entry.key),
      entity: 'catalog_entry',
      ...indexes.catalogList(entry.key),
      ...entryToItem(entry),
    };
    return this.writer.commit(audit, () => [versioned(item, expected)], {
      resource: { kind: 'catalog_entry', entry },
    });
  }

  putEntitlement(
    entitlement: Entitlement,
    expected: Expected,
    audit: AuditInput,
    options: { readonly tenantNotArchived?: boolean } = {},
  ): Promise<AuditEvent> {
    const guard: GuardedWrite[] = options.tenantNotArchived
      ? [
          {
            write: {
              ConditionCheck: {
                Key: keys.tenant(entitlement.tenant_id),
                ConditionExpression: '#status <> :archived',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':archived': 'archived' },
              },
            },
            conflict: () =>
              new CatalogRuleError('tenant_inactive', 'tenant is archived and cannot be granted products'),
            rank: 0,
          },
        ]
      : [];
    return this.writer.commit(audit, () => [...guard, versioned(entitlementItem(entitlement), expected)], {
      resource: this.entitlementResource(entitlement),
    });
  }

  startTrial(entitlement: Entitlement, tenant: TrialGuard, audit: AuditInput): Promise<AuditEvent> {
    const { tenant_id: tenantId, product } = entitlement;
    return this.writer.commit(
      audit,
      (now) => [
        {
          // The tenant as the decision saw it: still live, still on that plan. A change since is a
          // race the caller re-decides (a tenant frozen meanwhile then gets its 409).
          write: {
            ConditionCheck: {
              Key: keys.tenant(tenantId),
              ConditionExpression: '#status IN (:demo, :trial, :active) AND #plan = :plan',
              ExpressionAttributeNames: { '#status': 'status', '#plan': 'plan' },
              ExpressionAttributeValues: {
                ':demo': 'demo',
                ':trial': 'trial',
                ':active': 'active',
                ':plan': tenant.plan,
              },
            },
          },
          conflict: () => new ConcurrentUpdateError(),
          rank: 2,
        },
        {
          write: {
            Put: {
              Item: {
                ...keys.trialMarker(tenantId, product),
                entity: 'trial_marker',
                tenant_id: tenantId,
                product,
                started_at: now.toISOString(),
              },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          conflict: () =>
            new CatalogRuleError('trial_used', `the tenant has already had its trial of '${product}'`),
          rank: 0,
        },
        {
          write: {
            Put: {
              Item: entitlementItem(entitlement),
              // Never cut a live entitlement down to a 14-day trial.
              ConditionExpression: 'attribute_not_exists(PK) OR enabled = :off OR expires_at <= :now',
              ExpressionAttributeValues: { ':off': false, ':now': now.toISOString() },
            },
          },
          conflict: () =>
            new CatalogRuleError('already_entitled', `the tenant is already entitled to '${product}'`),
          rank: 1,
        },
      ],
      { resource: this.entitlementResource(entitlement) },
    );
  }

  private entitlementResource(entitlement: Entitlement): EventResource {
    return { kind: 'entitlement', entitlement, now: this.clock.now() };
  }

  record(audit: AuditInput): Promise<AuditEvent> {
    return this.writer.commit(audit, () => []);
  }
}

/** A put that replaces exactly the version read (or nothing); losing a race is a ConcurrentUpdateError. */
function versioned(item: Key & Record<string, unknown>, expected: Expected): GuardedWrite {
  return {
    write: {
      Put: {
        Item: item,
        ...(expected === 'new'
          ? { ConditionExpression: 'attribute_not_exists(PK)' }
          : {
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': expected },
            }),
      },
    },
    conflict: () => new ConcurrentUpdateError(),
  };
}

/**
 * Free-form JSON (`paths`, `config`) is kept as JSON text, as tenant settings are: any JSON the
 * API accepted round-trips exactly, whatever DynamoDB's limits on numbers, nesting and names.
 */
function entryToItem(entry: CatalogEntry): Record<string, unknown> {
  return entry.paths === undefined ? { ...entry } : { ...entry, paths: JSON.stringify(entry.paths) };
}

function entryFromItem(item: Record<string, unknown>): CatalogEntry {
  const entry = stripKeys<CatalogEntry & { paths?: unknown }>(item);
  return typeof entry.paths === 'string'
    ? { ...entry, paths: JSON.parse(entry.paths) as Record<string, unknown> }
    : entry;
}

function entitlementItem(e: Entitlement): Key & Record<string, unknown> {
  return {
    ...keys.entitlement(e.tenant_id, e.product),
    entity: 'entitlement',
    ...e,
    config: JSON.stringify(e.config),
  };
}

function entitlementFromItem(item: Record<string, unknown>): Entitlement {
  const e = stripKeys<Entitlement & { config: unknown }>(item);
  const config = typeof e.config === 'string' ? (JSON.parse(e.config) as Record<string, unknown>) : {};
  return { ...e, config, expires_at: e.expires_at ?? null };
}
