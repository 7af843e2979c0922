import { Names, aws_wafv2 as wafv2 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { UNKNOWN_ROUTE_BODY } from '../../shared/http/responses';
import type { Cidr } from '../cidrs';

export interface AllowlistWafProps {
  /** The allowlist of the operator and service planes. */
  readonly allowedCidrs: readonly Cidr[];
  /**
   * URI path prefixes of the operator and service planes as WAF sees them (with the stage name
   * in front on an execute-api URL, without it behind an ALB or a custom domain).
   */
  readonly restrictedPathPrefixes: readonly string[];
  /** What to associate the web ACL with: a REST API stage or an ALB. */
  readonly resourceArn: string;
  /**
   * Largest request body; bigger ones are blocked at the edge (the app answers 413 anyway).
   * Only enforced for `target: 'apigateway'`.
   * @default 65536
   */
  readonly maxBodyBytes?: number;
  /**
   * What the web ACL protects. For API Gateway the body inspection limit is raised to 64 KiB
   * and bodies over `maxBodyBytes` are blocked; an ALB lets WAF see only the first 8 KiB, so
   * there the size limit is left to the app (413).
   */
  readonly target: 'apigateway' | 'alb';
  /** Metric name prefix. */
  readonly metricPrefix: string;
  /**
   * Requests per source IP in 5 minutes that the tenant plane (and the public probes: every path
   * outside the restricted prefixes) accepts before the rate-based rule answers 429 for a while.
   * @default no rate-based rule
   */
  readonly tenantRateLimit?: number;
}

/** The unknown-route body, for blocks that must look exactly like a path that does not exist. */
const UNKNOWN_ROUTE_KEY = 'unknown-route';
const THROTTLED_KEY = 'throttled';
const TOO_LARGE_KEY = 'payload-too-large';
/** What the rate-based rule answers (the app's error shape; API Gateway's own throttle says the same). */
export const WAF_THROTTLED_BODY = '{"error":"throttled","message":"too many requests"}';
export const WAF_TOO_LARGE_BODY = '{"error":"payload_too_large","message":"the request body is too large"}';

/**
 * A regional WAFv2 web ACL: default allow (the tenant plane is open and authenticated by key),
 * a block for the operator and service path prefixes unless the source is in the IP set(s) of
 * the allowlist (answered with the app's unknown-route 404, byte for byte), a rate-based rule per
 * source IP on the rest (429), a block for oversized bodies (API Gateway only, 413), and AWS's
 * known-bad-inputs rule group. AWS WAF documents that a Block action's custom response takes
 * precedence over the protected resource's own responses ("Custom responses for Block actions",
 * docs.aws.amazon.com/waf/latest/developerguide/customizing-the-response-for-blocked-requests.html),
 * so API Gateway and the ALB answer alike.
 */
export class AllowlistWaf extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly ipSets: readonly wafv2.CfnIPSet[];
  /** The web ACL's name, the `WebACL` dimension of its metrics. */
  readonly webAclName: string;

  constructor(scope: Construct, id: string, props: AllowlistWafProps) {
    super(scope, id);
    const ipSets: wafv2.CfnIPSet[] = [];
    for (const version of [4, 6] as const) {
      const addresses = props.allowedCidrs.filter((c) => c.version === version).map((c) => c.cidr);
      if (addresses.length === 0) continue;
      ipSets.push(
        new wafv2.CfnIPSet(this, `AllowedIPv${version}`, {
          scope: 'REGIONAL',
          ipAddressVersion: `IPV${version}`,
          addresses,
          description: `Tenant Registry operator and service allowlist IPv${version}`,
        }),
      );
    }
    this.ipSets = ipSets;

    const visibility = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${props.metricPrefix}${name}`,
    });
    const onRestrictedPath = or(
      props.restrictedPathPrefixes.map((prefix) => ({
        byteMatchStatement: {
          fieldToMatch: { uriPath: {} },
          positionalConstraint: 'STARTS_WITH',
          searchString: prefix,
          textTransformations: [{ priority: 0, type: 'NONE' }],
        },
      })),
    );
    const fromAllowlist = ipSets.map((s) => ({ ipSetReferenceStatement: { arn: s.attrArn } }));
    // No allowlisted range: the restricted planes are closed to everyone.
    const blockRestricted =
      fromAllowlist.length === 0
        ? onRestrictedPath
        : {
            andStatement: {
              statements: [onRestrictedPath, { notStatement: { statement: or(fromAllowlist) } }],
            },
          };
    const maxBody = props.maxBodyBytes ?? 65_536;

    const block = (responseCode: number, customResponseBodyKey: string) => ({
      block: { customResponse: { responseCode, customResponseBodyKey } },
    });

    this.webAclName = `${Names.uniqueResourceName(this, { maxLength: 100 })}`;
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: this.webAclName,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('WebAcl'),
      customResponseBodies: {
        [UNKNOWN_ROUTE_KEY]: { contentType: 'APPLICATION_JSON', content: UNKNOWN_ROUTE_BODY },
        ...(props.tenantRateLimit === undefined
          ? {}
          : { [THROTTLED_KEY]: { contentType: 'APPLICATION_JSON', content: WAF_THROTTLED_BODY } }),
        ...(props.target === 'apigateway'
          ? { [TOO_LARGE_KEY]: { contentType: 'APPLICATION_JSON', content: WAF_TOO_LARGE_BODY } }
          : {}),
      },
      ...(props.target === 'apigateway'
        ? { associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: 'KB_64' } } } }
        : {}),
      rules: [
        {
          name: 'operator-and-service-planes-allowlist',
          priority: 0,
          action: block(404, UNKNOWN_ROUTE_KEY),
          statement: blockRestricted,
          visibilityConfig: visibility('Allowlist'),
        },
        ...(props.tenantRateLimit === undefined
          ? []
          : [
              {
                name: 'tenant-plane-rate-per-ip',
                priority: 1,
                action: block(429, THROTTLED_KEY),
                statement: {
                  rateBasedStatement: {
                    limit: props.tenantRateLimit,
                    evaluationWindowSec: 300,
                    aggregateKeyType: 'IP',
                    scopeDownStatement: { notStatement: { statement: onRestrictedPath } },
                  },
                },
                visibilityConfig: visibility('TenantRate'),
              },
            ]),
        ...(props.target !== 'apigateway'
          ? []
          : [
              {
                name: 'body-size-limit',
                priority: 2,
                action: block(413, TOO_LARGE_KEY),
                statement: {
                  sizeConstraintStatement: {
                    // Beyond the inspection limit WAF cannot see the rest: treat as too large.
                    fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
                    comparisonOperator: 'GT',
                    size: maxBody,
                    textTransformations: [{ priority: 0, type: 'NONE' }],
                  },
                },
                visibilityConfig: visibility('BodySize'),
              },
            ]),
        {
          name: 'aws-known-bad-inputs',
          priority: 3,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' },
          },
          visibilityConfig: visibility('KnownBadInputs'),
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.resourceArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

type Statement = wafv2.CfnWebACL.StatementProperty;

function or(statements: Statement[]): Statement {
  const [first] = statements;
  if (statements.length === 1 && first) return first;
  return { orStatement: { statements } };
}
