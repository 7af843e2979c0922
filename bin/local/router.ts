import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { kebab } from '../../shared/contract/planes';
import { type Operation, operations } from '../../shared/contract/spec';
import type { EndpointHandler } from '../../shared/http/endpoint';
import { matchPath } from '../../shared/http/request';
import { type HttpResponse, unknownRoute } from '../../shared/http/responses';

/**
 * Routes requests to the very handlers Lambda runs, from openapi.yaml. Literal segments win
 * over parameters (`/v1/tenants/by-slug/{slug}` before `/v1/tenants/{id}`), as in API Gateway.
 */
export interface LocalRequest {
  readonly method: string;
  /** Path with the query string, as on the wire. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body?: string;
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

  return {
    match,
    async handle(request) {
      const url = new URL(request.url, 'http://local');
      const found = match(request.method.toUpperCase(), url.pathname);
      const handler = found && handlers.get(found.operation.operationId);
      if (!found || !handler) return unknownRoute();
      const requestId = `local-${Date.now().toString(36)}-${(counter++).toString(36)}`;
      const event = apiGatewayEvent(request, url, found.operation.path, found.params, requestId);
      const response = await handler(event, lambdaContext(requestId, found.operation.operationId));
      return { ...response, operationId: found.operation.operationId };
    },
  };
}

/** The API Gateway REST proxy event a deployed function would receive. */
function apiGatewayEvent(
  request: LocalRequest,
  url: URL,
  resource: string,
  params: Record<string, string>,
  requestId: string,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = Object.create(null);
  const multiValueHeaders: Record<string, string[]> = Object.create(null);
  for (const [k, v] of Object.entries(request.headers)) {
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    headers[k] = values.join(',');
    multiValueHeaders[k] = values;
  }
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
    body: request.body === undefined || request.body === '' ? null : request.body,
    isBase64Encoded: false,
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
