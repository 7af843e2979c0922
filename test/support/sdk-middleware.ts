import type { MiddlewareStack } from '@smithy/types';

/** An SDK client as the app builds it (shared/adapters/aws-clients.ts). */
interface InstrumentedClient {
  readonly middlewareStack: MiddlewareStack<any, any>;
  readonly config: { cacheMiddleware?: boolean };
}

/**
 * The client's middleware stack, made to take effect on its next request: the app's clients
 * resolve their stack once per command class (`cacheMiddleware`), so middleware a test or a
 * bench adds after their first request would otherwise never run. The SDK drops its cache on
 * the next `send` once the option is off.
 */
export function liveMiddlewareStack(client: InstrumentedClient): MiddlewareStack<any, any> {
  client.config.cacheMiddleware = false;
  return client.middlewareStack;
}
