import {
  Duration,
  type Environment,
  type aws_ec2 as ec2,
  type aws_logs as logs,
  type Stack,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Plane } from '../shared/contract/planes';
import { type Operation, operations } from '../shared/contract/spec';
import { AUDIT_RETENTION_MAX_DAYS, AUDIT_RETENTION_MIN_DAYS } from '../shared/domain/audit-retention';
import { type Cidr, parseCidrList } from './cidrs';
import type { RegistryFunction } from './constructs/registry-function';
import type { Throttle } from './constructs/rest-api-ingress';
import { addNagSuppressions } from './nag';
import { DataStack } from './stacks/data-stack';
import { EventsStack } from './stacks/events-stack';
import { FunctionsStack, type KeycloakProps } from './stacks/functions-stack';
import { type IngressMode, IngressStack } from './stacks/ingress-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { type TenantSelection, tenantSelectionEnvironment } from './tenant-selection';

export { entryOf } from './constructs/endpoint-functions';
export type { Throttle } from './constructs/rest-api-ingress';
export type { KeycloakProps } from './stacks/functions-stack';
export type { IngressMode } from './stacks/ingress-stack';

/** API Gateway method throttling per plane (requests per second, burst), when not configured. */
export const DEFAULT_THROTTLES: Readonly<Record<Plane, Throttle>> = Object.freeze({
  // The probes: health checkers, not traffic.
  public: { rateLimit: 10, burstLimit: 20 },
  operator: { rateLimit: 20, burstLimit: 40 },
  // Key verification and claims sit on other products' hot paths.
  service: { rateLimit: 100, burstLimit: 200 },
  tenant: { rateLimit: 50, burstLimit: 100 },
});
/** With WAF: requests per source IP in 5 minutes the tenant plane takes before answering 429. */
export const DEFAULT_WAF_TENANT_RATE_LIMIT = 2000;
/** Reserved concurrency of the key verification function (service plane). */
export const DEFAULT_VERIFY_RESERVED_CONCURRENCY = 20;
/** Reserved concurrency of each tenant-plane function. */
export const DEFAULT_TENANT_RESERVED_CONCURRENCY = 10;
/** SSM parameter names may not start with `aws` or `ssm`, in any case (Parameter Store naming constraints). */
export const RESERVED_SSM_PREFIX = /^\/*(aws|ssm)/i;

export interface TenantRegistryProps {
  /** Account and region of every stack. @default the CLI's (environment-agnostic) */
  readonly env?: Environment;
  /** Tags of every stack. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Deployment stage; part of the stack names, the SSM prefix, the API stage name and the
   * metrics' `Stage` dimension.
   * @default 'dev'
   */
  readonly stage?: string;
  /**
   * SSM prefix under which aliases are published (`<prefix>/aliases/<slug>`). Not under `/aws`
   * or `/ssm` (reserved by AWS).
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
  /**
   * With WAF: requests per source IP in 5 minutes on the tenant plane (and the probes) before the
   * rate-based rule answers 429. At least 10 (WAF's minimum).
   * @default DEFAULT_WAF_TENANT_RATE_LIMIT (2000)
   */
  readonly wafTenantRateLimit?: number;
  /** Email address subscribed to the alarm topic. @default none */
  readonly alarmEmail?: string;
  /** Rejected operator/service credentials per 5 minutes that page. @default 10 */
  readonly authRejectedThreshold?: number;
  /** Rejected tenant-plane keys per 5 minutes that page. @default 500 */
  readonly tenantAuthRejectedThreshold?: number;
  /** Days between automatic admin token rotations. @default 90 */
  readonly tokenRotationDays?: number;
  /** How often the alias reconciler runs. @default Duration.hours(1) */
  readonly reconcileEvery?: Duration;
  /** How often the scheduled audit verifier runs. @default Duration.hours(1) */
  readonly verifyAuditEvery?: Duration;
  /**
   * Days audit events are kept where a tenant sets no `audit_retention_days` (and on the global
   * chain), 30..3650 (CDK context `auditRetentionDays`). @default forever
   */
  readonly auditRetentionDays?: number;
  /** `alb` mode: an existing VPC. @default a new VPC (or the one `vpcId` names) */
  readonly vpc?: ec2.IVpc;
  /** `alb` mode: the id of an existing VPC, looked up at synth. @default a new VPC */
  readonly vpcId?: string;
  /** `alb` mode: ACM certificate for HTTPS:443; port 80 then redirects. @default none */
  readonly certificateArn?: string;
  /**
   * `alb` mode without a certificate: allow an internet-facing plain HTTP:80 listener. Tests and
   * throwaway stages only: tokens and keys would cross the internet in cleartext.
   * @default false: refused
   */
  readonly allowPlainHttp?: boolean;
  /** `alb` mode: the account's quota of rules per load balancer. @default 100 */
  readonly albMaxRules?: number;
  /**
   * `apigateway` mode: method throttling per plane (each method of the plane; `public` is the
   * stage default). Planes left out keep their default.
   * @default DEFAULT_THROTTLES
   */
  readonly throttles?: Readonly<Partial<Record<Plane, Throttle>>>;
  /**
   * Reserved concurrency of verifyApiKey: capacity other products' key checks always have, and
   * a ceiling on what a flood of them can take. `false`: none. Reserved concurrency comes out of
   * the account's unreserved pool, and Lambda refuses a reservation that leaves fewer than 100
   * unreserved ("You can reserve up to the Unreserved account concurrency value that is shown,
   * minus 100", Lambda developer guide, "Configuring reserved concurrency"): the defaults need an
   * account with at least 230 unreserved (docs/operations.md).
   * @default DEFAULT_VERIFY_RESERVED_CONCURRENCY (20)
   */
  readonly verifyReservedConcurrency?: number | false;
  /**
   * Reserved concurrency of each tenant-plane function: the internet-facing plane's ceiling, so
   * a flood there cannot starve the operator and service planes. `false`: none.
   * @default DEFAULT_TENANT_RESERVED_CONCURRENCY (10 each)
   */
  readonly tenantReservedConcurrency?: number | false;
  /**
   * `apigateway` mode: set the account's API Gateway CloudWatch role (once per account and region).
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /** Retention of the functions' log groups (retained after deletion). @default THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** The operations to deploy. @default every operation of openapi.yaml */
  readonly operations?: readonly Operation[];
  /**
   * Keycloak organization provisioning on tenant create (docs/keycloak.md). Only createTenant
   * gets the settings and read access to the client secret (and its KMS key, when given).
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
  /**
   * Days the event bus's archive keeps every event for replay (docs/events.md); 0 keeps them
   * indefinitely.
   * @default 90
   */
  readonly eventArchiveDays?: number;
}

/** Names the stacks of a stage: `<id>` (data) and `<id>-<Role>`. */
export const STACK_ROLES = ['Operator', 'Tenant', 'Ingress', 'Monitoring', 'Events'] as const;

/**
 * Tenant Registry as five stacks, so that each keeps room to grow under CloudFormation's
 * resource limit (test/infra/stacks.test.ts holds every documented mode under 300 each):
 *
 * - `<id>` (data): the table, the admin token with its rotation, the alarm topic. Same stack
 *   name and logical ids as the single-stack layout: an existing deploy keeps them.
 * - `<id>-Operator`: the functions of the operator, service and public planes, and the alias
 *   reconciler.
 * - `<id>-Tenant`: the tenant-plane functions.
 * - `<id>-Ingress`: API Gateway or the ALB (and WAF), routing to both functions stacks.
 * - `<id>-Monitoring`: the alarms (to the data stack's topic) and the dashboard.
 * - `<id>-Events`: the event bus and its archive, the table stream's consumer, its on-failure
 *   queue and their alarms (docs/events.md).
 *
 * References between them are weak (`@aws-cdk/core:defaultCrossStackReferences: weak` in
 * cdk.json): the consumer reads the producer's output with `Fn::GetStackOutput` at deploy
 * time, and no stack exports anything, so CloudFormation never refuses to remove or change
 * a value another stack uses (the "Export ... cannot be deleted as it is in use" deadlock of
 * `Fn::ImportValue`). The price: a consumer sees a changed value only when it is deployed again;
 * `cdk deploy --all` deploys producers first (docs/operations.md).
 */
export class TenantRegistry {
  readonly stage: string;
  readonly data: DataStack;
  readonly operator: FunctionsStack;
  /** Absent when no tenant-plane operation is deployed. */
  readonly tenant?: FunctionsStack;
  readonly ingress: IngressStack;
  readonly monitoring: MonitoringStack;
  readonly events: EventsStack;
  readonly allowedCidrs: readonly Cidr[];

  constructor(scope: Construct, id: string, props: TenantRegistryProps = {}) {
    const stage = props.stage ?? 'dev';
    this.stage = stage;
    const ssmPrefix = props.ssmPrefix ?? `/tenant-registry/${stage}`;
    if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(ssmPrefix)) {
      throw new Error(
        `ssmPrefix must be a parameter path like /tenant-registry/prod: ${JSON.stringify(ssmPrefix)}`,
      );
    }
    if (RESERVED_SSM_PREFIX.test(ssmPrefix)) {
      throw new Error(
        `ssmPrefix may not start with aws or ssm (reserved by AWS): ${JSON.stringify(ssmPrefix)}`,
      );
    }
    if (
      props.auditRetentionDays !== undefined &&
      !(
        Number.isInteger(props.auditRetentionDays) &&
        props.auditRetentionDays >= AUDIT_RETENTION_MIN_DAYS &&
        props.auditRetentionDays <= AUDIT_RETENTION_MAX_DAYS
      )
    ) {
      throw new Error(
        `auditRetentionDays must be an integer from ${AUDIT_RETENTION_MIN_DAYS} to ${AUDIT_RETENTION_MAX_DAYS}: ${props.auditRetentionDays}`,
      );
    }
    if (props.wafTenantRateLimit !== undefined && props.wafTenantRateLimit < 10) {
      throw new Error(`wafTenantRateLimit must be at least 10 (WAF's minimum): ${props.wafTenantRateLimit}`);
    }
    this.allowedCidrs = parseCidrList(
      (props.allowedCidrs ?? []).map((c) => (typeof c === 'string' ? c : c.cidr)),
    );
    const ops = props.operations ?? operations();
    const tenantEnvironment = tenantSelectionEnvironment(props.tenantSelection);
    const common = {
      ...(props.env ? { env: props.env } : {}),
      ...(props.tags ? { tags: { ...props.tags } } : {}),
    };
    // Alarm names carry the stage and a `.`, which stage names cannot hold: `TenantRegistry-prod.*`
    // never matches another stage's alarms (the topic's aws:SourceArn condition).
    const alarmNamePrefix = `${id}.`;

    this.data = new DataStack(scope, id, {
      ...common,
      description: `Tenant Registry ${stage}: table, admin token and its rotation, alarm topic (retained)`,
      ssmPrefix,
      alarmNamePrefix,
      ...(props.tokenRotationDays === undefined ? {} : { tokenRotationDays: props.tokenRotationDays }),
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });

    const verifyReserved = reserved(props.verifyReservedConcurrency, DEFAULT_VERIFY_RESERVED_CONCURRENCY);
    const tenantReserved = reserved(props.tenantReservedConcurrency, DEFAULT_TENANT_RESERVED_CONCURRENCY);
    const functionsProps = {
      ...common,
      data: this.data.data,
      stage,
      apiEnabled: props.apiEnabled ?? false,
      ...(props.memorySize === undefined ? {} : { memorySize: props.memorySize }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    };
    this.operator = new FunctionsStack(scope, `${id}-Operator`, {
      ...functionsProps,
      description: `Tenant Registry ${stage}: functions of the operator, service and public planes, alias reconciler`,
      operations: ops.filter((o) => o.plane !== 'tenant'),
      reservedConcurrency: (op) => (op.operationId === 'verifyApiKey' ? verifyReserved : undefined),
      reconcileEvery: props.reconcileEvery ?? Duration.hours(1),
      verifyAuditEvery: props.verifyAuditEvery ?? Duration.hours(1),
      ...(props.auditRetentionDays === undefined ? {} : { auditRetentionDays: props.auditRetentionDays }),
      webhookSender: true,
      ...(props.keycloak ? { keycloak: props.keycloak } : {}),
    });
    const tenantOps = ops.filter((o) => o.plane === 'tenant');
    if (tenantOps.length > 0) {
      this.tenant = new FunctionsStack(scope, `${id}-Tenant`, {
        ...functionsProps,
        description: `Tenant Registry ${stage}: functions of the tenant plane`,
        operations: tenantOps,
        tenantEnvironment,
        reservedConcurrency: () => tenantReserved,
      });
    }

    const functionOf = (operationId: string) => {
      const fn =
        this.operator.endpoints.byOperation.get(operationId) ??
        this.tenant?.endpoints.byOperation.get(operationId);
      if (!fn) throw new Error(`no function for ${operationId}`);
      return fn.function;
    };
    const throttles = { ...DEFAULT_THROTTLES, ...props.throttles };
    const waf = props.waf ?? false;
    this.ingress = new IngressStack(scope, `${id}-Ingress`, {
      ...common,
      description: `Tenant Registry ${stage}: ${props.ingress ?? 'apigateway'} ingress${waf ? ' with WAF' : ''}`,
      mode: props.ingress ?? 'apigateway',
      operations: ops,
      functionOf,
      allowedCidrs: this.allowedCidrs,
      stage,
      waf,
      ...(waf ? { wafTenantRateLimit: props.wafTenantRateLimit ?? DEFAULT_WAF_TENANT_RATE_LIMIT } : {}),
      defaultThrottle: throttles.public,
      planeThrottles: { operator: throttles.operator, service: throttles.service, tenant: throttles.tenant },
      ...(props.apiGatewayCloudWatchRole === undefined
        ? {}
        : { apiGatewayCloudWatchRole: props.apiGatewayCloudWatchRole }),
      ...(props.vpc ? { vpc: props.vpc } : {}),
      ...(props.vpcId ? { vpcId: props.vpcId } : {}),
      ...(props.certificateArn ? { certificateArn: props.certificateArn } : {}),
      ...(props.allowPlainHttp === undefined ? {} : { allowPlainHttp: props.allowPlainHttp }),
      ...(props.albMaxRules === undefined ? {} : { albMaxRules: props.albMaxRules }),
    });

    this.events = new EventsStack(scope, `${id}-Events`, {
      ...common,
      description: `Tenant Registry ${stage}: event bus and archive, stream consumer, its DLQ and alarms`,
      stage,
      table: this.data.table,
      data: this.data.data,
      topic: this.data.alarms.topic,
      alarmNamePrefix,
      ...(props.eventArchiveDays === undefined ? {} : { archiveRetentionDays: props.eventArchiveDays }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    });

    this.monitoring = new MonitoringStack(scope, `${id}-Monitoring`, {
      ...common,
      description: `Tenant Registry ${stage}: alarms and dashboard`,
      monitoring: {
        stage,
        topic: this.data.alarms.topic,
        alarmNamePrefix,
        functions: this.functions,
        table: this.data.table,
        ingress: this.ingress.metrics,
        wafBlocked: this.ingress.wafBlocked,
        authRejectedThreshold: props.authRejectedThreshold,
        tenantAuthRejectedThreshold: props.tenantAuthRejectedThreshold,
        webhookDeadLetters: this.data.data.webhookDeadLetters,
      },
    });

    addNagSuppressions(this);
  }

  /** Every stack, producers first. */
  get stacks(): Stack[] {
    return [
      this.data,
      this.operator,
      ...(this.tenant ? [this.tenant] : []),
      this.ingress,
      this.events,
      this.monitoring,
    ];
  }

  /**
   * Every function: endpoints, the reconciler, the audit verifier, the webhook sender, the rotation
   * function, the stream consumer.
   */
  get functions(): RegistryFunction[] {
    return [
      ...this.operator.endpoints.all,
      ...(this.tenant?.endpoints.all ?? []),
      ...(this.operator.reconciler ? [this.operator.reconciler] : []),
      ...(this.operator.auditVerifier ? [this.operator.auditVerifier] : []),
      ...(this.operator.webhookSender ? [this.operator.webhookSender] : []),
      this.data.data.rotation,
      this.events.pipeline.consumer,
    ];
  }
}

function reserved(value: number | false | undefined, fallback: number): number | undefined {
  if (value === false) return undefined;
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`reserved concurrency must be a positive integer or false: ${n}`);
  return n;
}
