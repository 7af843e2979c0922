import type middy from '@middy/core';
import { logger } from '../../observability/logger';
import type { EndpointContext } from '../context';

/**
 * Every line of the request carries its request id and operation; one access line closes
 * the request with its status and duration. The gate runs before this middleware: a request
 * it stops (API off) never reaches `before`, so the access line binds the keys itself rather
 * than repeat the previous request's.
 */
export function logging(): middy.MiddlewareObj {
  const bound = new WeakSet<object>();
  const bind = (request: middy.Request) => {
    const ctx = request.context as EndpointContext;
    if (bound.has(ctx)) return;
    bound.add(ctx);
    logger.resetKeys();
    logger.appendKeys({ request_id: ctx.endpoint.http.requestId, operation: ctx.endpoint.operationId });
  };
  const access = (request: middy.Request) => {
    bind(request);
    const ctx = request.context as EndpointContext;
    const status = (request.response as { statusCode?: number } | undefined)?.statusCode ?? 500;
    logger.info('request', {
      event: 'request',
      method: ctx.endpoint.http.method,
      route: ctx.endpoint.route.path,
      status,
      duration_ms: Date.now() - ctx.endpoint.started,
    });
  };
  return { before: bind, after: access, onError: access };
}
