import type * as z from 'zod/mini';
import * as app from '../app';
import { firstResponse } from '../services/idempotency';
import { type EndpointHandler, type EndpointInput, type EndpointSpec, endpoint } from './endpoint';
import { idempotency } from './middleware/idempotency';

/**
 * The `Idempotency-Key` middleware of an operation: keys are scoped to the operation and, on the
 * tenant plane, to the calling tenant (another tenant's same key is another request).
 */
export function idempotencyFor(operationId: string): ReturnType<typeof idempotency> {
  return idempotency(
    (ctx) => (ctx.caller ? `${operationId}/${ctx.caller.tenant.id}` : operationId),
    (claim) => firstResponse(app.tenantReader(), claim),
  );
}

/**
 * A create that accepts `Idempotency-Key`: `endpoint()` with the idempotency middleware, which
 * replays the first response of a key already used (shared/http/middleware/idempotency.ts). Apart
 * from endpoint() so that the functions that are not idempotent do not bundle it.
 */
export function idempotentEndpoint<
  P extends z.ZodMiniType | undefined = undefined,
  Q extends z.ZodMiniType | undefined = undefined,
  B extends z.ZodMiniType | undefined = undefined,
>(
  spec: Omit<EndpointSpec<P, Q, B>, 'idempotent'>,
  handler: (input: EndpointInput<P, Q, B>) => Promise<unknown>,
): EndpointHandler {
  return endpoint({ ...spec, idempotent: true }, handler, {
    idempotency: idempotencyFor(spec.operation.operationId),
  });
}
