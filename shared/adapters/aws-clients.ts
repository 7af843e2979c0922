/**
 * How the registry builds its AWS SDK clients: every client the functions, the local server's
 * request paths and its event pipeline send with is made by `awsClient`, so they all do as little
 * per request as the SDK allows. (Local mode's one-off start-up calls, creating the table and the
 * admin token, keep plain clients they destroy after.)
 *
 * - `cacheMiddleware: true`: the SDK's own option to resolve a client's middleware stack once
 *   per command class instead of copying and sorting it on every `send`. Nothing of the
 *   registry adds middleware after a client's first request; test and bench instruments that
 *   do, turn the cache off for their client first (test/support/sdk-middleware.ts). The SDK's
 *   `DynamoDBDocumentClient` refuses a client with this option; the registry marshals its items
 *   itself (dynamodb/items.ts).
 * - No `loggerMiddleware`: the registry gives its clients no logger, yet with the SDK's default
 *   no-op logger that middleware still made a copy of every request's input and every
 *   response's output, filtered of sensitive fields, to hand to a logger that drops it: a whole
 *   Query page, for each page an export reads. The registry logs its own calls' outcomes
 *   (shared/observability), never an SDK payload.
 *
 * Together they took an export of 100,000 events from 6.0 to 3.9 s and its old-generation
 * growth from about 10 MB to about 2-4 MB (bench X1, docs/testing.md).
 */
interface SdkClient {
  readonly middlewareStack: { remove(toRemove: string): boolean };
}

/** What the registry sets on every SDK client, beside its own settings. */
export const SDK_CLIENT_CONFIG = Object.freeze({ cacheMiddleware: true });

/** The SDK client `Client` with `config`, cached middleware and no payload-copying logger. */
export function awsClient<C extends SdkClient, O extends object>(
  Client: new (config: O & typeof SDK_CLIENT_CONFIG) => C,
  config: O,
): C {
  const client = new Client({ ...config, ...SDK_CLIENT_CONFIG });
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
