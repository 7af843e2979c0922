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
  /** `Authorization` or `X-Api-Key` sent more than once: which one counts is not ours to guess. */
  | 'repeated_credential'
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

/** The headers that carry a credential on some plane, as a caller spells them. */
const CREDENTIAL_HEADERS: Readonly<Record<string, string>> = {
  authorization: 'Authorization',
  'x-api-key': 'X-Api-Key',
};

/**
 * Every authenticated plane, first: a credential header sent twice is refused (401, one
 * `auth.rejected` line, reason `repeated_credential`), whatever the copies hold. Proxies and
 * frameworks disagree on which copy wins, so a request that depends on it is never honoured.
 */
export function refuseRepeatedCredential(ctx: EndpointContext): void {
  const repeated = ctx.endpoint.http.repeatedHeaders.find((h) => Object.hasOwn(CREDENTIAL_HEADERS, h));
  if (repeated === undefined) return;
  logRejection(ctx, 'repeated_credential');
  throw new UnauthorizedError(
    `the ${CREDENTIAL_HEADERS[repeated]} header is repeated: send the credential once`,
  );
}

/**
 * Operator and service planes: `Authorization: Bearer <admin token>`. The actor is the plane's
 * (origin and actor type `operator` or `service`), whatever the request says about itself.
 */
export function adminAuth(tokens: () => AdminTokens, plane: 'operator' | 'service'): middy.MiddlewareObj {
  return {
    before: async (request) => {
      const ctx = request.context as EndpointContext;
      refuseRepeatedCredential(ctx);
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
        actor_type: plane,
        origin: plane,
        source_ip: ctx.endpoint.http.sourceIp,
        ...(ctx.endpoint.http.headers['user-agent']
          ? { user_agent: ctx.endpoint.http.headers['user-agent'].slice(0, 256) }
          : {}),
        request_id: ctx.endpoint.http.requestId,
      };
    },
  };
}
