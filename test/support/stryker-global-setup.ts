import { constants } from 'node:os';
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
  if (!shared.__STRYKER_DDB__) {
    shared.__STRYKER_DDB__ = startDynamoDbLocal();
    // A terminated runner exits through its exit handlers, which stop the Java process too.
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      process.once(signal, () => process.exit(128 + constants.signals[signal]));
    }
  }
  process.env.TEST_DYNAMODB_ENDPOINT = (await shared.__STRYKER_DDB__).endpoint;
}
