import type middy from '@middy/core';
import { logger } from '../../observability/logger';
import type { EndpointContext } from '../context';
import { errorResponse, UnknownRouteError } from '../errors';
import { unknownRoute } from '../responses';

/** Last in the chain, so its onError answers first: every error becomes `{error, message}`. */
export function errorMapper(): middy.MiddlewareObj {
  return {
    onError: (request) => {
      const ctx = request.context as EndpointContext;
      if (request.error instanceof UnknownRouteError) {
        request.response = unknownRoute();
        return;
      }
      const { response, exposed } = errorResponse(request.error, ctx.endpoint.http.requestId);
      if (!exposed)
        logger.error('request failed', { event: 'request.failed', error: request.error as Error });
      request.response = response;
    },
  };
}
