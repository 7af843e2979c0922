import { Names, aws_wafv2 as wafv2 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
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
}

/**
 * A regional WAFv2 web ACL: default allow (the tenant plane is open and authenticated by key),
 * a block for the operator and service path prefixes unless the source is in the IP set(s) of
 * the allowlist, a block for oversized bodies (API Gateway only), and AWS's known-bad-inputs rule group.
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

    this.webAclName = `${Names.uniqueResourceName(this, { maxLength: 100 })}`;
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: this.webAclName,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('WebAcl'),
      ...(props.target === 'apigateway'
        ? { associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: 'KB_64' } } } }
        : {}),
      rules: [
        {
          name: 'operator-and-service-planes-allowlist',
          priority: 0,
          action: { block: {} },
          statement: blockRestricted,
          visibilityConfig: visibility('Allowlist'),
        },
        ...(props.target !== 'apigateway'
          ? []
          : [
              {
                name: 'body-size-limit',
                priority: 1,
                action: { block: {} },
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
          priority: 2,
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
