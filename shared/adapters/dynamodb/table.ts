import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The table's shape, for local mode and tests. The CDK stack declares the same keys and
 * indexes (lib/); an infra test checks the two agree.
 */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  const gsi = (n: number) => ({
    IndexName: `GSI${n}`,
    KeySchema: [
      { AttributeName: `GSI${n}PK`, KeyType: 'HASH' as const },
      { AttributeName: `GSI${n}SK`, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: ['PK', 'SK', ...GSI_NUMBERS.flatMap((n) => [`GSI${n}PK`, `GSI${n}SK`])].map(
      (name) => ({ AttributeName: name, AttributeType: 'S' as const }),
    ),
    KeySchema: [
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: GSI_NUMBERS.map(gsi),
    // The outbox's reader (docs/events.md), as the stack declares it.
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  };
}

/**
 * The generic indexes, GSI1..GSI20 (DynamoDB's default quota per table): 1 and 2 list tenants
 * and slugs, 3..17 list audit events by each combination of filters, 18..20 by who wrote them
 * (keys.ts, `auditListPlan`). The CDK stack declares the same.
 */
export const GSI_NUMBERS: readonly number[] = Array.from({ length: 20 }, (_, i) => i + 1);

/** DynamoDB's TTL attribute: idempotency records expire through it. */
export const TTL_ATTRIBUTE = 'expires_at';
