import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { adminTokens, resetApp } from '../../shared/app';
import {
  type Config,
  type LocalConfig,
  parseConfig,
  parseLocalConfig,
  reloadConfig,
} from '../../shared/config/env';
import { ensureTable, startDynamoDbLocal } from './dynamodb';
import { LocalModeError } from './errors';
import { startEventPublishing } from './events';
import { DataFolderInUseError, type LockHolder, lockDataFolder, lockFile, lockHolder } from './lock';
import { createRouter } from './router';
import { SecretsManagerStandIn } from './secrets-manager-stand-in';
import { checkPortFree, serve } from './server';
import { SsmStandIn } from './ssm-stand-in';

/**
 * The embedded stack of local mode. Whatever the environment does not point elsewhere with
 * `AWS_ENDPOINT_URL_<SERVICE>` (or `AWS_ENDPOINT_URL`) is started here, persisted under the data
 * folder, which one process at a time may use (`lock.ts`). With every service local, requests
 * are signed with region and credentials `local`; as soon as the environment names an endpoint,
 * with the environment's own (the SDK's default chain), as a real service or an emulator expects.
 */
export interface LocalStack {
  readonly url?: string;
  stop(): Promise<void>;
}

const LOCAL_SECRET_ID = 'tenant-registry/local/admin-token';
type Service = 'dynamodb' | 'ssm' | 'secretsManager';
const ENDPOINT_VARIABLES: Record<Service, string> = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  ssm: 'AWS_ENDPOINT_URL_SSM',
  secretsManager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
};

/**
 * `npm start`: the stack and the API on 127.0.0.1. Unless the environment says otherwise the API
 * is enabled and an admin token is generated on first start, kept in the Secrets Manager
 * stand-in (and in `<data>/admin-token` for curl); nothing is ever created in a Secrets Manager
 * the environment names.
 */
export async function startLocalStack(options: { quiet?: boolean } = {}): Promise<LocalStack> {
  const env = process.env;
  const local = parseLocalConfig(env);
  parseConfig(env); // a malformed variable stops here, before Java starts
  const dataDir = resolve(local.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const holder = { pid: process.pid, role: 'server', dataDir: local.dataDir } as const;
  const lock = lockDataFolder(dataDir, holder);
  const stops: (() => Promise<void>)[] = [async () => lock.release()];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };

  try {
    await checkPortFree(local.port);
    await useIdentity(local);
    const notes: string[] = [];
    const own = await startStores(local, dataDir, ['dynamodb', 'ssm', 'secretsManager'], stops, notes);

    env.TENANT_REGISTRY_TABLE_NAME ||= 'tenant-registry';
    env.TENANT_REGISTRY_API_ENABLED ||= 'true';
    // Webhooks to a receiver on this machine (http://127.0.0.1:...): docs/webhooks.md#local-mode.
    env.TENANT_REGISTRY_WEBHOOK_ALLOW_LOCAL ||= 'true';
    const tokenFile = join(dataDir, 'admin-token');
    const tokenGiven = Boolean(env.TENANT_REGISTRY_API_TOKEN || env.TENANT_REGISTRY_API_TOKEN_SECRET_ID);
    if (!tokenGiven && own.secretsManager) {
      env.TENANT_REGISTRY_API_TOKEN_SECRET_ID = LOCAL_SECRET_ID;
      await ensureLocalToken(tokenFile);
    }
    const config = reloadConfig();
    resetApp();

    const ddbClient = new DynamoDBClient({});
    try {
      await ensureTable(ddbClient, config.tableName);
    } finally {
      ddbClient.destroy();
    }
    const events = await startEventPublishing(dataDir, config.tableName);
    stops.push(events.stop);
    notes.push(events.note);

    const router = await createRouter();
    const server: Server = await serve(router, { port: local.port });
    stops.push(() => new Promise<void>((done) => server.close(() => done())));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : local.port}`;
    lock.update({ ...holder, url, stack: stackRecord(config, own) });

    const enabled =
      config.apiEnabled &&
      (await adminTokens()
        .configured()
        .catch(() => false));
    const lines = [
      `Tenant Registry on ${url}  (data: ${local.dataDir}, API ${enabled ? 'enabled' : 'disabled'})`,
      ...notes,
    ];
    if (enabled && config.apiTokenSecretId === LOCAL_SECRET_ID && existsSync(tokenFile)) {
      const file = join(local.dataDir, 'admin-token');
      lines.push(`Admin token in ${file}. Try:`, `  TOKEN=$(cat ${file})`);
      lines.push(`  curl -s -H "Authorization: Bearer $TOKEN" ${url}/v1/tenants`);
    } else if (!enabled) {
      lines.push(...howToEnable(config, tokenGiven, local), `  curl -s ${url}/healthz   # the probes answer`);
    }
    if (!options.quiet) console.error(lines.join('\n'));
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * `npm run reconcile` and other one-off jobs on the local data: the running server's stack when
 * one holds the data folder (its stand-ins own their files, so the job talks to them instead of
 * opening the files a second time); else the environment's endpoints plus DynamoDB Local and the
 * SSM stand-in on the data folder, locked while the job runs. Creates nothing: no table, no
 * secret (jobs do not read the admin token).
 */
export async function openLocalStores(): Promise<LocalStack & { readonly using: string }> {
  const env = process.env;
  const local = parseLocalConfig(env);
  parseConfig(env);
  const dataDir = resolve(local.dataDir);
  const server = lockHolder(dataDir);
  if (server) {
    if (server.role !== 'server') throw new DataFolderInUseError(server, lockFile(dataDir));
    if (!server.stack) {
      throw new LocalModeError(
        `the server (pid ${server.pid}) on data folder ${local.dataDir} is still starting: run this again once it serves`,
      );
    }
    joinServer(server.stack, local);
    reloadConfig();
    resetApp();
    return {
      using: `the running server's stack (pid ${server.pid}, ${server.url ?? 'starting'})`,
      stop: async () => {},
    };
  }

  const needed: Service[] = ['dynamodb', 'ssm'];
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    await useIdentity(local);
    if (needed.some((service) => !local.endpoints[service])) {
      if (!local.endpoints.dynamodb && !existsSync(join(dataDir, 'dynamodb'))) {
        throw new LocalModeError(
          `nothing to reconcile in ${local.dataDir}: it holds no table yet (the first npm start creates it)`,
        );
      }
      mkdirSync(dataDir, { recursive: true });
      const lock = lockDataFolder(dataDir, { pid: process.pid, role: 'reconcile', dataDir: local.dataDir });
      stops.push(async () => lock.release());
    }
    const own = await startStores(local, dataDir, needed, stops, []);
    env.TENANT_REGISTRY_TABLE_NAME ||= 'tenant-registry';
    const config = reloadConfig();
    resetApp();
    const client = new DynamoDBClient({});
    try {
      await client.send(new DescribeTableCommand({ TableName: config.tableName }));
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
      throw new LocalModeError(
        `no table ${config.tableName} at ${env.AWS_ENDPOINT_URL_DYNAMODB}: nothing to reconcile (npm start creates it)`,
      );
    } finally {
      client.destroy();
    }
    const where = needed.map(
      (s) => `${s} ${own[s] ? 'in the data folder' : `at ${env[ENDPOINT_VARIABLES[s]]}`}`,
    );
    return { using: where.join(', '), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts what the environment names no endpoint for; says which ones are this process's own. */
async function startStores(
  local: LocalConfig,
  dataDir: string,
  services: readonly Service[],
  stops: (() => Promise<void>)[],
  notes: string[],
): Promise<Record<Service, boolean>> {
  const env = process.env;
  const own = { dynamodb: false, ssm: false, secretsManager: false };
  for (const service of services) {
    const named = local.endpoints[service];
    if (named) {
      // The SDK's own variable may be the generic AWS_ENDPOINT_URL: name the service explicitly.
      env[ENDPOINT_VARIABLES[service]] = named;
      continue;
    }
    own[service] = true;
    if (service === 'dynamodb') {
      const ddb = await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
      stops.push(() => ddb.stop());
      if (ddb.warning) notes.push(`Warning: ${ddb.warning}`);
      env.AWS_ENDPOINT_URL_DYNAMODB = ddb.endpoint;
    } else if (service === 'ssm') {
      const ssm = await SsmStandIn.start({ file: join(dataDir, 'ssm.json') });
      stops.push(() => ssm.close());
      env.AWS_ENDPOINT_URL_SSM = ssm.url;
    } else {
      const sm = await SecretsManagerStandIn.start({ file: join(dataDir, 'secrets-manager.json') });
      stops.push(() => sm.close());
      env.AWS_ENDPOINT_URL_SECRETS_MANAGER = sm.url;
    }
  }
  return own;
}

/**
 * Every service this process's own: region and credentials `local`, whatever the environment
 * holds (no profile or SSO session is consulted for a stand-in). Any endpoint named: the
 * environment's region and credentials, checked here so a missing one is one clear line.
 */
async function useIdentity(local: LocalConfig): Promise<void> {
  const env = process.env;
  if (!Object.keys(local.endpoints).length) {
    env.AWS_REGION = 'local';
    env.AWS_ACCESS_KEY_ID = 'local';
    env.AWS_SECRET_ACCESS_KEY = 'local';
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_PROFILE;
    return;
  }
  const named = (Object.keys(local.endpoints) as Service[]).map((s) => ENDPOINT_VARIABLES[s]).join(', ');
  const why = `${named} ${Object.keys(local.endpoints).length > 1 ? 'are' : 'is'} set, so requests are signed with the environment's AWS region and credentials`;
  const client = new DynamoDBClient({});
  try {
    try {
      await client.config.region();
    } catch {
      throw new LocalModeError(`${why}, and it names no region: set AWS_REGION (or a profile's region)`);
    }
    try {
      await client.config.credentials();
    } catch {
      throw new LocalModeError(
        `${why}, and it holds none: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE`,
      );
    }
  } finally {
    client.destroy();
  }
}

/** What a one-off job needs to use the server's stack instead of the data folder's files. */
function stackRecord(config: Config, own: Record<Service, boolean>): NonNullable<LockHolder['stack']> {
  const env = process.env;
  return {
    endpoints: {
      dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB ?? '',
      ssm: env.AWS_ENDPOINT_URL_SSM ?? '',
      secretsManager: env.AWS_ENDPOINT_URL_SECRETS_MANAGER ?? '',
    },
    tableName: config.tableName,
    ssmPrefix: config.ssmPrefix,
    local: own.dynamodb && own.ssm && own.secretsManager,
  };
}

/** Points this process at the server's stack; a conflicting setting in the environment is refused. */
function joinServer(stack: NonNullable<LockHolder['stack']>, local: LocalConfig): void {
  const env = process.env;
  const mine = parseConfig({
    ...env,
    TENANT_REGISTRY_TABLE_NAME: env.TENANT_REGISTRY_TABLE_NAME || stack.tableName,
  });
  const conflicts = [
    ...(Object.entries(local.endpoints) as [Service, string][])
      .filter(([service, url]) => url !== stack.endpoints[service])
      .map(
        ([service, url]) =>
          `${ENDPOINT_VARIABLES[service]}=${url} (the server uses ${stack.endpoints[service]})`,
      ),
    ...(mine.tableName !== stack.tableName
      ? [`TENANT_REGISTRY_TABLE_NAME=${mine.tableName} (the server uses ${stack.tableName})`]
      : []),
    ...(env.TENANT_REGISTRY_SSM_PREFIX && mine.ssmPrefix !== stack.ssmPrefix
      ? [`TENANT_REGISTRY_SSM_PREFIX=${mine.ssmPrefix} (the server uses ${stack.ssmPrefix})`]
      : []),
  ];
  if (conflicts.length) {
    throw new LocalModeError(
      `a server runs on this data folder with other settings: ${conflicts.join('; ')}. Unset them, or stop the server`,
    );
  }
  for (const service of Object.keys(ENDPOINT_VARIABLES) as Service[]) {
    env[ENDPOINT_VARIABLES[service]] = stack.endpoints[service];
  }
  env.TENANT_REGISTRY_TABLE_NAME = stack.tableName;
  env.TENANT_REGISTRY_SSM_PREFIX = stack.ssmPrefix;
  if (stack.local) {
    env.AWS_REGION = 'local';
    env.AWS_ACCESS_KEY_ID = 'local';
    env.AWS_SECRET_ACCESS_KEY = 'local';
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_PROFILE;
  }
}

/** Why the API is off and how to turn it on, for the banner (instead of a curl that would 404). */
function howToEnable(config: Config, tokenGiven: boolean, local: LocalConfig): string[] {
  if (!config.apiEnabled) {
    return [
      'TENANT_REGISTRY_API_ENABLED is false: every route but /healthz and /readyz answers 404.',
      'To enable the API, restart without it (or with TENANT_REGISTRY_API_ENABLED=true).',
    ];
  }
  if (!tokenGiven) {
    return [
      `No admin token: Secrets Manager is ${local.endpoints.secretsManager}, where local mode creates nothing.`,
      'To enable the API, restart with TENANT_REGISTRY_API_TOKEN_SECRET_ID=<a secret there of 32+ characters> (or TENANT_REGISTRY_API_TOKEN=<32+ characters>).',
    ];
  }
  const from = config.apiTokenSecretId
    ? `the secret ${config.apiTokenSecretId} is missing or holds`
    : 'TENANT_REGISTRY_API_TOKEN holds';
  return [
    `No usable admin token: ${from} fewer than 32 characters.`,
    'To enable the API, restart with a token of 32+ characters.',
  ];
}

/** The local admin token: created once in this process's own stand-in, then read back. */
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
