import type middy from '@middy/core';
import type { Scope } from '../../domain/api-key';
import { ValidationError } from '../../domain/errors';
import { type SelectionSettings, selectTenant, TENANT_QUERY } from '../../domain/tenant-selection';
import {
  CredentialRejectedError,
  NoSuchTenantRouteError,
  type TenantAccess,
} from '../../services/tenant-access';
import type { EndpointContext } from '../context';
import { UnknownRouteError } from '../errors';
import { logRejection, refuseRepeatedCredential, UnauthorizedError } from './admin-auth';

const SEND_KEY = 'send the tenant API key as Authorization: Bearer <key> or as X-Api-Key';

/**
 * Tenant plane: the API key (`Authorization: Bearer` or `X-Api-Key`) and the named tenant,
 * admitted by `TenantAccess` (see there for the order of checks). A credential header or the
 * tenant header sent twice is refused (401, 400) before anything else. Every rejected credential,
 * and every key naming a tenant not its own, writes one `auth.rejected` line; the line names
 * the route template, never the tenant the request named.
 */
export function tenantAuth(
  access: () => TenantAccess,
  scope: Scope,
  header: () => string,
): middy.MiddlewareObj {
  return {
    before: async (request) => {
      const ctx = request.context as EndpointContext;
      const { http } = ctx.endpoint;
      const key = presentedKey(ctx);
      const tenantHeader = header();
      if (http.repeatedHeaders.includes(tenantHeader.toLowerCase())) {
        throw new ValidationError(`the ${tenantHeader} header is repeated: name the tenant once`);
      }
      if (http.repeated.includes(TENANT_QUERY)) {
        throw new ValidationError(`query parameter ${TENANT_QUERY} is repeated`);
      }
      try {
        ctx.endpoint.caller = await access().admit({
          key,
          scope,
          writes: http.method !== 'GET' && http.method !== 'HEAD',
          path: pathSegment(http.path),
          header: http.headers[tenantHeader.toLowerCase()],
          query: http.query[TENANT_QUERY],
        });
      } catch (error) {
        if (error instanceof CredentialRejectedError) {
          logRejection(ctx, error.reason, error.keyId ? { key_id: error.keyId } : {});
        }
        if (error instanceof NoSuchTenantRouteError) throw new UnknownRouteError();
        throw error;
      }
      const { key: apiKey } = ctx.endpoint.caller;
      ctx.endpoint.actor = {
        actor_id: apiKey.id,
        actor_type: 'api_key',
        origin: 'tenant',
        key_id: apiKey.id,
        source_ip: http.sourceIp,
        ...(http.headers['user-agent'] ? { user_agent: http.headers['user-agent'].slice(0, 256) } : {}),
        request_id: http.requestId,
      };
    },
  };
}

/** The key from `Authorization: Bearer` or `X-Api-Key`; both may be sent only if they agree. */
function presentedKey(ctx: EndpointContext): string {
  refuseRepeatedCredential(ctx);
  const { headers } = ctx.endpoint.http;
  const reject = (reason: 'missing_credential' | 'wrong_scheme', message: string): never => {
    logRejection(ctx, reason);
    throw new UnauthorizedError(message);
  };
  const authorization = headers.authorization?.trim();
  const apiKey = headers['x-api-key']?.trim();
  let bearer: string | undefined;
  if (authorization) {
    const m = /^(\S+)\s+(\S+)$/.exec(authorization);
    if (m?.[1]?.toLowerCase() !== 'bearer') return reject('wrong_scheme', SEND_KEY);
    bearer = m[2];
  }
  if (bearer === undefined && !apiKey) return reject('missing_credential', SEND_KEY);
  if (bearer !== undefined && apiKey && bearer !== apiKey) {
    return reject('wrong_scheme', 'send the API key once: Authorization and X-Api-Key carry different keys');
  }
  return (bearer ?? apiKey) as string;
}

/**
 * Whether the path's `{tenant}` segment could name a tenant at all (what OPTIONS answers 204
 * for): the selection rules' own test, so a name no tenant can have is an unknown route to
 * OPTIONS exactly as to the route's method. Whether such a tenant exists is never looked up.
 */
export function tenantPathExists(path: string, settings: SelectionSettings): boolean {
  return (
    selectTenant({ path: pathSegment(path), header: undefined, query: undefined }, settings).kind !==
    'no-route'
  );
}

/** The first path segment (`{tenant}`), decoded; a segment that does not decode names nothing. */
function pathSegment(path: string): string {
  const raw = path.split('/')[1] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return '';
  }
}
