import {
  aws_apigateway as apigateway,
  aws_iam as iam,
  type aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  Stack,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Operation } from '../../shared/contract/spec';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import type { Cidr } from '../cidrs';
import { RESTRICTED_PLANE_PREFIXES } from '../routing';
import { AllowlistWaf } from './allowlist-waf';

export interface RestApiIngressProps {
  readonly operations: readonly Operation[];
  /** The function of each operation, by operationId. */
  readonly functionOf: (operationId: string) => lambda.IFunction;
  readonly allowedCidrs: readonly Cidr[];
  readonly stageName: string;
  /** Steady-state requests per second of the stage. @default 50 */
  readonly throttlingRateLimit?: number;
  /** @default 100 */
  readonly throttlingBurstLimit?: number;
  /** A WAFv2 web ACL with the allowlist as an IP set. @default false */
  readonly waf?: boolean;
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
 * openapi.yaml, each a Lambda proxy integration; a resource policy that denies the operator and
 * service planes to every source outside the allowlist; stage throttling, JSON access logs,
 * tracing; gateway responses that make an unknown route, or a denied one, look exactly like the
 * app's unknown route.
 */
export class RestApiIngress extends Construct {
  readonly api: apigateway.RestApi;
  readonly waf?: AllowlistWaf;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RestApiIngressProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
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
        throttlingRateLimit: props.throttlingRateLimit ?? 50,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
        tracingEnabled: true,
        // Errors only and no data trace: execution logs must never hold a request's headers.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
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
    for (const op of props.operations) {
      const resource = this.api.root.resourceForPath(op.path);
      resource.addMethod(op.method, new apigateway.LambdaIntegration(props.functionOf(op.operationId)), {
        operationName: op.operationId,
      });
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
