import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { Logger } from '@smithy/types';
import { awsClient } from '../../shared/adapters/aws-clients';
import * as app from '../../shared/app';
import { liveMiddlewareStack } from '../support/sdk-middleware';
import { startStack, type TestStack } from '../support/stack';

/** How the app builds its SDK clients (shared/adapters/aws-clients.ts), against DynamoDB Local. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack.close();
});

const local = () => ({
  endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

function recordingLogger(): Logger & { readonly seen: unknown[] } {
  const seen: unknown[] = [];
  const keep = (entry: unknown) => {
    seen.push(entry);
  };
  return { seen, debug: keep, info: keep, warn: keep, error: keep };
}

test('no SDK payload reaches a logger: the client has no loggerMiddleware, so no copy of the output is made', async () => {
  const logger = recordingLogger();
  const plain = new DynamoDBClient({ ...local(), logger });
  const lean = awsClient(DynamoDBClient, { ...local(), logger });
  await plain.send(new ListTablesCommand({}));
  await lean.send(new ListTablesCommand({}));
  // The SDK's own client hands the logger its filtered copy of the output, once (the other
  // entries are its configuration lookups, logged by both)...
  const payloads = logger.seen.filter(
    (entry) => typeof entry === 'object' && entry !== null && 'commandName' in entry,
  );
  expect(payloads).toEqual([
    expect.objectContaining({ commandName: 'ListTablesCommand', output: expect.any(Object) }),
  ]);
  // ...and the app's does not carry the middleware at all.
  expect(plain.middlewareStack.identify().some((m) => m.startsWith('loggerMiddleware'))).toBe(true);
  expect(lean.middlewareStack.identify().some((m) => m.startsWith('loggerMiddleware'))).toBe(false);
});

test("the app's clients resolve their middleware once: what is added after the first request runs only through liveMiddlewareStack", async () => {
  const client = awsClient(DynamoDBClient, local());
  expect(client.config.cacheMiddleware).toBe(true);
  await client.send(new ListTablesCommand({}));
  let ran = 0;
  const count = () => (next: (args: unknown) => Promise<unknown>) => (args: unknown) => {
    ran++;
    return next(args);
  };
  client.middlewareStack.add(count() as never, { step: 'initialize', name: 'late' });
  await client.send(new ListTablesCommand({}));
  expect(ran).toBe(0); // the cached stack: the late middleware is not in it
  liveMiddlewareStack(client);
  await client.send(new ListTablesCommand({}));
  expect(ran).toBe(1);
  expect(client.config.cacheMiddleware).toBe(false);
});

test('every client the app wires is built by awsClient', () => {
  for (const client of [app.dynamodb(), app.ssm(), app.secretsManager(), app.sqs()]) {
    expect(client.config.cacheMiddleware).toBe(true);
    expect(client.middlewareStack.identify().some((m) => m.startsWith('loggerMiddleware'))).toBe(false);
  }
});
