import { parseCidrList } from './cidrs';
import type { IngressMode, TenantRegistryStackProps } from './tenant-registry-stack';
import { type TenantSelection, TenantSelectionError, tenantSelectionEnvironment } from './tenant-selection';

export interface StageConfig {
  readonly stage: string;
  readonly allowedCidrs: readonly string[];
  readonly props: TenantRegistryStackProps;
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
  const positive = (key: string): number | undefined => {
    const v = text(key);
    if (v === undefined) return undefined;
    if (!/^\d{1,9}$/.test(v) || Number(v) < 1)
      throw new StageConfigError(`context ${key} must be a positive integer: ${JSON.stringify(v)}`);
    return Number(v);
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
  if ((vpcId || certificateArn) && ingress !== 'alb') {
    throw new StageConfigError('vpcId and certificateArn apply to ingress=alb only');
  }
  const ssmPrefix = text('ssmPrefix');
  const waf = flag('waf');
  const apiEnabled = flag('apiEnabled');
  const threshold = positive('authRejectedThreshold');
  const keycloak = {
    url: text('keycloakUrl'),
    realm: text('keycloakRealm'),
    clientId: text('keycloakClientId'),
    clientSecretArn: text('keycloakClientSecretArn'),
  };
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

  const props: TenantRegistryStackProps = {
    stage,
    ingress: ingress as IngressMode,
    allowedCidrs,
    ...(ssmPrefix ? { ssmPrefix } : {}),
    ...(waf === undefined ? {} : { waf }),
    ...(apiEnabled === undefined ? {} : { apiEnabled }),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(threshold === undefined ? {} : { authRejectedThreshold: threshold }),
    ...(vpcId ? { vpcId } : {}),
    ...(certificateArn ? { certificateArn } : {}),
    ...(Object.keys(tenantSelection).length === 0 ? {} : { tenantSelection }),
    ...(keycloak.url && keycloak.realm && keycloak.clientId && keycloak.clientSecretArn
      ? {
          keycloak: {
            url: keycloak.url,
            realm: keycloak.realm,
            clientId: keycloak.clientId,
            clientSecretArn: keycloak.clientSecretArn,
          },
        }
      : {}),
  };
  return { stage, allowedCidrs, props };
}
