import type middy from '@middy/core';
import type { Config } from '../../config/env';
import type { Plane } from '../../contract/planes';
import type { AdminTokens } from '../../services/admin-tokens';
import { UnknownRouteError } from '../errors';

/** Thrown when the API is off: answered exactly like an unknown route. */
export class ApiDisabledError extends UnknownRouteError {}

/**
 * Off by default: every route but the health probes is an unknown route unless the API is
 * enabled and an admin token of at least 32 characters is configured.
 */
export function gate(
  plane: Plane,
  deps: { config: () => Config; tokens: () => AdminTokens },
): middy.MiddlewareObj {
  return {
    before: async () => {
      if (plane === 'public') return;
      if (!deps.config().apiEnabled || !(await deps.tokens().configured())) throw new ApiDisabledError();
    },
  };
}
