import { KEYCLOAK_KMS_KEY_ARN, KEYCLOAK_SECRET_ARN, synthesize } from './support/synth';
import { functionIdOf, resources, specOperations, statementsOf, type Tpl } from './support/template';

/** Keycloak provisioning reaches createTenant alone, with read access to its client secret (and its key). */
const withKeycloak = synthesize('keycloak').template;
const without = synthesize('defaults').template;

const keycloakVars = (t: Tpl, fnId: string) =>
  Object.keys(t.Resources[fnId].Properties.Environment?.Variables ?? {}).filter((k) =>
    k.includes('KEYCLOAK'),
  );

test('without the prop no function knows of Keycloak', () => {
  for (const [id] of resources(without, 'AWS::Lambda::Function'))
    expect(keycloakVars(without, id)).toEqual([]);
});

test('with the prop only createTenant gets the settings and may read the secret', () => {
  const withVars = resources(withKeycloak, 'AWS::Lambda::Function').filter(
    ([id]) => keycloakVars(withKeycloak, id).length > 0,
  );
  const create = functionIdOf(withKeycloak, 'createTenant');
  expect(withVars.map(([id]) => id)).toEqual([create]);
  expect(withKeycloak.Resources[create].Properties.Environment.Variables).toMatchObject({
    TENANT_REGISTRY_KEYCLOAK_URL: 'https://id.example.com',
    TENANT_REGISTRY_KEYCLOAK_REALM: 'platform',
    TENANT_REGISTRY_KEYCLOAK_CLIENT_ID: 'tenant-registry',
    TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET_ID: KEYCLOAK_SECRET_ARN,
  });
  // Exactly one function's policies name this secret, and the KMS key.
  for (const op of specOperations) {
    const text = JSON.stringify(statementsOf(withKeycloak, functionIdOf(withKeycloak, op.operationId)));
    expect([op.operationId, text.includes(KEYCLOAK_SECRET_ARN), text.includes(KEYCLOAK_KMS_KEY_ARN)]).toEqual(
      [op.operationId, op.operationId === 'createTenant', op.operationId === 'createTenant'],
    );
  }
});

test("a customer managed key on the client secret: createTenant may decrypt with it, through Secrets Manager in the secret's region only", () => {
  const create = functionIdOf(withKeycloak, 'createTenant');
  const kms = statementsOf(withKeycloak, create).filter((s) => s.Action.some((a) => a.startsWith('kms:')));
  expect(kms).toEqual([{ Action: ['kms:Decrypt'], Resource: [KEYCLOAK_KMS_KEY_ARN] }]);
  // statementsOf keeps actions and resources; the condition is checked on the policy itself.
  const policies = resources(withKeycloak, 'AWS::IAM::Policy')
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[])
    .filter((s) => JSON.stringify(s.Action).includes('kms:'));
  expect(policies).toEqual([
    expect.objectContaining({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: KEYCLOAK_KMS_KEY_ARN,
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-central-1.amazonaws.com' } },
    }),
  ]);
  expect(JSON.stringify(without)).not.toContain('kms:Decrypt');
});
