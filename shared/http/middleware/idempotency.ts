import type middy from '@middy/core';
import { ValidationError } from '../../domain/errors';
import {
  type FirstResponse,
  fingerprint,
  IDEMPOTENCY_KEY_PATTERN,
  type IdempotencyClaim,
} from '../../domain/idempotency';
import type { EndpointContext } from '../context';
import { json } from '../responses';

/**
 * `Idempotency-Key` on creates (a tenant, an audit batch). The scope is the operation, and on
 * the tenant plane the calling tenant too. A replay of a committed create gets the first response again
 * (status, body and the headers that describe it, plus `Idempotent-Replayed: true`);
 * the same key with another body is refused (422). The claim itself is written by the
 * service inside the create's own transaction, so a key can never outlive or precede its
 * result; a concurrent duplicate loses that transaction and is answered 409.
 */
export function idempotency(
  scope: (ctx: EndpointContext['endpoint']) => string,
  replay: (claim: IdempotencyClaim) => Promise<FirstResponse | undefined>,
): middy.MiddlewareObj {
  return {
    before: async (request) => {
      const ctx = request.context as EndpointContext;
      const key = ctx.endpoint.http.headers['idempotency-key'];
      if (key === undefined) return;
      if (ctx.endpoint.http.repeatedHeaders.includes('idempotency-key')) {
        throw new ValidationError('the Idempotency-Key header is repeated: send one key per create');
      }
      if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
        throw new ValidationError('Idempotency-Key must be 1-255 printable ASCII characters');
      }
      const claim = {
        scope: scope(ctx.endpoint),
        key,
        fingerprint: fingerprint(ctx.endpoint.input?.body ?? {}),
      };
      ctx.endpoint.idempotency = claim;
      const first = await replay(claim);
      if (first)
        ctx.endpoint.replay = json(first.status, first.body, {
          ...first.headers,
          'idempotent-replayed': 'true',
        });
    },
  };
}
