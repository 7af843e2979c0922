import {
  CfnOutput,
  aws_cloudwatch as cloudwatch,
  Duration,
  type aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  type aws_lambda as lambda,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Plane } from '../../shared/contract/planes';
import type { Operation } from '../../shared/contract/spec';
import type { Cidr } from '../cidrs';
import { AlbIngress } from '../constructs/alb-ingress';
import type { IngressMetrics } from '../constructs/monitoring';
import { RestApiIngress, type Throttle } from '../constructs/rest-api-ingress';
import { albOperations } from '../routing';

export type IngressMode = 'apigateway' | 'alb';

export interface IngressStackProps extends StackProps {
  readonly mode: IngressMode;
  readonly operations: readonly Operation[];
  /** The function of each operation (in the functions stacks). */
  readonly functionOf: (operationId: string) => lambda.IFunction;
  readonly allowedCidrs: readonly Cidr[];
  readonly stage: string;
  /** @default false */
  readonly waf?: boolean;
  /** With WAF: requests per source IP in 5 minutes on the tenant plane. @default no rate rule */
  readonly wafTenantRateLimit?: number;
  /** `apigateway`: the stage default throttle. @default RestApiIngress's */
  readonly defaultThrottle?: Throttle;
  /** `apigateway`: method throttling per plane. @default none */
  readonly planeThrottles?: Readonly<Partial<Record<Plane, Throttle>>>;
  /** `apigateway`: set the account's API Gateway CloudWatch role. @default true */
  readonly apiGatewayCloudWatchRole?: boolean;
  /** `alb`: an existing VPC. */
  readonly vpc?: ec2.IVpc;
  /** `alb`: an existing VPC's id, looked up at synth. */
  readonly vpcId?: string;
  /** `alb`: ACM certificate for HTTPS:443 (80 redirects). */
  readonly certificateArn?: string;
  /** `alb`: allow plain HTTP:80 on the internet (tests only). @default false */
  readonly allowPlainHttp?: boolean;
  /** `alb`: the account's rules-per-load-balancer quota. @default 100 */
  readonly albMaxRules?: number;
}

/**
 * The ingress: a REST API or an ALB routing every operation of openapi.yaml to its function, with
 * the CIDR allowlist on the operator and service planes and, optionally, WAF. Outputs the URL.
 */
export class IngressStack extends Stack {
  readonly restApi?: RestApiIngress;
  readonly alb?: AlbIngress;
  /** What the monitoring stack graphs and alarms on. */
  readonly metrics: IngressMetrics;
  /** The web ACL's BlockedRequests, with WAF. */
  readonly wafBlocked?: cloudwatch.IMetric;
  /** The API's base URL (with the stage on API Gateway). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: IngressStackProps) {
    super(scope, id, props);
    const period = Duration.minutes(5);
    if (props.mode === 'apigateway') {
      const restApi = new RestApiIngress(this, 'RestApi', {
        operations: props.operations,
        functionOf: props.functionOf,
        allowedCidrs: props.allowedCidrs,
        stageName: props.stage,
        waf: props.waf ?? false,
        ...(props.wafTenantRateLimit === undefined ? {} : { wafTenantRateLimit: props.wafTenantRateLimit }),
        ...(props.defaultThrottle ? { defaultThrottle: props.defaultThrottle } : {}),
        ...(props.planeThrottles ? { planeThrottles: props.planeThrottles } : {}),
        ...(props.apiGatewayCloudWatchRole === undefined
          ? {}
          : { cloudWatchRole: props.apiGatewayCloudWatchRole }),
      });
      const api = restApi.api;
      this.restApi = restApi;
      this.url = api.url;
      this.metrics = {
        kind: 'apigateway',
        // 5XXError averaged over requests is the share of requests that failed.
        serverErrorRate: api.metricServerError({ statistic: 'Average', period }),
        requests: api.metricCount({ statistic: 'Sum', period }),
      };
      if (restApi.waf) this.wafBlocked = wafBlockedMetric(restApi.waf.webAclName, this.region);
    } else if (props.mode === 'alb') {
      const alb = new AlbIngress(this, 'Alb', {
        // An ALB cannot stream a Lambda target's response: exports are served by API Gateway only.
        operations: albOperations(props.operations),
        functionOf: props.functionOf,
        allowedCidrs: props.allowedCidrs,
        waf: props.waf ?? false,
        ...(props.wafTenantRateLimit === undefined ? {} : { wafTenantRateLimit: props.wafTenantRateLimit }),
        ...(props.vpc ? { vpc: props.vpc } : {}),
        ...(props.vpcId ? { vpcId: props.vpcId } : {}),
        ...(props.certificateArn ? { certificateArn: props.certificateArn } : {}),
        ...(props.allowPlainHttp === undefined ? {} : { allowPlainHttp: props.allowPlainHttp }),
        ...(props.albMaxRules === undefined ? {} : { maxRules: props.albMaxRules }),
      });
      this.alb = alb;
      this.url = alb.url;
      const lb = alb.loadBalancer.metrics;
      this.metrics = {
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
      if (alb.waf) this.wafBlocked = wafBlockedMetric(alb.waf.webAclName, this.region);
    } else {
      throw new Error(`ingress must be apigateway or alb: ${JSON.stringify(props.mode)}`);
    }
    new CfnOutput(this, 'ApiUrl', {
      description: 'The API: /healthz, /readyz, /v1/... (allowlisted), /{tenant}/...',
      value: this.url,
    });
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
