import { startDynamoDbLocal } from '../../bin/local/dynamodb';

/**
 * One DynamoDB Local (in memory) for the whole run; each test file makes its own table in
 * it, so files run in parallel without sharing state. Workers inherit the endpoint.
 */
export default async function globalSetup(): Promise<void> {
  const ddb = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = ddb.endpoint;
  (globalThis as { __DDB__?: typeof ddb }).__DDB__ = ddb;
}
