import type { Context } from 'aws-lambda';
import type { Route } from '../contract/routes';
import type { IdempotencyClaim } from '../domain/idempotency';
import type { Actor } from '../services/actor';
import type { TenantCaller } from '../services/tenant-access';
import type { HttpRequest } from './request';
import type { HttpResponse } from './responses';

/** What the middlewares learn about a request, handed along the chain. */
export interface EndpointContext extends Context {
  endpoint: {
    readonly operationId: string;
    readonly route: Route;
    readonly started: number;
    http: HttpRequest;
    actor?: Actor;
    /** Tenant plane: the admitted key and its tenant. */
    caller?: TenantCaller;
    input?: { params: unknown; query: unknown; body: unknown };
    idempotency?: IdempotencyClaim;
    /** A stored first response to send again instead of running the handler. */
    replay?: HttpResponse;
  };
}
