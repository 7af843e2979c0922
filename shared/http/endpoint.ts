import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import * as app from '../app';
import { config } from '../config/env';
import type { Plane } from '../contract/planes';
import type { Route } from '../contract/routes';
import type { IdempotencyClaim } from '../domain/idempotency';
import type { Actor } from '../services/actor';
import type { TenantCaller } from '../services/tenant-access';
import type { EndpointContext } from './context';
import { UnknownRouteError } from './errors';
import { adminAuth } from './middleware/admin-auth';
import { errorMapper } from './middleware/errors';
import { gate } from './middleware/gate';
import { type InputSchemas, input } from './middleware/input';
import { logging } from './middleware/logging';
import { type HttpEvent, type HttpRequest, matchPath, toHttpRequest } from './request';
import {
  allowed,
  type Download,
  forIngress,
  type HttpResponse,
  json,
  type LambdaHttpResponse,
  locationFrom,
  type Reply,
  streamed,
  unknownRoute,
  withoutBody,
} from './responses';

/** The public plane's caller. It writes nothing; were it to, the registry would be the origin. */
const ANONYMOUS: Actor = { actor_id: 'anonymous', actor_type: 'public', origin: 'system' };

type Out<S> = S extends z.ZodMiniType ? z.output<S> : Record<string, never>;

export interface EndpointSpec<P, Q, B> {
  /** The operation's route, generated from openapi.yaml (`contract.createTenant`). */
  readonly operation: Route;
  /** Must agree with the route's plane; stated so a reader sees who may call. */
  readonly plane: Plane;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly bodyRequired?: boolean;
  /** Success status (default 200). */
  readonly status?: number;
  /** Accept `Idempotency-Key` and replay the first response (set by `idempotentEndpoint`). */
  readonly idempotent?: boolean;
}

export interface EndpointInput<P, Q, B> {
  readonly params: Out<P>;
  readonly query: Out<Q>;
  readonly body: Out<B>;
  readonly request: HttpRequest;
  /** Who is calling (undefined on the public plane). */
  readonly actor: Actor;
  readonly idempotency?: IdempotencyClaim;
  /** Tenant plane: the admitted key and its tenant (see `tenantEndpoint`). */
  readonly caller?: TenantCaller;
}

/** How a plane authenticates, for planes whose credential check lives outside this module. */
export interface EndpointOptions {
  readonly authenticate?: middy.MiddlewareObj;
  /** Path and query parameters consumed by authentication (they name the tenant), not by the handler. */
  readonly selectors?: InputSchemas['selectors'];
  /** The query string and the body are one set of parameters, body winning (`mergeParameters`). */
  readonly merge?: boolean;
  /**
   * OPTIONS: whether a path that fits the route's template names something that can exist (the
   * tenant plane: a `{tenant}` no tenant can have is an unknown route). Default: every path.
   */
  readonly pathExists?: (request: HttpRequest) => boolean;
  /**
   * The `Idempotency-Key` middleware of an idempotent create (see idempotentEndpoint), kept out of
   * this module so that only those bundles carry it.
   */
  readonly idempotency?: middy.MiddlewareObj;
}

export type EndpointHandler = ((event: HttpEvent, context: Context) => Promise<LambdaHttpResponse>) & {
  /** What the handler declared, for the contract tests. */
  readonly spec: EndpointSpec<unknown, unknown, unknown>;
};

/**
 * The one middy chain every operation runs through, in this order: off-by-default gate ->
 * logging context -> authentication by plane -> input parsing -> idempotency -> error
 * mapper (last, so its onError answers first). The handler gets validated input and an
 * actor, and returns a body (or a `reply` with headers, or a `download`: a file streamed).
 *
 * Besides its own method, a function answers two more, so that whichever function an ingress
 * routes them to, they behave alike: `HEAD` (when the operation is a GET) runs the whole GET
 * chain, authentication included, and answers its status and headers without the body;
 * `OPTIONS` on the route's path answers 204 with the path's methods in `Allow` (from the
 * route table), after the off-by-default gate and before authentication. Any other method,
 * and an OPTIONS path the route does not fit, is an unknown route.
 */
export function endpoint<
  P extends z.ZodMiniType | undefined = undefined,
  Q extends z.ZodMiniType | undefined = undefined,
  B extends z.ZodMiniType | undefined = undefined,
>(
  spec: EndpointSpec<P, Q, B>,
  handler: (input: EndpointInput<P, Q, B>) => Promise<unknown>,
  options: EndpointOptions = {},
): EndpointHandler {
  const route: Route = spec.operation;
  const plane: Plane = spec.plane;
  if (route.plane !== plane) {
    throw new Error(
      `${route.operationId} declares plane ${spec.plane} but openapi.yaml puts it on ${route.plane}`,
    );
  }

  const core = async (_event: unknown, context: Context): Promise<HttpResponse> => {
    const ctx = (context as EndpointContext).endpoint;
    if (ctx.replay) return ctx.replay;
    const result = await handler({
      ...(ctx.input as { params: Out<P>; query: Out<Q>; body: Out<B> }),
      request: ctx.http,
      actor: ctx.actor ?? ANONYMOUS,
      ...(ctx.idempotency ? { idempotency: ctx.idempotency } : {}),
      ...(ctx.caller ? { caller: ctx.caller } : {}),
    });
    if (isDownload(result)) return streamed(result);
    if (isReply(result)) return json(result.status ?? spec.status ?? 200, result.body, result.headers);
    return json(spec.status ?? 200, result);
  };

  const chain = middy(core)
    .use(gate(spec.plane, { config, tokens: app.adminTokens }))
    .use(logging());
  if (plane === 'operator' || plane === 'service') chain.use(adminAuth(app.adminTokens, plane));
  if (plane === 'tenant') {
    // Kept out of this module so operator bundles never carry argon2 (see tenantEndpoint).
    if (!options.authenticate)
      throw new Error(`${route.operationId} is on the tenant plane: use tenantEndpoint()`);
    chain.use(options.authenticate);
  }
  chain.use(
    input(
      {
        ...(spec as InputSchemas),
        ...(options.selectors ? { selectors: options.selectors } : {}),
        merge: options.merge ?? false,
      },
      () => config().maxBodyBytes,
    ),
  );
  if (spec.idempotent) {
    if (!options.idempotency) throw new Error(`${route.operationId} is idempotent: use idempotentEndpoint()`);
    chain.use(options.idempotency);
  }
  chain.use(errorMapper());

  const preflight = middy(async (_event: unknown, context: Context): Promise<HttpResponse> => {
    const { http } = (context as EndpointContext).endpoint;
    const fits = matchPath(route.path, http.path) !== undefined && (options.pathExists?.(http) ?? true);
    if (!fits) throw new UnknownRouteError();
    return allowed(route.allow);
  })
    .use(gate(spec.plane, { config, tokens: app.adminTokens }))
    .use(logging())
    .use(errorMapper());

  const lambda = async (event: HttpEvent, context: Context): Promise<LambdaHttpResponse> => {
    const http = toHttpRequest(event, context);
    (context as EndpointContext).endpoint = {
      operationId: route.operationId,
      route,
      started: Date.now(),
      http,
    };
    let response: HttpResponse;
    if (http.method === route.method) response = await chain(event, context);
    else if (http.method === 'HEAD' && route.method === 'GET')
      response = withoutBody(await chain(event, context));
    else if (http.method === 'OPTIONS') response = await preflight(event, context);
    else response = unknownRoute();
    const location = response.headers.location;
    if (location?.startsWith('/'))
      response = {
        ...response,
        headers: { ...response.headers, location: locationFrom(http.path, location) },
      };
    return forIngress(event, response);
  };
  return Object.assign(lambda, { spec: spec as EndpointSpec<unknown, unknown, unknown> });
}

function isDownload(value: unknown): value is Download {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'download';
}

function isReply(value: unknown): value is Reply<unknown> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'reply';
}
