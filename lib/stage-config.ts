import type { Plane } from '../shared/contract/planes';
import { operations } from '../shared/contract/spec';
import { AUDIT_RETENTION_MAX_DAYS, AUDIT_RETENTION_MIN_DAYS } from '../shared/domain/audit-retention';
import { parseCidrList } from './cidrs';
import { PLAIN_HTTP_MESSAGE } from './constructs/alb-ingress';
import { ALB_MAX_RULES, AlbRuleQuotaError, albOperations, albRules, assertAlbRuleQuota } from './routing';
import {
  type IngressMode,
  RESERVED_SSM_PREFIX,
  type TenantRegistryProps,
  type Throttle,
} from './tenant-registry';
import { type TenantSelection, TenantSelectionError, tenantSelectionEnvironment } from './tenant-selection';

export interface StageConfig {
  readonly stage: string;
  readonly allowedCidrs: readonly string[];
  readonly props: TenantRegistryProps;
}

export class StageConfigError extends Error {
  override name = 'StageConfigError';
}

/**
 * Stage configuration from CDK context (`-c key=value`, or cdk.json), validated with errors
 * that say what to pass. Values arrive as strings from the command line and as JSON values
 * from cdk.json; both are accepted.
 */
export function stageConfig(context: (key: string) => unknown): StageConfig {
  const text = (key: string): string | undefined => {
    const v = context(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string') return v.trim();
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (Array.isArray(v)) return v.map(String).join(',');
    throw new StageConfigError(`context ${key} must be a string: ${JSON.stringify(v)}`);
  };
  const flag = (key: string): boolean | undefined => {
    const v = text(key);
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new StageConfigError(`context ${key} must be true or false: ${JSON.stringify(v)}`);
  };
  const positive = (key: string, min = 1): number | undefined => {
    const v = text(key);
    if (v === undefined) return undefined;
    if (!/^\d{1,9}$/.test(v) || Number(v) < min)
      throw new StageConfigError(
        `context ${key} must be ${min === 1 ? 'a positive integer' : `an integer of at least ${min}`}: ${JSON.stringify(v)}`,
      );
    return Number(v);
  };
  /** A positive integer, or `off` (false). */
  const positiveOrOff = (key: string): number | false | undefined => {
    if (text(key) === 'off') return false;
    try {
      return positive(key);
    } catch {
      throw new StageConfigError(
        `context ${key} must be a positive integer or off: ${JSON.stringify(text(key))}`,
      );
    }
  };

  const stage = text('stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new StageConfigError(
      `stage must be 1-20 of a-z, 0-9 and "-", starting with a letter: ${JSON.stringify(stage)}`,
    );
  }
  const ingress = text('ingress') ?? 'apigateway';
  if (ingress !== 'apigateway' && ingress !== 'alb') {
    throw new StageConfigError(`ingress must be apigateway or alb: ${JSON.stringify(ingress)}`);
  }
  const allowedCidrs = parseCidrList(text('allowedCidrs') ?? '').map((c) => c.cidr);
  const alarmEmail = text('alarmEmail');
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new StageConfigError(`alarmEmail is not an email address: ${JSON.stringify(alarmEmail)}`);
  }
  const vpcId = text('vpcId');
  if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) {
    throw new StageConfigError(`vpcId must look like vpc-0123456789abcdef0: ${JSON.stringify(vpcId)}`);
  }
  const certificateArn = text('certificateArn');
  if (certificateArn !== undefined && !certificateArn.startsWith('arn:')) {
    throw new StageConfigError(
      `certificateArn must be an ACM certificate ARN: ${JSON.stringify(certificateArn)}`,
    );
  }
  const allowPlainHttp = flag('allowPlainHttp');
  const albMaxRules = positive('albMaxRules');
  if (
    (vpcId || certificateArn || allowPlainHttp !== undefined || albMaxRules !== undefined) &&
    ingress !== 'alb'
  ) {
    throw new StageConfigError(
      'vpcId, certificateArn, allowPlainHttp and albMaxRules apply to ingress=alb only',
    );
  }
  if (ingress === 'alb' && !certificateArn && !allowPlainHttp) throw new StageConfigError(PLAIN_HTTP_MESSAGE);
  const ssmPrefix = text('ssmPrefix');
  if (ssmPrefix !== undefined && !/^(\/[A-Za-z0-9_.-]+)+$/.test(ssmPrefix)) {
    throw new StageConfigError(
      `ssmPrefix must be a parameter path like /tenant-registry/prod: ${JSON.stringify(ssmPrefix)}`,
    );
  }
  if (ssmPrefix !== undefined && RESERVED_SSM_PREFIX.test(ssmPrefix)) {
    throw new StageConfigError(
      `ssmPrefix may not start with aws or ssm (names AWS reserves in Parameter Store): ${JSON.stringify(ssmPrefix)}`,
    );
  }
  const waf = flag('waf');
  const wafTenantRateLimit = positive('wafTenantRateLimit', 10);
  if (wafTenantRateLimit !== undefined && !waf) {
    throw new StageConfigError('wafTenantRateLimit applies with waf=true only');
  }
  const apiEnabled = flag('apiEnabled');
  const auditRetentionDays = positive('auditRetentionDays', AUDIT_RETENTION_MIN_DAYS);
  if (auditRetentionDays !== undefined && auditRetentionDays > AUDIT_RETENTION_MAX_DAYS) {
    throw new StageConfigError(
      `context auditRetentionDays must be an integer from ${AUDIT_RETENTION_MIN_DAYS} to ${AUDIT_RETENTION_MAX_DAYS}: ${auditRetentionDays}`,
    );
  }
  const threshold = positive('authRejectedThreshold');
  const tenantThreshold = positive('tenantAuthRejectedThreshold');
  const verifyReserved = positiveOrOff('verifyReservedConcurrency');
  const tenantReserved = positiveOrOff('tenantReservedConcurrency');
  const throttles: Partial<Record<Plane, Throttle>> = {};
  for (const plane of ['public', 'operator', 'service', 'tenant'] as const) {
    const rateLimit = positive(`${plane}RateLimit`);
    const burstLimit = positive(`${plane}BurstLimit`);
    if ((rateLimit === undefined) !== (burstLimit === undefined)) {
      throw new StageConfigError(`give ${plane}RateLimit and ${plane}BurstLimit together`);
    }
    if (rateLimit !== undefined && burstLimit !== undefined) {
      if (ingress !== 'apigateway')
        throw new StageConfigError(`${plane}RateLimit applies to ingress=apigateway only`);
      throttles[plane] = { rateLimit, burstLimit };
    }
  }
  const keycloak = {
    url: text('keycloakUrl'),
    realm: text('keycloakRealm'),
    clientId: text('keycloakClientId'),
    clientSecretArn: text('keycloakClientSecretArn'),
  };
  const keycloakKmsKeyArn = text('keycloakClientSecretKmsKeyArn');
  if (
    keycloakKmsKeyArn !== undefined &&
    !/^arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(keycloakKmsKeyArn)
  ) {
    throw new StageConfigError(
      `keycloakClientSecretKmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>): ${JSON.stringify(keycloakKmsKeyArn)}`,
    );
  }
  if (keycloakKmsKeyArn !== undefined && keycloak.clientSecretArn === undefined) {
    throw new StageConfigError(
      'keycloakClientSecretKmsKeyArn needs the Keycloak settings (keycloakClientSecretArn, ...)',
    );
  }
  const keycloakGiven = Object.values(keycloak).filter((v) => v !== undefined).length;
  if (keycloakGiven > 0 && keycloakGiven < 4) {
    throw new StageConfigError(
      'Keycloak needs all of keycloakUrl, keycloakRealm, keycloakClientId and keycloakClientSecretArn',
    );
  }
  if (keycloak.url !== undefined && !/^https?:\/\/[^\s]+$/.test(keycloak.url)) {
    throw new StageConfigError(`keycloakUrl must be an http(s) URL: ${JSON.stringify(keycloak.url)}`);
  }
  if (keycloak.clientSecretArn !== undefined && !keycloak.clientSecretArn.startsWith('arn:')) {
    throw new StageConfigError('keycloakClientSecretArn must be a Secrets Manager secret ARN');
  }
  // Tenant selection of `/tenant/...`: checked here by the functions' own parser (the stack
  // checks again), so a bad value is an "Invalid context" error, not a failing cold start.
  const tenantRequired = flag('tenantRequired');
  const tenantHeader = text('tenantHeader');
  const defaultTenant = text('defaultTenant');
  const allowedTenants = text('allowedTenants');
  const tenantSelection: TenantSelection = {
    ...(tenantHeader === undefined ? {} : { header: tenantHeader }),
    ...(tenantRequired === undefined ? {} : { required: tenantRequired }),
    ...(defaultTenant === undefined ? {} : { defaultTenant }),
    ...(allowedTenants === undefined
      ? {}
      : {
          allowedTenants: allowedTenants
            .split(',')
            .map((t) => t.trim())
            .filter((t) => t !== ''),
        }),
  };
  try {
    tenantSelectionEnvironment(tenantSelection);
  } catch (error) {
    if (error instanceof TenantSelectionError) throw new StageConfigError(error.message);
    throw error;
  }

  // The rule quota, here rather than in the stack: synthesis bundles every function first (about
  // two minutes), and a plan over the quota would only fail after that.
  if (ingress === 'alb') {
    try {
      assertAlbRuleQuota(
        albRules(albOperations(operations()), allowedCidrs).length,
        albMaxRules ?? ALB_MAX_RULES,
        allowedCidrs.length,
      );
    } catch (error) {
      if (error instanceof AlbRuleQuotaError) throw new StageConfigError(error.message);
      throw error;
    }
  }

  const archiveText = text('eventArchiveDays');
  if (archiveText !== undefined && !(/^\d{1,4}$/.test(archiveText) && Number(archiveText) <= 3650)) {
    throw new StageConfigError(
      `context eventArchiveDays must be an integer from 0 (keep forever) to 3650: ${JSON.stringify(archiveText)}`,
    );
  }
  const eventArchiveDays = archiveText === undefined ? undefined : Number(archiveText);

  const props: TenantRegistryProps = {
    stage,
    ...(eventArchiveDays === undefined ? {} : { eventArchiveDays }),
    ingress: ingress as IngressMode,
    allowedCidrs,
    ...(ssmPrefix ? { ssmPrefix } : {}),
    ...(waf === undefined ? {} : { waf }),
    ...(wafTenantRateLimit === undefined ? {} : { wafTenantRateLimit }),
    ...(apiEnabled === undefined ? {} : { apiEnabled }),
    ...(auditRetentionDays === undefined ? {} : { auditRetentionDays }),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(threshold === undefined ? {} : { authRejectedThreshold: threshold }),
    ...(tenantThreshold === undefined ? {} : { tenantAuthRejectedThreshold: tenantThreshold }),
    ...(verifyReserved === undefined ? {} : { verifyReservedConcurrency: verifyReserved }),
    ...(tenantReserved === undefined ? {} : { tenantReservedConcurrency: tenantReserved }),
    ...(Object.keys(throttles).length === 0 ? {} : { throttles }),
    ...(vpcId ? { vpcId } : {}),
    ...(certificateArn ? { certificateArn } : {}),
    ...(allowPlainHttp === undefined ? {} : { allowPlainHttp }),
    ...(albMaxRules === undefined ? {} : { albMaxRules }),
    ...(Object.keys(tenantSelection).length === 0 ? {} : { tenantSelection }),
    ...(keycloak.url && keycloak.realm && keycloak.clientId && keycloak.clientSecretArn
      ? {
          keycloak: {
            url: keycloak.url,
            realm: keycloak.realm,
            clientId: keycloak.clientId,
            clientSecretArn: keycloak.clientSecretArn,
            ...(keycloakKmsKeyArn ? { clientSecretKmsKeyArn: keycloakKmsKeyArn } : {}),
          },
        }
      : {}),
  };
  return { stage, allowedCidrs, props };
}
