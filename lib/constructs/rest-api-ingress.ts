import {
  aws_apigateway as apigateway,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { type Plane, planeOf } from '../../shared/contract/planes';
import type { Operation } from '../../shared/contract/spec';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import type { Cidr } from '../cidrs';
import { albPathPattern, isStreamed, optionsOperations, RESTRICTED_PLANE_PREFIXES } from '../routing';
import { AllowlistWaf } from './allowlist-waf';
import { pascal } from './endpoint-functions';

/** Steady-state requests per second and burst of a method (API Gateway method throttling). */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface RestApiIngressProps {
  readonly operations: readonly Operation[];
  /** The function of each operation, by operationId. */
  readonly functionOf: (operationId: string) => lambda.IFunction;
  readonly allowedCidrs: readonly Cidr[];
  readonly stageName: string;
  /**
   * The stage's default throttle: every method that `planeThrottles` does not set (the public
   * probes unless set there). @default 10 requests per second, burst 20
   */
  readonly defaultThrottle?: Throttle;
  /**
   * Method throttling per plane: each method (HEAD and OPTIONS included) of the plane gets this
   * limit, so a flood on one plane cannot take the capacity another plane's callers need (the
   * account-wide API Gateway quota is shared by every stage and API).
   * @default no per-plane setting: the stage default applies
   */
  readonly planeThrottles?: Readonly<Partial<Record<Plane, Throttle>>>;
  /** A WAFv2 web ACL with the allowlist as an IP set. @default false */
  readonly waf?: boolean;
  /** With WAF: requests per source IP in 5 minutes on the tenant plane (and probes). @default no rate rule */
  readonly wafTenantRateLimit?: number;
  /** Largest request body WAF lets through (when on). @default 65536 */
  readonly maxBodyBytes?: number;
  /**
   * Let the stack set the account's API Gateway CloudWatch role (needed once per account and
   * region for access and execution logs). Turn off when the account already has one.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
}

/**
 * API Gateway (REST) in front of the functions: one resource and method per operation of
 * openapi.yaml, each a Lambda proxy integration, plus `HEAD` on every `GET` (to the GET function)
 * and `OPTIONS` on every path (to the function `optionsOperations` picks; the endpoint layer
 * answers both); a resource policy that denies the operator and service planes to every source
 * outside the allowlist; throttling per plane, JSON access logs, tracing; gateway responses that
 * make an unknown route, or a denied one, look exactly like the app's unknown route.
 *
 * One Lambda permission per function, for its own path and any method (its operation, HEAD,
 * OPTIONS) and stage (the console's test-invoke too), instead of CDK's two per method: the
 * resource count grows by one per operation, not six.
 */
export class RestApiIngress extends Construct {
  readonly api: apigateway.RestApi;
  readonly waf?: AllowlistWaf;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RestApiIngressProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'Tenant Registry: operator, service, tenant and public planes (routes from openapi.yaml)',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      cloudWatchRole: props.cloudWatchRole ?? true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      policy: resourcePolicy(props.allowedCidrs),
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.defaultThrottle?.rateLimit ?? 10,
        throttlingBurstLimit: props.defaultThrottle?.burstLimit ?? 20,
        methodOptions: planeMethodOptions(props.operations, props.planeThrottles ?? {}),
        tracingEnabled: true,
        ...METHOD_LOGGING,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
      },
    });

    // `/{tenant}/...` (the tenant plane, and its selected form `/tenant/...`) is a path variable
    // at the root, beside the static `/v1`, `/healthz` and `/readyz`; API Gateway prefers a
    // static sibling, so `/v1/...` stays with the operator functions. It allows one variable
    // child per resource: checked here, or the deploy would fail halfway.
    assertOneVariablePerLevel(props.operations.map((op) => op.path));
    const integrations = new Map<string, apigateway.Integration>();
    const integrationOf = (op: Operation): apigateway.Integration => {
      const known = integrations.get(op.operationId);
      if (known) return known;
      const fn = props.functionOf(op.operationId);
      new lambda.CfnPermission(this, `Invoke${pascal(op.operationId)}`, {
        action: 'lambda:InvokeFunction',
        functionName: fn.functionArn,
        principal: 'apigateway.amazonaws.com',
        sourceArn: this.api.arnForExecuteApi('*', albPathPattern(op.path), '*'),
      });
      // Streamed operations (exports) are invoked with InvokeWithResponseStream, whose API
      // Gateway URI differs, and their integration passes the body on as it comes; the Lambda
      // permission (lambda:InvokeFunction) covers both invocations.
      const integration = isStreamed(op)
        ? new apigateway.AwsIntegration({
            proxy: true,
            service: 'lambda',
            path: `2021-11-15/functions/${fn.functionArn}/response-streaming-invocations`,
            options: { responseTransferMode: apigateway.ResponseTransferMode.STREAM },
          })
        : new apigateway.AwsIntegration({
            proxy: true,
            service: 'lambda',
            path: `2015-03-31/functions/${fn.functionArn}/invocations`,
          });
      integrations.set(op.operationId, integration);
      return integration;
    };
    for (const op of props.operations) {
      const resource = this.api.root.resourceForPath(op.path);
      resource.addMethod(op.method, integrationOf(op), { operationName: op.operationId });
      if (op.method === 'GET') {
        resource.addMethod('HEAD', integrationOf(op), { operationName: `${op.operationId}Head` });
      }
    }
    for (const [path, op] of optionsOperations(props.operations)) {
      this.api.root
        .resourceForPath(path)
        .addMethod('OPTIONS', integrationOf(op), { operationName: `${op.operationId}Options` });
    }

    const unknownRoute = { 'application/json': UNKNOWN_ROUTE_BODY };
    const json = { 'Content-Type': "'application/json'", 'Cache-Control': "'no-store'" };
    // No resource or method: the same 404 as the app's unknown route.
    for (const type of [
      apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
      apigateway.ResponseType.RESOURCE_NOT_FOUND,
    ]) {
      this.api.addGatewayResponse(`Gateway${type.responseType}`, {
        type,
        statusCode: '404',
        responseHeaders: json,
        templates: unknownRoute,
      });
    }
    // Outside the allowlist (resource policy or WAF): indistinguishable from a path that does not exist.
    for (const type of [apigateway.ResponseType.ACCESS_DENIED, apigateway.ResponseType.WAF_FILTERED]) {
      this.api.addGatewayResponse(`Gateway${type.responseType}`, {
        type,
        statusCode: '404',
        responseHeaders: json,
        templates: unknownRoute,
      });
    }
    this.api.addGatewayResponse('GatewayTHROTTLED', {
      type: apigateway.ResponseType.THROTTLED,
      statusCode: '429',
      responseHeaders: json,
      templates: {
        'application/json':
          '{"error":"throttled","message":"too many requests","request_id":"$context.requestId"}',
      },
    });
    this.api.addGatewayResponse('GatewayDEFAULT_4XX', {
      type: apigateway.ResponseType.DEFAULT_4XX,
      responseHeaders: json,
      templates: {
        'application/json':
          '{"error":"invalid_request","message":"the gateway refused the request","request_id":"$context.requestId"}',
      },
    });
    this.api.addGatewayResponse('GatewayDEFAULT_5XX', {
      type: apigateway.ResponseType.DEFAULT_5XX,
      responseHeaders: json,
      templates: {
        'application/json':
          '{"error":"internal","message":"internal error","request_id":"$context.requestId"}',
      },
    });

    if (props.waf) {
      const stage = this.api.deploymentStage;
      this.waf = new AllowlistWaf(this, 'Waf', {
        allowedCidrs: props.allowedCidrs,
        restrictedPathPrefixes: [
          ...RESTRICTED_PLANE_PREFIXES.map((p) => `/${props.stageName}${p}`),
          ...RESTRICTED_PLANE_PREFIXES,
        ],
        resourceArn: stage.stageArn,
        target: 'apigateway',
        ...(props.wafTenantRateLimit === undefined ? {} : { tenantRateLimit: props.wafTenantRateLimit }),
        ...(props.maxBodyBytes === undefined ? {} : { maxBodyBytes: props.maxBodyBytes }),
        metricPrefix: 'TenantRegistryApi',
      });
    }
  }
}

/**
 * Everyone may invoke; the operator and service planes (`/v1/...`, which includes
 * `/v1/internal/...`) are denied to any source outside the allowlist, or to everyone when it is
 * empty. The tenant plane (`/{tenant}/...`, `/tenant/...`: authenticated by API key) and the
 * health probes stay open: the Allow on `execute-api:/*` covers them and the Deny does not.
 * Why this shape: see the comment in the body.
 */
export function resourcePolicy(allowedCidrs: readonly Cidr[]): iam.PolicyDocument {
  // How the ARNs match. API Gateway evaluates the policy against
  // `<api>/<stage>/<METHOD>/<request path>`, the path as requested (`acme/profile`, not
  // `{tenant}/profile`), and a `*` in a policy resource matches any characters, `/` included.
  // - The Deny `execute-api:/*/*/v1/*` thus matches every request path that starts with `/v1/`
  //   whichever resource it reaches: the operator and service planes are closed to outsiders by
  //   request path, not by resource. It also matches a path with a `/v1/` segment deeper down;
  //   no tenant route has one, but for the reserved tenant name `v1` itself, which the tenant
  //   functions answer with 404 anyway.
  // - No Allow per tenant route, on purpose: `execute-api:/*/GET/*/profile` would by the same
  //   rule also match `v1/profile` or `v1/tenants/x/profile`. That opens nothing (such a request
  //   reaches a function only where a resource matches it, and the Deny wins over any Allow), but
  //   it would make the Allow look narrower than it is. One Allow for everything plus one Deny
  //   for the restricted prefix says exactly what holds; test/infra/ingress.test.ts evaluates it
  //   for every route, from inside and outside the allowlist.
  const restricted = RESTRICTED_PLANE_PREFIXES.map((p) => `execute-api:/*/*${p}*`);
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        effect: iam.Effect.ALLOW,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
      }),
      new iam.PolicyStatement({
        sid: 'OperatorAndServicePlanesAllowlist',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: restricted,
        ...(allowedCidrs.length === 0
          ? {}
          : { conditions: { NotIpAddress: { 'aws:SourceIp': allowedCidrs.map((c) => c.cidr) } } }),
      }),
    ],
  });
}

/** Errors only and no data trace: execution logs must never hold a request's headers. */
const METHOD_LOGGING = {
  loggingLevel: apigateway.MethodLoggingLevel.ERROR,
  dataTraceEnabled: false,
  metricsEnabled: true,
} as const satisfies apigateway.MethodDeploymentOptions;

/**
 * Method settings (`/<resource path>/<METHOD>`) giving every method of a plane, HEAD and OPTIONS
 * included, that plane's throttle.
 */
export function planeMethodOptions(
  ops: readonly Operation[],
  throttles: Readonly<Partial<Record<Plane, Throttle>>>,
): Record<string, apigateway.MethodDeploymentOptions> {
  const options: Record<string, apigateway.MethodDeploymentOptions> = {};
  const set = (path: string, method: string) => {
    const throttle = throttles[planeOf(path)];
    if (!throttle) return;
    // A method setting replaces the stage's for that method: repeat logging and metrics.
    options[`${path}/${method}`] = {
      ...METHOD_LOGGING,
      throttlingRateLimit: throttle.rateLimit,
      throttlingBurstLimit: throttle.burstLimit,
    };
  };
  for (const op of ops) {
    set(op.path, op.method);
    if (op.method === 'GET') set(op.path, 'HEAD');
  }
  for (const path of optionsOperations(ops).keys()) set(path, 'OPTIONS');
  return options;
}

/**
 * API Gateway allows one path-variable child per resource (`/{tenant}` and `/{id}` cannot be
 * siblings): fail at synth, naming both paths, rather than at deploy.
 */
export function assertOneVariablePerLevel(paths: readonly string[]): void {
  const variableOf = new Map<string, { name: string; path: string }>();
  for (const path of paths) {
    const parts = path.split('/').filter((p) => p !== '');
    for (const [i, part] of parts.entries()) {
      if (!part.startsWith('{')) continue;
      const parent = `/${parts.slice(0, i).join('/')}`;
      const seen = variableOf.get(parent);
      if (seen && seen.name !== part) {
        throw new Error(
          `API Gateway allows one path variable under ${parent}: ${seen.path} has ${seen.name}, ${path} has ${part}`,
        );
      }
      variableOf.set(parent, { name: part, path });
    }
  }
}
