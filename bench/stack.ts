import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DynamoDbLocal, startDynamoDbLocal } from '../bin/local/dynamodb';
import { startStack, type TestStack } from '../test/support/stack';

/**
 * The benchmarks' own embedded stack: a fresh in-memory DynamoDB Local plus the same
 * harness the integration tests use, so a figure measures the very code the tests cover.
 */
export async function startBenchStack(
  env: Record<string, string> = {},
): Promise<TestStack & { ddb: DynamoDbLocal }> {
  const ddb = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = ddb.endpoint;
  process.env.TENANT_REGISTRY_DATA_DIR = mkdtempSync(join(tmpdir(), 'tr-bench-'));
  const stack = await startStack({ env });
  return {
    ...stack,
    ddb,
    close: async () => {
      await stack.close();
      await ddb.stop();
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
