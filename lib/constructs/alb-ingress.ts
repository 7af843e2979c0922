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
import {
  ALB_MAX_RULES,
  ALB_MAX_VALUES_PER_CONDITION,
  ALB_MAX_VALUES_PER_RULE,
  albPathPattern,
  albRuleOrder,
  chunk,
  isRestricted,
  RESTRICTED_PLANE_PREFIXES,
} from '../routing';
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
  /** An ACM certificate: the listener is HTTPS on 443. @default none: HTTP on 80 (put TLS in front) */
  readonly certificateArn?: string;
  /** A WAFv2 web ACL with the allowlist as an IP set, associated with the load balancer. @default false */
  readonly waf?: boolean;
}

/**
 * An Application Load Balancer whose listener rules route each operation (path pattern + HTTP
 * method) to its function; the public probes' and the tenant plane's rules match any source.
 * Rules of the operator and service planes also carry the allowlist as
 * `source-ip` conditions, split across as many rules as the ALB's per-rule limits need, so a
 * request from anywhere else matches no rule and gets the default action: the app's
 * unknown-route 404, byte for byte.
 */
export class AlbIngress extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly vpc: ec2.IVpc;
  /** `http(s)://<load balancer DNS name>`. */
  readonly url: string;
  readonly waf?: AllowlistWaf;
  /** Listener rules in priority order, with the operation each routes. */
  readonly rules: readonly { readonly operationId: string; readonly rule: elbv2.ApplicationListenerRule }[];

  constructor(scope: Construct, id: string, props: AlbIngressProps) {
    super(scope, id);
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
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        ),
      });
      this.vpc = vpc;
    }

    const internetFacing = props.internetFacing ?? true;
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
    const port = props.certificateArn ? 443 : 80;
    this.listener = this.loadBalancer.addListener('Listener', {
      port,
      protocol: props.certificateArn ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
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

    this.url = `${props.certificateArn ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;

    const rules: { operationId: string; rule: elbv2.ApplicationListenerRule }[] = [];
    const sourceChunks = chunk(
      props.allowedCidrs.map((c) => c.cidr),
      ALB_MAX_VALUES_PER_CONDITION,
    );
    // Tenant-plane rules (`/*/profile`, `/*/catalog/request`, ..., from `/{tenant}/...`) carry
    // no source-ip condition: that plane is open and authenticated by API key. albRuleOrder puts
    // every operator or service rule (`/v1/...`, literal) before a tenant rule of as many
    // segments, and a rule with more segments cannot match a shorter path, so a request from an
    // allowlisted source always reaches its own operator function first.
    // From outside the allowlist no operator or service rule can match at all (each carries the
    // allowlist), so such a request only ever reaches a tenant rule or the default 404. One
    // does: `POST /v1/catalog/request` from outside falls through to `/*/catalog/request`, the
    // tenant function, with tenant `v1`. That is acceptable: `v1` is a reserved word, never a
    // slug, and the tenant functions answer the unknown-route 404 for it (as for any tenant
    // they cannot resolve), with the same body as the default action.
    let priority = 1;
    for (const op of albRuleOrder(props.operations)) {
      const name = pascal(op.operationId);
      const group = new elbv2.ApplicationTargetGroup(this, `${name}Target`, {
        targets: [new targets.LambdaTarget(props.functionOf(op.operationId))],
      });
      const routing = [
        elbv2.ListenerCondition.pathPatterns([albPathPattern(op.path)]),
        elbv2.ListenerCondition.httpRequestMethods([op.method]),
      ];
      // Restricted and no allowlist: no rule, the default 404 answers.
      const variants = isRestricted(op)
        ? sourceChunks.map((ips) => [elbv2.ListenerCondition.sourceIps(ips)])
        : [[]];
      for (const [i, extra] of variants.entries()) {
        const conditions = [...routing, ...extra];
        const values = 2 + (isRestricted(op) ? (sourceChunks[i]?.length ?? 0) : 0);
        if (values > ALB_MAX_VALUES_PER_RULE)
          throw new Error(`rule for ${op.operationId} has ${values} values`);
        const rule = new elbv2.ApplicationListenerRule(
          this,
          variants.length === 1 ? `${name}Rule` : `${name}Rule${i + 1}`,
          {
            listener: this.listener,
            priority: priority++,
            conditions,
            action: elbv2.ListenerAction.forward([group]),
          },
        );
        rules.push({ operationId: op.operationId, rule });
      }
    }
    if (rules.length > ALB_MAX_RULES) {
      throw new Error(
        `${rules.length} listener rules exceed the ALB quota of ${ALB_MAX_RULES}: shorten allowedCidrs (each 3 ranges cost one rule per operator/service operation) or ask AWS for a higher quota`,
      );
    }
    this.rules = rules;

    if (props.waf) {
      this.waf = new AllowlistWaf(this, 'Waf', {
        allowedCidrs: props.allowedCidrs,
        restrictedPathPrefixes: RESTRICTED_PLANE_PREFIXES,
        resourceArn: this.loadBalancer.loadBalancerArn,
        target: 'alb',
        metricPrefix: 'TenantRegistryAlb',
      });
    }
  }
}
