import { type DynamoDbLocal, startDynamoDbLocal } from '../../bin/local/dynamodb';

/** What Jest passes a global setup; only `maxWorkers` is read. */
interface GlobalConfig {
  readonly maxWorkers?: number;
}

/**
 * One DynamoDB Local (in memory) per Jest worker for the whole run: a DynamoDB Local serves its
 * requests at about one core, so two workers sharing one wait on each other. Each test file makes
 * its own table in its worker's instance (`worker-endpoint.ts` picks it), so files never share
 * state. Workers inherit the endpoints.
 */
export default async function globalSetup(globalConfig: GlobalConfig): Promise<void> {
  const count = Math.max(1, globalConfig.maxWorkers ?? 1);
  const instances = await Promise.all(Array.from({ length: count }, () => startDynamoDbLocal()));
  process.env.TEST_DYNAMODB_ENDPOINTS = instances.map((d) => d.endpoint).join(',');
  process.env.TEST_DYNAMODB_ENDPOINT = instances[0]?.endpoint;
  (globalThis as { __DDB__?: DynamoDbLocal[] }).__DDB__ = instances;
}
