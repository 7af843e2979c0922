import { type DynamoDbLocal, startDynamoDbLocal } from '../../bin/local/dynamodb';

/**
 * The global setup under Stryker (`npm run mutate`), which runs Jest once per mutant in the same
 * process: one DynamoDB Local per test-runner process, started on first use and stopped when the
 * process exits (or is killed with its process tree), instead of one per run.
 */
export default async function strykerGlobalSetup(): Promise<void> {
  // `npm run mutate:unit` runs no integration test.
  if (process.env.MUTATE_UNIT_ONLY === '1') return;
  const shared = globalThis as { __STRYKER_DDB__?: Promise<DynamoDbLocal> };
  shared.__STRYKER_DDB__ ??= startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = (await shared.__STRYKER_DDB__).endpoint;
}
