import type middy from '@middy/core';
import { config } from '../../config/env';
import { logger } from '../../observability/logger';
import type { AdminTokens } from '../../services/admin-tokens';
import type { EndpointContext } from '../context';
import { HttpError } from '../errors';

export type RejectionReason =
  | 'missing_credential'
  | 'wrong_scheme'
  | 'invalid_credential'
  /** Tenant plane: a valid key naming a tenant that is not its own. */
  | 'tenant_mismatch';

/**
 * One structured line per rejected credential: what the stack's metric filters count
 * (`event = auth.rejected`, split by `plane`: operator and service rejections page, tenant-plane
 * ones are counted apart; `stage` is the metrics' Stage dimension). It carries the reason and
 * where it came from, never the credential.
 */
export function logRejection(
  ctx: EndpointContext,
  reason: RejectionReason,
  extra: { readonly key_id?: string } = {},
): void {
  const { route, http } = ctx.endpoint;
  logger.warn('credential rejected', {
    event: 'auth.rejected',
    plane: route.plane,
    stage: config().stage,
    reason,
    route: `${route.method} ${route.path}`,
    source_ip: http.sourceIp,
    request_id: http.requestId,
    ...extra,
  });
}

export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super('unauthorized', message);
  }
}

/** Operator and service planes: `Authorization: Bearer <admin token>`. */
export function adminAuth(tokens: () => AdminTokens): middy.MiddlewareObj {
  return {
    before: async (request) => {
      const ctx = request.context as EndpointContext;
      const header = ctx.endpoint.http.headers.authorization;
      const reject = (reason: RejectionReason, message: string): never => {
        logRejection(ctx, reason);
        throw new UnauthorizedError(message);
      };
      if (header === undefined || header.trim() === '')
        return reject('missing_credential', 'send Authorization: Bearer <admin token>');
      const m = /^(\S+)\s+(\S+)\s*$/.exec(header);
      if (m?.[1]?.toLowerCase() !== 'bearer')
        return reject('wrong_scheme', 'the Authorization scheme must be Bearer');
      if (!(await tokens().accepts(m?.[2] ?? '')))
        return reject('invalid_credential', 'the credential is not valid');
      ctx.endpoint.actor = {
        actor_id: 'admin',
        actor_type: 'operator',
        source_ip: ctx.endpoint.http.sourceIp,
        ...(ctx.endpoint.http.headers['user-agent']
          ? { user_agent: ctx.endpoint.http.headers['user-agent'].slice(0, 256) }
          : {}),
        request_id: ctx.endpoint.http.requestId,
      };
    },
  };
}
