import type { DynamoDbLocal } from '../../bin/local/dynamodb';

export default async function globalTeardown(): Promise<void> {
  await Promise.all(((globalThis as { __DDB__?: DynamoDbLocal[] }).__DDB__ ?? []).map((d) => d.stop()));
}
