import type * as z from 'zod/mini';
import * as app from '../app';
import { tenantSelectionConfig } from '../config/env';
import type { Scope } from '../domain/api-key';
import { TENANT_QUERY } from '../domain/tenant-selection';
import type { TenantCaller } from '../services/tenant-access';
import {
  type EndpointHandler,
  type EndpointInput,
  type EndpointOptions,
  type EndpointSpec,
  endpoint,
} from './endpoint';
import { tenantAuth, tenantPathExists } from './middleware/tenant-auth';

export interface TenantEndpointSpec<P, Q, B> extends Omit<EndpointSpec<P, Q, B>, 'plane'> {
  /** Must agree with the operation's `security` in openapi.yaml; stated so a reader sees it. */
  readonly scope: Scope;
}

export type TenantEndpointInput<P, Q, B> = EndpointInput<P, Q, B> & { readonly caller: TenantCaller };

/**
 * A tenant-plane operation: `endpoint()` with the tenant plane's admission (API key, named
 * tenant, scope, frozen tenants read-only; see `TenantAccess`) in place of the admin token.
 * Serves both `/{tenant}/...` and `/tenant/...`. POSTs take their parameters from the query
 * string and the body, merged, body winning (`mergeParameters`). The handler gets the
 * admitted `caller` and only ever touches `caller.tenant`'s data.
 */
export function tenantEndpoint<
  P extends z.ZodMiniType | undefined = undefined,
  Q extends z.ZodMiniType | undefined = undefined,
  B extends z.ZodMiniType | undefined = undefined,
>(
  spec: TenantEndpointSpec<P, Q, B>,
  handler: (input: TenantEndpointInput<P, Q, B>) => Promise<unknown>,
  /** With `idempotent`: the middleware (`idempotencyFor`), so only such bundles carry it. */
  options: Pick<EndpointOptions, 'idempotency'> = {},
): EndpointHandler {
  if (spec.operation.scope !== spec.scope) {
    throw new Error(
      `${spec.operation.operationId} declares scope ${spec.scope} but openapi.yaml requires ${spec.operation.scope}`,
    );
  }
  return endpoint(
    { ...spec, plane: 'tenant' },
    (input) => {
      if (!input.caller) throw new Error('tenant endpoint reached without an admitted caller');
      return handler({ ...input, caller: input.caller });
    },
    {
      authenticate: tenantAuth(app.tenantAccess, spec.scope, () => tenantSelectionConfig().header),
      selectors: { path: ['tenant'], query: [TENANT_QUERY] },
      merge: spec.operation.method === 'POST',
      pathExists: (request) => tenantPathExists(request.path, tenantSelectionConfig()),
      ...options,
    },
  );
}
