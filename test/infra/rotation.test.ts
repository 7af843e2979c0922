import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { newToken, RotationError, rotate, TOKEN_LENGTH } from '../../bin/jobs/rotate-admin-token';
import { SecretsManagerStandIn } from '../../bin/local/secrets-manager-stand-in';
import { SecretsManagerSecretSource } from '../../shared/adapters/secrets-manager/secret-source';
import { AdminTokens } from '../../shared/services/admin-tokens';

let standIn: SecretsManagerStandIn;
let client: SecretsManagerClient;
let n = 0;

beforeAll(async () => {
  standIn = await SecretsManagerStandIn.start();
  client = new SecretsManagerClient({
    endpoint: standIn.url,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client.destroy();
  await standIn.close();
});

async function freshSecret(): Promise<{ id: string; first: string }> {
  const id = `tenant-registry/rotation-${++n}`;
  const first = newToken();
  await client.send(new CreateSecretCommand({ Name: id, SecretString: first }));
  return { id, first };
}

const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

async function step(id: string, token: string, Step: string): Promise<void> {
  await rotate(client, { SecretId: id, ClientRequestToken: token, Step });
}

async function stagesOf(id: string): Promise<Record<string, string[]>> {
  return (await client.send(new DescribeSecretCommand({ SecretId: id }))).VersionIdsToStages ?? {};
}

async function valueAt(id: string, VersionStage: string): Promise<string | undefined> {
  return (await client.send(new GetSecretValueCommand({ SecretId: id, VersionStage }))).SecretString;
}

test('the four steps: a fresh token becomes AWSCURRENT and the old one AWSPREVIOUS', async () => {
  const { id, first } = await freshSecret();
  const token = randomUUID();
  await step(id, token, 'createSecret');
  const pending = await valueAt(id, 'AWSPENDING');
  expect(pending).toMatch(new RegExp(`^[A-Za-z0-9]{${TOKEN_LENGTH}}$`));
  expect(pending).not.toBe(first);
  expect((await stagesOf(id))[token]).toEqual(['AWSPENDING']);
  expect(await valueAt(id, 'AWSCURRENT')).toBe(first);

  await step(id, token, 'setSecret');
  await step(id, token, 'testSecret');
  expect(await valueAt(id, 'AWSCURRENT')).toBe(first);

  await step(id, token, 'finishSecret');
  expect(await valueAt(id, 'AWSCURRENT')).toBe(pending);
  expect(await valueAt(id, 'AWSPREVIOUS')).toBe(first);
  expect((await stagesOf(id))[token]).toContain('AWSCURRENT');
});

test('during the grace window the API accepts both tokens, and nothing else', async () => {
  const { id, first } = await freshSecret();
  const token = randomUUID();
  for (const s of STEPS) await step(id, token, s);
  const second = await valueAt(id, 'AWSCURRENT');
  const tokens = new AdminTokens(
    new SecretsManagerSecretSource(client, id),
    { ttlMs: 0, refreshMinMs: 0 },
    { now: () => new Date() },
  );
  expect(await tokens.configured()).toBe(true);
  expect(await tokens.accepts(first)).toBe(true);
  expect(await tokens.accepts(second ?? '')).toBe(true);
  expect(await tokens.accepts(newToken())).toBe(false);

  // A second rotation retires the first token for good.
  const next = randomUUID();
  for (const s of STEPS) await step(id, next, s);
  expect(await tokens.accepts(first)).toBe(false);
  expect(await tokens.accepts(second ?? '')).toBe(true);
});

test('retried steps are harmless: createSecret keeps the pending value, finishSecret is idempotent', async () => {
  const { id } = await freshSecret();
  const token = randomUUID();
  await step(id, token, 'createSecret');
  const pending = await valueAt(id, 'AWSPENDING');
  await step(id, token, 'createSecret');
  expect(await valueAt(id, 'AWSPENDING')).toBe(pending);
  await step(id, token, 'testSecret');
  await step(id, token, 'finishSecret');
  await step(id, token, 'finishSecret');
  expect(await valueAt(id, 'AWSCURRENT')).toBe(pending);
});

test('testSecret refuses a pending token the API would not accept, and nothing is promoted', async () => {
  const { id, first } = await freshSecret();
  const token = randomUUID();
  await client.send(
    new PutSecretValueCommand({
      SecretId: id,
      ClientRequestToken: token,
      SecretString: 'short',
      VersionStages: ['AWSPENDING'],
    }),
  );
  await expect(step(id, token, 'testSecret')).rejects.toThrow(/at least 32/);
  expect(await valueAt(id, 'AWSCURRENT')).toBe(first);
});

test('steps other than createSecret refuse a version that is not pending; unknown steps fail', async () => {
  const { id } = await freshSecret();
  await expect(step(id, randomUUID(), 'finishSecret')).rejects.toThrow(RotationError);
  await expect(step(id, randomUUID(), 'testSecret')).rejects.toThrow(RotationError);
  const token = randomUUID();
  await step(id, token, 'createSecret');
  await expect(step(id, token, 'dropSecret')).rejects.toThrow(/unknown rotation step/);
});

test('createSecret never invents a first token', async () => {
  await expect(step(`tenant-registry/missing-${randomUUID()}`, randomUUID(), 'createSecret')).rejects.toThrow(
    /can't find/,
  );
});

test('generated tokens: 48 letters and digits, all different', () => {
  const many = new Set(Array.from({ length: 200 }, () => newToken()));
  expect(many.size).toBe(200);
  for (const t of many) expect(t).toMatch(/^[A-Za-z0-9]{48}$/);
});
