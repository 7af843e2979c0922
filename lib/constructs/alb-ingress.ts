import {
  Duration,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  type aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  aws_s3 as s3,
  aws_elasticloadbalancingv2_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { Operation } from '../../shared/contract/spec';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import type { Cidr } from '../cidrs';
import { ALB_MAX_RULES, albRules, assertAlbRuleQuota, RESTRICTED_PLANE_PREFIXES } from '../routing';
import { AllowlistWaf } from './allowlist-waf';
import { pascal } from './endpoint-functions';

export interface AlbIngressProps {
  readonly operations: readonly Operation[];
  readonly functionOf: (operationId: string) => lambda.IFunction;
  readonly allowedCidrs: readonly Cidr[];
  /** An existing VPC. @default a new VPC with two public subnets, no NAT gateway, flow logs on */
  readonly vpc?: ec2.IVpc;
  /** An existing VPC by id, looked up at synth (`cdk.context.json` caches it). @default none */
  readonly vpcId?: string;
  /** @default true */
  readonly internetFacing?: boolean;
  /** An ACM certificate: the listener is HTTPS on 443, and port 80 redirects to it. @default none */
  readonly certificateArn?: string;
  /**
   * Without a certificate, an internet-facing load balancer listens on plain HTTP:80, and admin
   * tokens and API keys cross the internet in cleartext. Refused unless this is true: for tests
   * and throwaway stages only.
   * @default false
   */
  readonly allowPlainHttp?: boolean;
  /** A WAFv2 web ACL with the allowlist as an IP set, associated with the load balancer. @default false */
  readonly waf?: boolean;
  /** With WAF: requests per source IP in 5 minutes on the tenant plane (and probes). @default no rate rule */
  readonly wafTenantRateLimit?: number;
  /** The account's quota of rules per load balancer. @default ALB_MAX_RULES (100) */
  readonly maxRules?: number;
}

export class PlainHttpError extends Error {
  override name = 'PlainHttpError';
}

/** Why an internet-facing ALB without a certificate is refused; the context parser says the same. */
export const PLAIN_HTTP_MESSAGE =
  'ingress=alb without certificateArn would serve admin tokens and API keys over plain HTTP:80 on the internet: pass -c certificateArn=<ACM certificate ARN> (port 80 then redirects to 443), or -c allowPlainHttp=true for a test stage only';

/**
 * An Application Load Balancer whose listener rules route each operation (path pattern + HTTP
 * methods: its own, HEAD with GET, OPTIONS on one operation per path) to its function; the public
 * probes' and the tenant plane's rules match any source. Rules of the operator and service planes
 * also carry the allowlist as `source-ip` conditions, split across as many rules as the ALB's
 * per-rule limits need; after them a fixed-response rule answers every other `/v1/...` request
 * with the app's unknown-route 404, byte for byte, as does the default action (`albRules()`).
 * HTTPS on 443 with a certificate (80 redirects there); plain HTTP on 80 only when asked.
 */
export class AlbIngress extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly vpc: ec2.IVpc;
  /** `http(s)://<load balancer DNS name>`. */
  readonly url: string;
  readonly waf?: AllowlistWaf;
  /** Listener rules in priority order, with the operation each routes (none: the unknown-route 404). */
  readonly rules: readonly { readonly operationId?: string; readonly rule: elbv2.ApplicationListenerRule }[];

  constructor(scope: Construct, id: string, props: AlbIngressProps) {
    super(scope, id);
    const internetFacing = props.internetFacing ?? true;
    if (!props.certificateArn && internetFacing && !props.allowPlainHttp) {
      throw new PlainHttpError(PLAIN_HTTP_MESSAGE);
    }
    if (props.vpc) {
      this.vpc = props.vpc;
    } else if (props.vpcId) {
      this.vpc = ec2.Vpc.fromLookup(this, 'Vpc', { vpcId: props.vpcId });
    } else {
      const vpc = new ec2.Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: 0,
        subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      });
      vpc.addFlowLog('FlowLogs', {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(
          new logs.LogGroup(this, 'FlowLogGroup', {
            retention: logs.RetentionDays.ONE_MONTH,
            removalPolicy: RemovalPolicy.RETAIN,
          }),
        ),
      });
      this.vpc = vpc;
    }

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description:
        'Tenant Registry ALB: the listener port (source-ip rules restrict the operator and service planes)',
      allowAllOutbound: false,
    });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing,
      securityGroup,
      vpcSubnets: { subnetType: internetFacing ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS },
      dropInvalidHeaderFields: true,
    });
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    this.loadBalancer.logAccessLogs(accessLogs);

    const notFound = elbv2.ListenerAction.fixedResponse(404, {
      contentType: 'application/json',
      messageBody: UNKNOWN_ROUTE_BODY,
    });
    const https = props.certificateArn !== undefined;
    this.listener = this.loadBalancer.addListener('Listener', {
      port: https ? 443 : 80,
      protocol: https ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
      ...(props.certificateArn
        ? {
            certificates: [elbv2.ListenerCertificate.fromArn(props.certificateArn)],
            sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          }
        : {}),
      defaultAction: notFound,
      // The public probes and the tenant plane (authenticated by API key) are open; the
      // operator and service planes are restricted by the source-ip conditions of their rules.
      open: true,
    });
    if (https) {
      this.loadBalancer.addListener('HttpRedirect', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
        open: true,
      });
    }

    this.url = `${https ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;

    const plan = albRules(
      props.operations,
      props.allowedCidrs.map((c) => c.cidr),
    );
    assertAlbRuleQuota(plan.length, props.maxRules ?? ALB_MAX_RULES, props.allowedCidrs.length);
    const groups = new Map<string, elbv2.ApplicationTargetGroup>();
    const groupOf = (operationId: string) => {
      const known = groups.get(operationId);
      if (known) return known;
      const group = new elbv2.ApplicationTargetGroup(this, `${pascal(operationId)}Target`, {
        targets: [new targets.LambdaTarget(props.functionOf(operationId))],
        // `lambda.multi_value_headers.enabled`: without it the ALB hands the function only the
        // last value of a repeated header or query parameter, so a repeated credential would be
        // invisible and the last copy would silently win (ELB guide, "Multi-value headers").
        targetType: elbv2.TargetType.LAMBDA,
        multiValueHeadersEnabled: true,
      });
      groups.set(operationId, group);
      return group;
    };
    const rules: { operationId?: string; rule: elbv2.ApplicationListenerRule }[] = [];
    const perOperation = new Map<string, number>();
    for (const [index, r] of plan.entries()) {
      const conditions = [
        elbv2.ListenerCondition.pathPatterns([...r.pathPatterns]),
        ...(r.methods ? [elbv2.ListenerCondition.httpRequestMethods([...r.methods])] : []),
        ...(r.sourceIps ? [elbv2.ListenerCondition.sourceIps([...r.sourceIps])] : []),
      ];
      const operationRules = plan.filter(
        (p) => p.operationId !== undefined && p.operationId === r.operationId,
      ).length;
      const n = (perOperation.get(r.operationId ?? '') ?? 0) + 1;
      perOperation.set(r.operationId ?? '', n);
      const id = r.operationId
        ? `${pascal(r.operationId)}Rule${operationRules === 1 ? '' : n}`
        : 'RestrictedPlanesNotFound';
      const rule = new elbv2.ApplicationListenerRule(this, id, {
        listener: this.listener,
        priority: index + 1,
        conditions,
        action: r.operationId ? elbv2.ListenerAction.forward([groupOf(r.operationId)]) : notFound,
      });
      rules.push({ ...(r.operationId ? { operationId: r.operationId } : {}), rule });
    }
    this.rules = rules;

    if (props.waf) {
      this.waf = new AllowlistWaf(this, 'Waf', {
        allowedCidrs: props.allowedCidrs,
        restrictedPathPrefixes: RESTRICTED_PLANE_PREFIXES,
        resourceArn: this.loadBalancer.loadBalancerArn,
        target: 'alb',
        metricPrefix: 'TenantRegistryAlb',
        ...(props.wafTenantRateLimit === undefined ? {} : { tenantRateLimit: props.wafTenantRateLimit }),
      });
    }
  }
}
