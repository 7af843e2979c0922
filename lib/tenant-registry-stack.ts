import {
  CfnOutput,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_dynamodb as dynamodb,
  type aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  aws_events as events,
  aws_events_targets as eventTargets,
  type aws_logs as logs,
  RemovalPolicy,
  Stack,
  type StackProps,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { GSI_NUMBERS, TTL_ATTRIBUTE } from '../shared/adapters/dynamodb/table';
import { type Operation, operations } from '../shared/contract/spec';
import { type Cidr, parseCidrList } from './cidrs';
import { AlbIngress } from './constructs/alb-ingress';
import { EndpointFunctions } from './constructs/endpoint-functions';
import { type IngressMetrics, Monitoring } from './constructs/monitoring';
import { RegistryData } from './constructs/registry-data';
import { PROJECT_ROOT, RegistryFunction } from './constructs/registry-function';
import { RestApiIngress } from './constructs/rest-api-ingress';
import { addNagSuppressions } from './nag';
import { RECONCILER_ACCESS } from './permissions';
import { type TenantSelection, tenantSelectionEnvironment } from './tenant-selection';

export { entryOf } from './constructs/endpoint-functions';

export type IngressMode = 'apigateway' | 'alb';

export interface TenantRegistryStackProps extends StackProps {
  /**
   * Deployment stage; part of the SSM prefix and the API stage name.
   * @default 'dev'
   */
  readonly stage?: string;
  /**
   * SSM prefix under which aliases are published (`<prefix>/aliases/<slug>`).
   * @default `/tenant-registry/${stage}`
   */
  readonly ssmPrefix?: string;
  /**
   * Memory of every function that lib/permissions.ts OPERATION_SIZING does not size, in MiB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * TENANT_REGISTRY_API_ENABLED of every function. Off by default, as the seed says: every route
   * but the probes answers 404 until this is true (and the admin token exists).
   * @default false
   */
  readonly apiEnabled?: boolean;
  /**
   * Source ranges (IPv4 or IPv6 CIDR) allowed to reach the operator and service planes. Empty
   * closes those planes to everyone.
   * @default []
   */
  readonly allowedCidrs?: readonly (string | Cidr)[];
  /**
   * `apigateway`: a REST API with a resource policy. `alb`: an Application Load Balancer whose
   * listener rules carry the allowlist.
   * @default 'apigateway'
   */
  readonly ingress?: IngressMode;
  /**
   * A WAFv2 web ACL with the allowlist as an IP set in front of the ingress.
   * @default false
   */
  readonly waf?: boolean;
  /** Email address subscribed to the alarm topic. @default none */
  readonly alarmEmail?: string;
  /** Rejected credentials per 5 minutes that page. @default 10 */
  readonly authRejectedThreshold?: number;
  /** Days between automatic admin token rotations. @default 90 */
  readonly tokenRotationDays?: number;
  /** How often the alias reconciler runs. @default Duration.hours(1) */
  readonly reconcileEvery?: Duration;
  /** `alb` mode: an existing VPC. @default a new VPC (or the one `vpcId` names) */
  readonly vpc?: ec2.IVpc;
  /** `alb` mode: the id of an existing VPC, looked up at synth. @default a new VPC */
  readonly vpcId?: string;
  /** `alb` mode: ACM certificate for an HTTPS listener. @default none: HTTP on port 80 */
  readonly certificateArn?: string;
  /** `apigateway` mode: stage rate limit, requests per second. @default 50 */
  readonly throttlingRateLimit?: number;
  /** `apigateway` mode: stage burst limit. @default 100 */
  readonly throttlingBurstLimit?: number;
  /**
   * `apigateway` mode: set the account's API Gateway CloudWatch role (once per account and region).
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /** Retention of the functions' log groups. @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** The operations to deploy. @default every operation of openapi.yaml */
  readonly operations?: readonly Operation[];
  /**
   * Keycloak organization provisioning on tenant create (docs/keycloak.md). Only createTenant
   * gets the settings and read access to the client secret.
   * @default no provisioning: `admin_email` is accepted and ignored
   */
  readonly keycloak?: KeycloakProps;
  /**
   * How `/tenant/...` names its tenant: passed to the tenant-plane functions as
   * TENANT_REGISTRY_TENANT_HEADER, _TENANT_REQUIRED, _DEFAULT_TENANT and _ALLOWED_TENANTS,
   * validated at synth by the functions' own parser.
   * @default the functions' defaults (X-Tenant-ID, required, no default, every tenant allowed)
   */
  readonly tenantSelection?: TenantSelection;
}

export interface KeycloakProps {
  /** Base URL users and the registry reach Keycloak at, e.g. https://id.example.com. */
  readonly url: string;
  readonly realm: string;
  /** A confidential client allowed to manage organizations. */
  readonly clientId: string;
  /** The complete ARN of the Secrets Manager secret whose SecretString is the client's secret. */
  readonly clientSecretArn: string;
}

/**
 * Tenant Registry: the table, one function per openapi.yaml operation with least privilege, the
 * admin token with its rotation, the ingress (API Gateway or ALB) with the CIDR allowlist on the
 * operator and service planes (the tenant plane is open, authenticated by API key), the
 * alias reconciler on a schedule, and the alarms.
 */
export class TenantRegistryStack extends Stack {
  readonly table: dynamodb.Table;
  readonly data: RegistryData;
  readonly endpoints: EndpointFunctions;
  readonly reconciler: RegistryFunction;
  readonly reconcileRule: events.Rule;
  readonly restApi?: RestApiIngress;
  readonly alb?: AlbIngress;
  readonly monitoring: Monitoring;
  readonly allowedCidrs: readonly Cidr[];

  constructor(scope: Construct, id: string, props: TenantRegistryStackProps = {}) {
    super(scope, id, props);
    const stage = props.stage ?? 'dev';
    const ssmPrefix = props.ssmPrefix ?? `/tenant-registry/${stage}`;
    if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(ssmPrefix)) {
      throw new Error(
        `ssmPrefix must be a parameter path like /tenant-registry/prod: ${JSON.stringify(ssmPrefix)}`,
      );
    }
    this.allowedCidrs = parseCidrList(
      (props.allowedCidrs ?? []).map((c) => (typeof c === 'string' ? c : c.cidr)),
    );
    const ops = props.operations ?? operations();
    const tenantEnvironment = tenantSelectionEnvironment(props.tenantSelection);
    const ingress = props.ingress ?? 'apigateway';

    // The construct id `Table` must never change: a new logical id is a new, empty table.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'SK', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: TTL_ATTRIBUTE,
    });
    // ==== TABLE INDEXES: the one place to declare a GSI. The numbers come from GSI_NUMBERS in
    // ==== shared/adapters/dynamodb/table.ts; test/infra/stack.test.ts compares the whole shape
    // ==== (keys, projection) with tableDefinition(). NB: CloudFormation adds or removes only one
    // ==== GSI per table update, so on a deployed table new indexes go in one deploy at a time.
    for (const n of GSI_NUMBERS) {
      this.table.addGlobalSecondaryIndex({
        indexName: `GSI${n}`,
        partitionKey: { name: `GSI${n}PK`, type: dynamodb.AttributeType.STRING },
        sortKey: { name: `GSI${n}SK`, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    // ==== END OF TABLE INDEXES

    this.data = new RegistryData(this, 'Data', {
      table: this.table,
      ssmPrefix,
      ...(props.tokenRotationDays === undefined ? {} : { rotationDays: props.tokenRotationDays }),
    });
    this.endpoints = new EndpointFunctions(this, 'Functions', {
      operations: ops,
      data: this.data,
      apiEnabled: props.apiEnabled ?? false,
      tenantEnvironment,
      ...(props.memorySize === undefined ? {} : { memorySize: props.memorySize }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    });

    if (props.keycloak) {
      const create = this.endpoints.byOperation.get('createTenant')?.function;
      if (create) {
        const { url, realm, clientId, clientSecretArn } = props.keycloak;
        const secret = secretsmanager.Secret.fromSecretCompleteArn(
          this,
          'KeycloakClientSecret',
          clientSecretArn,
        );
        create.addEnvironment('TENANT_REGISTRY_KEYCLOAK_URL', url);
        create.addEnvironment('TENANT_REGISTRY_KEYCLOAK_REALM', realm);
        create.addEnvironment('TENANT_REGISTRY_KEYCLOAK_CLIENT_ID', clientId);
        create.addEnvironment('TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET_ID', secret.secretArn);
        secret.grantRead(create);
      }
    }

    this.reconciler = new RegistryFunction(this, 'AliasReconciler', {
      entry: `${PROJECT_ROOT}bin/jobs/reconcile-aliases.ts`,
      description: 'Tenant Registry alias reconciler: repairs drift between the table and the SSM alias map',
      timeout: Duration.minutes(5),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    });
    this.data.grantTable(this.reconciler.function, RECONCILER_ACCESS);
    this.data.grantAliases(this.reconciler.function, 'reconcile');
    this.reconcileRule = new events.Rule(this, 'ReconcileSchedule', {
      description: 'Runs the Tenant Registry alias reconciler',
      schedule: events.Schedule.rate(props.reconcileEvery ?? Duration.hours(1)),
      targets: [new eventTargets.LambdaFunction(this.reconciler.function, { retryAttempts: 2 })],
    });

    const functionOf = (operationId: string) => {
      const fn = this.endpoints.byOperation.get(operationId);
      if (!fn) throw new Error(`no function for ${operationId}`);
      return fn.function;
    };
    let ingressMetrics: IngressMetrics;
    let wafBlocked: cloudwatch.IMetric | undefined;
    if (ingress === 'apigateway') {
      this.restApi = new RestApiIngress(this, 'RestApi', {
        operations: ops,
        functionOf,
        allowedCidrs: this.allowedCidrs,
        stageName: stage,
        waf: props.waf ?? false,
        ...(props.throttlingRateLimit === undefined
          ? {}
          : { throttlingRateLimit: props.throttlingRateLimit }),
        ...(props.throttlingBurstLimit === undefined
          ? {}
          : { throttlingBurstLimit: props.throttlingBurstLimit }),
        ...(props.apiGatewayCloudWatchRole === undefined
          ? {}
          : { cloudWatchRole: props.apiGatewayCloudWatchRole }),
      });
      const api = this.restApi.api;
      ingressMetrics = {
        kind: 'apigateway',
        // 5XXError averaged over requests is the share of requests that failed.
        serverErrorRate: api.metricServerError({ statistic: 'Average', period: Duration.minutes(5) }),
        requests: api.metricCount({ statistic: 'Sum', period: Duration.minutes(5) }),
      };
      if (this.restApi.waf) wafBlocked = wafBlockedMetric(this.restApi.waf.webAclName, this.region);
    } else if (ingress === 'alb') {
      this.alb = new AlbIngress(this, 'Alb', {
        operations: ops,
        functionOf,
        allowedCidrs: this.allowedCidrs,
        waf: props.waf ?? false,
        ...(props.vpc ? { vpc: props.vpc } : {}),
        ...(props.vpcId ? { vpcId: props.vpcId } : {}),
        ...(props.certificateArn ? { certificateArn: props.certificateArn } : {}),
      });
      const lb = this.alb.loadBalancer.metrics;
      const period = Duration.minutes(5);
      ingressMetrics = {
        kind: 'alb',
        serverErrorRate: new cloudwatch.MathExpression({
          expression: 'IF(requests > 0, (target5xx + elb5xx) / requests, 0)',
          usingMetrics: {
            target5xx: lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum', period }),
            elb5xx: lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum', period }),
            requests: lb.requestCount({ statistic: 'Sum', period }),
          },
          label: '5xx share',
          period,
        }),
        requests: lb.requestCount({ statistic: 'Sum', period }),
      };
      if (this.alb.waf) wafBlocked = wafBlockedMetric(this.alb.waf.webAclName, this.region);
    } else {
      throw new Error(`ingress must be apigateway or alb: ${JSON.stringify(ingress)}`);
    }

    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: [...this.endpoints.all, this.reconciler, this.data.rotation],
      table: this.table,
      ingress: ingressMetrics,
      ...(wafBlocked ? { wafBlocked } : {}),
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
      ...(props.authRejectedThreshold === undefined
        ? {}
        : { authRejectedThreshold: props.authRejectedThreshold }),
    });

    new CfnOutput(this, 'AdminTokenSecretArn', {
      description: 'The admin token (AWSCURRENT; AWSPREVIOUS stays valid until the next rotation)',
      value: this.data.adminToken.secretArn,
    });
    if (this.alb) {
      new CfnOutput(this, 'LoadBalancerUrl', { value: this.alb.url });
    }

    addNagSuppressions(this);
  }
}

function wafBlockedMetric(webAclName: string, region: string): cloudwatch.IMetric {
  return new cloudwatch.Metric({
    namespace: 'AWS/WAFV2',
    metricName: 'BlockedRequests',
    dimensionsMap: { WebACL: webAclName, Region: region, Rule: 'ALL' },
    statistic: 'Sum',
    period: Duration.minutes(5),
  });
}
