import { isUtf8 } from 'node:buffer';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { kebab } from '../../shared/contract/planes';
import { type Operation, operations } from '../../shared/contract/spec';
import type { EndpointHandler } from '../../shared/http/endpoint';
import { matchPath } from '../../shared/http/request';
import { type HttpResponse, type LambdaHttpResponse, unknownRoute } from '../../shared/http/responses';

/**
 * Routes requests to the very handlers Lambda runs, from openapi.yaml. Literal segments win
 * over parameters (`/v1/tenants/by-slug/{slug}` before `/v1/tenants/{id}`), as in API Gateway.
 * `HEAD` goes to the path's GET function and `OPTIONS` to any function of the path, which
 * answer them themselves (see `endpoint()`), as the deployed ingress routes them.
 */
export interface LocalRequest {
  readonly method: string;
  /** Path with the query string, as on the wire. */
  readonly url: string;
  /** A header sent several times is a list of its values (`IncomingMessage.headersDistinct`). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Text, or the bytes as received (passed on base64-encoded when they are not UTF-8). */
  readonly body?: string | Uint8Array;
  readonly sourceIp?: string;
}

export interface Router {
  /** The operation a method and path reach, if any. */
  match(method: string, path: string): { operation: Operation; params: Record<string, string> } | undefined;
  handle(request: LocalRequest): Promise<HttpResponse & { operationId?: string }>;
}

const literalScore = (path: string) => path.split('/').filter((s) => s && !s.startsWith('{')).length;

export async function createRouter(): Promise<Router> {
  const ops = operations().sort((a, b) => literalScore(b.path) - literalScore(a.path));
  const handlers = new Map<string, EndpointHandler>();
  for (const op of ops) {
    const module = (await import(`../../functions/${kebab(op.operationId)}/handler.ts`)) as {
      handler: EndpointHandler;
    };
    handlers.set(op.operationId, module.handler);
  }
  let counter = 0;

  const match = (method: string, path: string) => {
    for (const operation of ops) {
      if (operation.method !== method) continue;
      const params = matchPath(operation.path, path);
      if (params) return { operation, params };
    }
    return undefined;
  };
  /** The function a method reaches: HEAD the GET's, OPTIONS the first of the path's. */
  const target = (method: string, path: string) => {
    if (method === 'HEAD') return match('GET', path);
    if (method !== 'OPTIONS') return match(method, path);
    for (const operation of ops) {
      const params = matchPath(operation.path, path);
      if (params) return { operation, params };
    }
    return undefined;
  };

  return {
    match,
    async handle(request) {
      const url = new URL(request.url, 'http://local');
      const method = request.method.toUpperCase();
      const found = target(method, url.pathname);
      const handler = found && handlers.get(found.operation.operationId);
      if (!found || !handler) return method === 'HEAD' ? { ...unknownRoute(), body: '' } : unknownRoute();
      const requestId = `local-${Date.now().toString(36)}-${(counter++).toString(36)}`;
      const event = apiGatewayEvent(request, url, found.operation.path, found.params, requestId);
      const response = await handler(event, lambdaContext(requestId, found.operation.operationId));
      return { ...singleValued(response), operationId: found.operation.operationId };
    },
  };
}

/** API Gateway events get API Gateway responses; this only satisfies the type. */
function singleValued(response: LambdaHttpResponse): HttpResponse {
  if ('headers' in response) return response;
  const { multiValueHeaders, ...rest } = response;
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(multiValueHeaders)) headers[name] = values.join(',');
  return { ...rest, headers };
}

/** The API Gateway REST proxy event a deployed function would receive. */
function apiGatewayEvent(
  request: LocalRequest,
  url: URL,
  resource: string,
  params: Record<string, string>,
  requestId: string,
): APIGatewayProxyEvent {
  // As API Gateway does: `headers` holds the last value of each header, `multiValueHeaders`
  // every value. Names differing only in case stay apart, as sent.
  const headers: Record<string, string> = Object.create(null);
  const multiValueHeaders: Record<string, string[]> = Object.create(null);
  for (const [k, v] of Object.entries(request.headers)) {
    if (v === undefined) continue;
    const values: string[] = typeof v === 'string' ? [v] : [...v];
    if (values.length === 0) continue;
    headers[k] = values.at(-1) ?? '';
    multiValueHeaders[k] = values;
  }
  const body = eventBody(request.body);
  const query: Record<string, string> = Object.create(null);
  const multiQuery: Record<string, string[]> = Object.create(null);
  for (const [k, v] of url.searchParams) {
    query[k] = v;
    multiQuery[k] = [...(multiQuery[k] ?? []), v];
  }
  const hasQuery = Object.keys(query).length > 0;
  return {
    resource,
    path: url.pathname,
    httpMethod: request.method.toUpperCase(),
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(params).length > 0 ? params : null,
    stageVariables: null,
    body: body.text,
    isBase64Encoded: body.base64,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: request.method.toUpperCase(),
      path: url.pathname,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
      identity: {
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? null,
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
    },
  };
}

/** Bytes that are UTF-8 go as text; others base64-encoded, so the handler sees them as they came. */
function eventBody(body: LocalRequest['body']): { text: string | null; base64: boolean } {
  if (body === undefined || body.length === 0) return { text: null, base64: false };
  if (typeof body === 'string') return { text: body, base64: false };
  if (isUtf8(body)) return { text: Buffer.from(body).toString('utf8'), base64: false };
  return { text: Buffer.from(body).toString('base64'), base64: true };
}

function lambdaContext(requestId: string, operationId: string): Context {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `tenant-registry-${kebab(operationId)}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:tenant-registry-${kebab(operationId)}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/tenant-registry-${kebab(operationId)}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
