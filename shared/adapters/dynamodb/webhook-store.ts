import { type DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AuditEvent, AuditInput } from '../../domain/audit';
import { ConcurrentUpdateError, DomainError, ValidationError } from '../../domain/errors';
import type { RegistryEvent } from '../../domain/events';
import {
  type WebhookDelivery,
  type WebhookEndpoint,
  WebhookLimitError,
  type WebhookSecrets,
} from '../../domain/webhooks';
import type { Clock } from '../../ports/clock';
import type { AttemptRecord, StoredDelivery, WebhookPage, WebhookStore } from '../../ports/webhook-store';
import { AuditedWriter } from './audited-writer';
import { TableReader, toItem } from './items';
import { DELIVERY_PREFIX, deliveryIdOf, indexes, keys, stripKeys } from './keys';
import { newestFirst } from './pages';

/** Thrown inside a commit when the endpoint is no longer enabled. */
class NotEnabled extends DomainError {
  constructor() {
    super('conflict', 'the endpoint is not enabled');
  }
}

const GLOBAL_OWNER = 'global';
const ownerOf = (endpoint: Pick<WebhookEndpoint, 'tenant_id'>) => endpoint.tenant_id ?? GLOBAL_OWNER;
const DELIVERY_ID = /^\d{1,16}$/;
const CURSOR = /^\d{1,16}$/;

/**
 * Webhooks in the one table: the endpoint `WEBHOOK#<id>` / `ENDPOINT` (listed per owner on GSI1
 * `WEBHOOKS#<tenant id | global>` and all together on GSI2 `WEBHOOKS`), its secrets
 * `WEBHOOK#<id>` / `SECRETS` (in no index), its deliveries `WEBHOOK#<id>` / `DELIVERY#<event id>`
 * and the owner's count `WEBHOOKS#<owner>` / `COUNT`.
 */
export class DynamoWebhookStore implements WebhookStore {
  private readonly reader: TableReader;
  private readonly writer: AuditedWriter;

  constructor(db: DynamoDBClient, tableName: string, clock: Clock) {
    this.reader = new TableReader(db, tableName);
    this.writer = new AuditedWriter(this.reader, clock);
  }

  async getEndpoint(id: string): Promise<WebhookEndpoint | undefined> {
    const item = await this.reader.get(keys.webhook(id));
    return item ? endpointFromItem(item) : undefined;
  }

  async getSecrets(id: string): Promise<WebhookSecrets | undefined> {
    const item = await this.reader.get(keys.webhookSecrets(id));
    if (!item) return undefined;
    const { current, previous, previous_expires_at } = item as Record<string, string | undefined>;
    return {
      current: String(current),
      ...(previous ? { previous } : {}),
      ...(previous_expires_at ? { previous_expires_at } : {}),
    };
  }

  listEndpoints(
    owner: string | undefined,
    page: { limit: number; cursor?: string },
  ): Promise<WebhookPage<WebhookEndpoint>> {
    return newestFirst(this.reader, {
      index: owner === undefined ? 'GSI2' : 'GSI1',
      partition:
        owner === undefined ? indexes.webhookList('', '').GSI2PK : indexes.webhooksOf(owner, '', '').GSI1PK,
      limit: page.limit,
      ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
      keyOf: keys.webhook,
      read: endpointFromItem,
    });
  }

  async endpointsOf(owner: string): Promise<WebhookEndpoint[]> {
    const out: WebhookEndpoint[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.reader.query({
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        values: { ':pk': indexes.webhooksOf(owner, '', '').GSI1PK },
        ...(start ? { start } : {}),
      });
      out.push(...page.items.map(endpointFromItem));
      start = page.last;
    } while (start);
    return out;
  }

  async createEndpoint(
    endpoint: WebhookEndpoint,
    secrets: WebhookSecrets,
    max: number,
    audit: AuditInput,
  ): Promise<void> {
    await this.writer.commit(audit, () => [
      {
        write: {
          Update: {
            Key: keys.webhookCount(ownerOf(endpoint)),
            UpdateExpression: 'SET entity = :entity ADD endpoints :one',
            ConditionExpression: 'attribute_not_exists(endpoints) OR endpoints < :max',
            ExpressionAttributeValues: { ':entity': 'webhook_count', ':one': 1, ':max': max },
          },
        },
        conflict: () => new WebhookLimitError(max),
      },
      {
        write: {
          Put: { Item: endpointItem(endpoint), ConditionExpression: 'attribute_not_exists(PK)' },
        },
      },
      { write: { Put: { Item: secretsItem(endpoint.id, secrets) } } },
    ]);
  }

  async updateEndpoint(next: WebhookEndpoint, readAt: string, audit: AuditInput): Promise<void> {
    await this.writer.commit(audit, () => [
      {
        write: {
          Put: {
            Item: endpointItem(next),
            ConditionExpression: 'updated_at = :read',
            ExpressionAttributeValues: { ':read': readAt },
          },
        },
        conflict: () => new ConcurrentUpdateError(),
      },
    ]);
  }

  async deleteEndpoint(endpoint: WebhookEndpoint, audit: AuditInput): Promise<void> {
    await this.writer.commit(audit, () => [
      {
        write: { Delete: { Key: keys.webhook(endpoint.id), ConditionExpression: 'attribute_exists(PK)' } },
        conflict: () => new ConcurrentUpdateError(),
      },
      { write: { Delete: { Key: keys.webhookSecrets(endpoint.id) } } },
      {
        write: {
          Update: {
            Key: keys.webhookCount(ownerOf(endpoint)),
            UpdateExpression: 'ADD endpoints :minus',
            ExpressionAttributeValues: { ':minus': -1 },
          },
        },
      },
    ]);
  }

  async rotateSecrets(id: string, secrets: WebhookSecrets, audit: AuditInput): Promise<void> {
    await this.writer.commit(audit, () => [
      {
        write: {
          ConditionCheck: { Key: keys.webhook(id), ConditionExpression: 'attribute_exists(PK)' },
        },
        conflict: () => new ConcurrentUpdateError(),
      },
      { write: { Put: { Item: secretsItem(id, secrets) } } },
    ]);
  }

  recordTest(audit: AuditInput): Promise<AuditEvent> {
    return this.writer.commit(
      audit,
      () => [
        {
          write: {
            ConditionCheck: {
              Key: keys.webhook(String(audit.target_id)),
              ConditionExpression: 'attribute_exists(PK)',
            },
          },
          conflict: () => new ConcurrentUpdateError(),
        },
      ],
      { outbox: false },
    );
  }

  async disableEndpoint(id: string, reason: string, at: string, audit: AuditInput): Promise<boolean> {
    try {
      await this.writer.commit(audit, () => [
        {
          write: {
            Update: {
              Key: keys.webhook(id),
              UpdateExpression: 'SET #status = :disabled, disabled_reason = :reason, updated_at = :at',
              ConditionExpression: 'attribute_exists(PK) AND #status = :enabled',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':disabled': 'disabled',
                ':enabled': 'enabled',
                ':reason': reason,
                ':at': at,
              },
            },
          },
          conflict: () => new NotEnabled(),
        },
      ]);
      return true;
    } catch (error) {
      if (error instanceof NotEnabled) return false;
      throw error;
    }
  }

  async setFailingSince(id: string, at: string | undefined): Promise<void> {
    await this.conditional(
      new UpdateItemCommand({
        TableName: this.reader.tableName,
        Key: toItem({ ...keys.webhook(id) }),
        ...(at === undefined
          ? {
              UpdateExpression: 'REMOVE failing_since',
              ConditionExpression: 'attribute_exists(PK) AND attribute_exists(failing_since)',
            }
          : {
              UpdateExpression: 'SET failing_since = :at',
              ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(failing_since)',
              ExpressionAttributeValues: toItem({ ':at': at }),
            }),
      }),
    );
  }

  async createDelivery(delivery: WebhookDelivery, event: RegistryEvent): Promise<boolean> {
    return this.conditional(
      new PutItemCommand({
        TableName: this.reader.tableName,
        Item: toItem({
          ...keys.webhookDelivery(delivery.endpoint_id, Number(delivery.id)),
          entity: 'webhook_delivery',
          ...delivery,
          event: JSON.stringify(event),
        }),
        ConditionExpression: 'attribute_not_exists(PK)',
      }),
    );
  }

  async getDelivery(endpointId: string, deliveryId: string): Promise<StoredDelivery | undefined> {
    if (!DELIVERY_ID.test(deliveryId)) return undefined;
    const item = await this.reader.get(keys.webhookDelivery(endpointId, Number(deliveryId)));
    if (!item) return undefined;
    return { delivery: deliveryFromItem(item), event: JSON.parse(String(item.event)) as RegistryEvent };
  }

  async listDeliveries(
    endpointId: string,
    page: { limit: number; cursor?: string },
  ): Promise<WebhookPage<WebhookDelivery>> {
    if (page.cursor !== undefined && !CURSOR.test(page.cursor)) {
      throw new ValidationError('cursor is not one this API issued');
    }
    const key = keys.webhook(endpointId);
    const result = await this.reader.query({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      values: { ':pk': key.PK, ':prefix': DELIVERY_PREFIX },
      ScanIndexForward: false,
      Limit: page.limit + 1,
      ...(page.cursor === undefined
        ? {}
        : { start: { ...keys.webhookDelivery(endpointId, Number(page.cursor)) } }),
    });
    const items = result.items.slice(0, page.limit).map(deliveryFromItem);
    const last = items.at(-1);
    return result.items.length > page.limit && last ? { items, next_cursor: last.id } : { items };
  }

  async recordAttempt(
    endpointId: string,
    deliveryId: string,
    attempts: number,
    record: AttemptRecord,
    at: string,
  ): Promise<boolean> {
    const set: Record<string, unknown> = { ':attempts': attempts + 1, ':at': at, ':was': attempts };
    const assignments = ['attempts = :attempts', 'updated_at = :at'];
    const removals: string[] = [];
    const fields = [
      'status',
      'last_status_code',
      'last_error',
      'latency_ms',
      'response_body',
      'next_attempt_at',
    ] as const;
    for (const field of fields) {
      const value = record[field];
      if (value === undefined) removals.push(`#${field}`);
      else {
        assignments.push(`#${field} = :${field}`);
        set[`:${field}`] = value;
      }
    }
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.reader.tableName,
        Key: toItem({ ...keys.webhookDelivery(endpointId, Number(deliveryId)) }),
        UpdateExpression: `SET ${assignments.join(', ')}${removals.length ? ` REMOVE ${removals.join(', ')}` : ''}`,
        ConditionExpression: 'attribute_exists(PK) AND attempts = :was',
        ExpressionAttributeNames: Object.fromEntries(fields.map((f) => [`#${f}`, f])),
        ExpressionAttributeValues: toItem(set),
      }),
    );
  }

  async requeueDelivery(endpointId: string, deliveryId: string, at: string): Promise<boolean> {
    return this.conditional(
      new UpdateItemCommand({
        TableName: this.reader.tableName,
        Key: toItem({ ...keys.webhookDelivery(endpointId, Number(deliveryId)) }),
        UpdateExpression: 'SET #status = :pending, next_attempt_at = :at, updated_at = :at',
        ConditionExpression: 'attribute_exists(PK) AND #status <> :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: toItem({ ':pending': 'pending', ':at': at }),
      }),
    );
  }

  /** A write whose failed condition is an answer (false), not an error. */
  private async conditional(command: PutItemCommand | UpdateItemCommand): Promise<boolean> {
    try {
      await this.reader.db.send(command as UpdateItemCommand);
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}

function endpointItem(endpoint: WebhookEndpoint): Record<string, unknown> {
  return {
    ...keys.webhook(endpoint.id),
    entity: 'webhook',
    ...indexes.webhooksOf(ownerOf(endpoint), endpoint.created_at, endpoint.id),
    ...indexes.webhookList(endpoint.created_at, endpoint.id),
    ...endpoint,
  };
}

function secretsItem(id: string, secrets: WebhookSecrets): Record<string, unknown> {
  return { ...keys.webhookSecrets(id), entity: 'webhook_secrets', ...secrets };
}

function endpointFromItem(item: Record<string, unknown>): WebhookEndpoint {
  return stripKeys<WebhookEndpoint>(item);
}

function deliveryFromItem(item: Record<string, unknown>): WebhookDelivery {
  const { event: _event, ...rest } = stripKeys<Record<string, unknown>>(item);
  return { ...(rest as unknown as WebhookDelivery), id: deliveryIdOf(String(item.SK)) };
}
