import type middy from '@middy/core';
import { logger } from '../../observability/logger';
import type { EndpointContext } from '../context';

/**
 * Every line of the request carries its request id and operation; one access line closes
 * the request with its status and duration.
 */
export function logging(): middy.MiddlewareObj {
  const access = (request: middy.Request) => {
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
  return {
    before: (request) => {
      const ctx = request.context as EndpointContext;
      logger.resetKeys();
      logger.appendKeys({ request_id: ctx.endpoint.http.requestId, operation: ctx.endpoint.operationId });
    },
    after: access,
    onError: access,
  };
}
