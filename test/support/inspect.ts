import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { eventFromItem } from '../../shared/adapters/dynamodb/audited-writer';
import { keys, stripKeys } from '../../shared/adapters/dynamodb/keys';
import { type AuditEvent, type ChainBreak, type ChainHead, verifyChain } from '../../shared/domain/audit';
import type { Tenant } from '../../shared/domain/tenant';
import type { SlugClaim } from '../../shared/ports/tenant-store';
import type { TestStack } from './stack';

/**
 * Read-only views of what a test stack holds, straight from the table and SSM through the
 * harness's own clients (never the app's, so injected faults cannot blur what a test sees).
 */

/** Slug -> tenant id. */
export type AliasMap = ReadonlyMap<string, string>;

export interface AliasDrift {
  /** Published in SSM but not an active claim in the table. */
  readonly orphans: string[];
  /** Published for another tenant than the active claim's. */
  readonly wrongOwner: string[];
  /** Active in the table but not published. */
  readonly missing: string[];
}

export interface Inspector {
  tenant(id: string): Promise<Tenant | undefined>;
  slugClaim(slug: string): Promise<SlugClaim | undefined>;
  /** Every tenant in the table (a Scan: fine for a test table). */
  tenants(): Promise<Tenant[]>;
  /** Every slug claim, active and retired (a Scan, so the GSI the product reads is not trusted). */
  slugClaims(): Promise<SlugClaim[]>;
  /** Active claims only: what SSM should publish. */
  activeClaims(): Promise<AliasMap>;
  /** The tenant's audit events, oldest first. */
  auditEvents(tenantId: string): Promise<AuditEvent[]>;
  auditHead(tenantId: string): Promise<ChainHead | undefined>;
  verifyAuditChain(tenantId: string): Promise<ChainBreak>;
  /** Every alias published under `<prefix>/aliases`. */
  publishedAliases(): Promise<AliasMap>;
  /** Published map against the table's active claims; `slugs` narrows the comparison. */
  aliasDrift(slugs?: Iterable<string>): Promise<AliasDrift>;
}

export function inspect(stack: TestStack): Inspector {
  const db = DynamoDBDocumentClient.from(stack.dynamodb);
  const table = stack.tableName;
  const aliasPath = `${stack.ssmPrefix}/aliases`;

  const get = async (key: { PK: string; SK: string }) =>
    (await db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;

  const query = async (input: Omit<QueryCommandInput, 'TableName'>) => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(new QueryCommand({ ...input, TableName: table, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };

  const scanEntity = async (entity: string) => {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new ScanCommand({
          TableName: table,
          ConsistentRead: true,
          FilterExpression: 'entity = :entity',
          ExpressionAttributeValues: { ':entity': entity },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };

  const slugClaims = async () => (await scanEntity('slug')).map((item) => stripKeys<SlugClaim>(item));

  const activeClaims = async (): Promise<AliasMap> =>
    new Map((await slugClaims()).filter((c) => c.retired_at === undefined).map((c) => [c.slug, c.tenant_id]));

  const auditEvents = async (tenantId: string): Promise<AuditEvent[]> => {
    const items = await query({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :event)',
      ExpressionAttributeValues: { ':pk': keys.auditHead(tenantId).PK, ':event': 'EVENT#' },
      ScanIndexForward: true,
      ConsistentRead: true,
    });
    // The store's own reading: storage attributes off, metadata back from its JSON text.
    return items.map(eventFromItem);
  };

  const auditHead = async (tenantId: string): Promise<ChainHead | undefined> => {
    const item = await get(keys.auditHead(tenantId));
    return item ? { last_id: Number(item.last_id), hash: String(item.hash) } : undefined;
  };

  const publishedAliases = async (): Promise<AliasMap> => {
    const published = new Map<string, string>();
    let NextToken: string | undefined;
    do {
      const page = await stack.ssm.send(
        new GetParametersByPathCommand({ Path: aliasPath, Recursive: false, MaxResults: 10, NextToken }),
      );
      for (const p of page.Parameters ?? []) {
        if (p.Name && p.Value !== undefined) published.set(p.Name.slice(aliasPath.length + 1), p.Value);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return published;
  };

  return {
    tenant: async (id) => {
      const item = await get(keys.tenant(id));
      return item ? stripKeys<Tenant>(item) : undefined;
    },
    slugClaim: async (slug) => {
      const item = await get(keys.slugClaim(slug));
      return item ? stripKeys<SlugClaim>(item) : undefined;
    },
    tenants: async () => (await scanEntity('tenant')).map((item) => stripKeys<Tenant>(item)),
    slugClaims,
    activeClaims,
    auditEvents,
    auditHead,
    verifyAuditChain: async (tenantId) => verifyChain(await auditEvents(tenantId), await auditHead(tenantId)),
    publishedAliases,
    aliasDrift: async (slugs) => {
      const [active, published] = await Promise.all([activeClaims(), publishedAliases()]);
      const scope = slugs ? new Set(slugs) : new Set([...active.keys(), ...published.keys()]);
      const drift: AliasDrift = { orphans: [], wrongOwner: [], missing: [] };
      for (const slug of [...scope].sort()) {
        const want = active.get(slug);
        const have = published.get(slug);
        if (have !== undefined && want === undefined) drift.orphans.push(slug);
        else if (have !== undefined && have !== want) drift.wrongOwner.push(slug);
        else if (have === undefined && want !== undefined) drift.missing.push(slug);
      }
      return drift;
    },
  };
}
