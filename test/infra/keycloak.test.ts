import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TenantRegistryStack, type TenantRegistryStackProps } from '../../lib/tenant-registry-stack';
import { cdkContext } from './support/synth';

/** Keycloak provisioning reaches createTenant alone, with read access to its client secret. */
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:keycloak-client-AbCdEf';
const env = { account: '123456789012', region: 'eu-west-1' };

function template(withKeycloak: boolean): Template {
  const app = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] } });
  const keycloak: TenantRegistryStackProps['keycloak'] = {
    url: 'https://id.example.com',
    realm: 'platform',
    clientId: 'tenant-registry',
    clientSecretArn: SECRET_ARN,
  };
  const stack = new TenantRegistryStack(app, 'TenantRegistry-kc', {
    env,
    ...(withKeycloak ? { keycloak } : {}),
  });
  return Template.fromStack(stack);
}

type Fn = { Properties: { Description?: string; Environment?: { Variables?: Record<string, unknown> } } };
const keycloakVars = (fn: Fn) =>
  Object.keys(fn.Properties.Environment?.Variables ?? {}).filter((k) => k.includes('KEYCLOAK'));

test('without the prop no function knows of Keycloak', () => {
  for (const fn of Object.values(template(false).findResources('AWS::Lambda::Function')) as Fn[]) {
    expect(keycloakVars(fn)).toEqual([]);
  }
});

test('with the prop only createTenant gets the settings and may read the secret', () => {
  const t = template(true);
  const functions = Object.entries(t.findResources('AWS::Lambda::Function')) as [string, Fn][];
  const withVars = functions.filter(([, fn]) => keycloakVars(fn).length > 0);
  expect(withVars).toHaveLength(1);
  const [logicalId, create] = withVars[0] ?? ['', { Properties: {} }];
  expect(create.Properties.Description).toContain('createTenant');
  expect(create.Properties.Environment?.Variables).toMatchObject({
    TENANT_REGISTRY_KEYCLOAK_URL: 'https://id.example.com',
    TENANT_REGISTRY_KEYCLOAK_REALM: 'platform',
    TENANT_REGISTRY_KEYCLOAK_CLIENT_ID: 'tenant-registry',
    TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET_ID: SECRET_ARN,
  });
  // Exactly one policy grants reading this secret, and it is attached to createTenant's role.
  const readers = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
    JSON.stringify(p).includes(SECRET_ARN),
  );
  expect(readers).toHaveLength(1);
  const roleRef = JSON.stringify((readers[0] as { Properties: { Roles: unknown } }).Properties.Roles);
  const createRole = JSON.stringify(
    (t.findResources('AWS::Lambda::Function')[logicalId] as { Properties: { Role: unknown } }).Properties
      .Role,
  );
  expect(roleRef).toContain(JSON.parse(createRole)['Fn::GetAtt'][0]);
});
