import type { DynamoDbLocal } from '../../bin/local/dynamodb';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __DDB__?: DynamoDbLocal }).__DDB__?.stop();
}
