import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { resetApp } from '../../shared/app';
import { parseLocalConfig, reloadConfig } from '../../shared/config/env';
import { ensureTable, localDynamoDb, startDynamoDbLocal } from './dynamodb';
import { createRouter } from './router';
import { SecretsManagerStandIn } from './secrets-manager-stand-in';
import { serve } from './server';
import { SsmStandIn } from './ssm-stand-in';

/**
 * The embedded stack of local mode. Whatever the environment does not point elsewhere with
 * `AWS_ENDPOINT_URL_<SERVICE>` is started here, persisted under the data folder. Unless the
 * environment says otherwise the API is enabled and an admin token is generated on first
 * start, kept in the Secrets Manager stand-in (and in `<data>/admin-token` for curl).
 */
export interface LocalStack {
  readonly url?: string;
  stop(): Promise<void>;
}

const LOCAL_SECRET_ID = 'tenant-registry/local/admin-token';

export async function startLocalStack(
  options: { serve?: boolean; quiet?: boolean } = {},
): Promise<LocalStack> {
  const local = parseLocalConfig(process.env);
  const dataDir = resolve(local.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const say = (line: string) => {
    if (!options.quiet) console.error(line);
  };
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };

  try {
    const env = process.env;
    env.AWS_REGION ||= 'local';
    if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
      env.AWS_ACCESS_KEY_ID = 'local';
      env.AWS_SECRET_ACCESS_KEY = 'local';
    }

    if (!local.endpoints.dynamodb) {
      const ddb = await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
      stops.push(() => ddb.stop());
      env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
    }
    if (!local.endpoints.ssm) {
      const ssm = await SsmStandIn.start({ file: join(dataDir, 'ssm.json') });
      stops.push(() => ssm.close());
      env.AWS_ENDPOINT_URL_SSM = ssm.url;
    }
    if (!local.endpoints.secretsManager) {
      const sm = await SecretsManagerStandIn.start({ file: join(dataDir, 'secrets-manager.json') });
      stops.push(() => sm.close());
      env.AWS_ENDPOINT_URL_SECRETS_MANAGER = sm.url;
    }

    env.TENANT_REGISTRY_TABLE_NAME ||= 'tenant-registry';
    env.TENANT_REGISTRY_API_ENABLED ||= 'true';
    const tokenFile = join(dataDir, 'admin-token');
    if (!env.TENANT_REGISTRY_API_TOKEN && !env.TENANT_REGISTRY_API_TOKEN_SECRET_ID) {
      env.TENANT_REGISTRY_API_TOKEN_SECRET_ID = LOCAL_SECRET_ID;
      await ensureLocalToken(tokenFile);
    }
    const config = reloadConfig();
    resetApp();

    const ddbClient = localDynamoDb(env.AWS_ENDPOINT_URL_DYNAMODB ?? '');
    await ensureTable(ddbClient, config.tableName);
    ddbClient.destroy();

    if (options.serve === false) return { stop };

    const router = await createRouter();
    const server: Server = await serve(router, { port: local.port });
    stops.push(() => new Promise<void>((done) => server.close(() => done())));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : local.port}`;
    const info = [
      `Tenant Registry on ${url}  (data: ${local.dataDir}, API ${config.apiEnabled ? 'enabled' : 'disabled'})`,
    ];
    if (existsSync(tokenFile) && config.apiTokenSecretId === LOCAL_SECRET_ID) {
      const file = join(local.dataDir, 'admin-token');
      info.push(`Admin token in ${file}. Try:`, `  TOKEN=$(cat ${file})`);
      info.push(`  curl -s -H "Authorization: Bearer $TOKEN" ${url}/v1/tenants`);
    }
    say(info.join('\n'));
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The local admin token: created once, then read back from the Secrets Manager stand-in. */
async function ensureLocalToken(tokenFile: string): Promise<void> {
  const client = new SecretsManagerClient({});
  try {
    let token: string | undefined;
    try {
      token = (await client.send(new GetSecretValueCommand({ SecretId: LOCAL_SECRET_ID }))).SecretString;
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
      token = randomBytes(36).toString('base64url');
      await client.send(new CreateSecretCommand({ Name: LOCAL_SECRET_ID, SecretString: token }));
    }
    if (token && (!existsSync(tokenFile) || readFileSync(tokenFile, 'utf8').trim() !== token)) {
      writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    }
  } finally {
    client.destroy();
  }
}
