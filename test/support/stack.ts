import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ensureTable, localDynamoDb } from '../../bin/local/dynamodb';
import { createRouter, type Router } from '../../bin/local/router';
import { SecretsManagerStandIn } from '../../bin/local/secrets-manager-stand-in';
import { SsmStandIn } from '../../bin/local/ssm-stand-in';
import * as app from '../../shared/app';
import { reloadConfig } from '../../shared/config/env';
import { routes } from '../../shared/contract/routes';
import type { Clock } from '../../shared/ports/clock';
import { assertResponseMatchesSpec } from './contract';
import { LogCapture } from './logs';

/**
 * A whole local stack for one test file: a fresh table in the shared DynamoDB Local, fresh
 * SSM and Secrets Manager stand-ins, and the real handlers behind the local router, reached
 * through the real SDK clients. Every response is checked against openapi.yaml.
 */
export interface TestResponse<T = unknown> {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: T;
  readonly text: string;
  readonly operationId?: string;
}

export interface RequestOptions {
  /** A list sends the header once per value. */
  readonly headers?: Record<string, string | readonly string[]>;
  /** An object is sent as JSON; a string or bytes are sent as they are. */
  readonly body?: unknown;
  /** Bearer token; defaults to the admin token, `null` sends none. */
  readonly token?: string | null;
  readonly sourceIp?: string;
  /** Skip the contract check (for tests of malformed traffic the spec cannot describe). */
  readonly unchecked?: boolean;
}

export interface TestStack {
  readonly token: string;
  readonly tableName: string;
  readonly ssmPrefix: string;
  readonly secretId: string;
  readonly logs: LogCapture;
  readonly ssm: SSMClient;
  readonly secrets: SecretsManagerClient;
  readonly dynamodb: DynamoDBClient;
  readonly ssmStats: () => Record<string, number>;
  readonly secretsStats: () => Record<string, number>;
  readonly resetStats: () => void;
  /** The router behind `request`, to serve it over HTTP (benchmarks, local-server tests). */
  readonly router: Router;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>>;
  /** Changes the environment and rebuilds configuration, clients and caches. */
  configure(env: Record<string, string | undefined>, options?: { clock?: Clock }): void;
  close(): Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function randomToken(length = 48): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}

export async function startStack(
  options: { env?: Record<string, string>; quiet?: boolean } = {},
): Promise<TestStack> {
  const ddbEndpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!ddbEndpoint)
    throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run the tests through jest (global setup)');
  const ssmStandIn = await SsmStandIn.start();
  const secretsStandIn = await SecretsManagerStandIn.start();
  const unique = randomUUID().slice(0, 8);
  const tableName = `test-${unique}`;
  const ssmPrefix = `/test-${unique}`;
  const secretId = `tenant-registry/test-${unique}/admin-token`;
  const token = randomToken();

  const dynamodb = localDynamoDb(ddbEndpoint);
  await ensureTable(dynamodb, tableName);
  const ssm = new SSMClient({ endpoint: ssmStandIn.url, region: 'local', credentials: LOCAL_CREDENTIALS });
  const secrets = new SecretsManagerClient({
    endpoint: secretsStandIn.url,
    region: 'local',
    credentials: LOCAL_CREDENTIALS,
  });
  await secrets.send(new CreateSecretCommand({ Name: secretId, SecretString: token }));

  const base: Record<string, string> = {
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint,
    AWS_ENDPOINT_URL_SSM: ssmStandIn.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsStandIn.url,
    TENANT_REGISTRY_TABLE_NAME: tableName,
    TENANT_REGISTRY_SSM_PREFIX: ssmPrefix,
    TENANT_REGISTRY_API_ENABLED: 'true',
    TENANT_REGISTRY_API_TOKEN_SECRET_ID: secretId,
    TENANT_REGISTRY_LOG_LEVEL: 'INFO',
    // Under Jest, a long write budget (20 s, under the local router's 30 s deadline, as 5 s is
    // under a function's 10 s): Jest runs two files at once beside one DynamoDB Local
    // on a shared 2-core machine, where a transaction can take a second, and a test checks what
    // a write does, not how fast (audit-batch.test.ts sets a short budget to test the 503). The
    // benchmarks keep the default, as deployed.
    ...(process.env.JEST_WORKER_ID === undefined ? {} : { TENANT_REGISTRY_WRITE_BUDGET_MS: '20000' }),
    ...options.env,
  };
  let touched = new Set<string>();
  // What the process had before this stack: close() puts it back, so nothing leaks into the
  // next stack of the same process (the benchmarks run several in a row).
  const before = new Map<string, string | undefined>();
  const configure = (env: Record<string, string | undefined>, opts: { clock?: Clock } = {}) => {
    for (const k of Object.keys({ ...base, ...env })) if (!before.has(k)) before.set(k, process.env[k]);
    const wanted = { ...base, ...env };
    // Forget what an earlier configure() set and this one does not.
    for (const k of touched) if (!(k in wanted)) delete process.env[k];
    touched = new Set(Object.keys(wanted));
    for (const [k, v] of Object.entries(wanted)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    reloadConfig();
    app.resetApp(opts);
  };
  configure({});

  const logs = new LogCapture();
  if (options.quiet !== false) logs.start();
  const router: Router = await createRouter();

  const request = async (method: string, path: string, opts: RequestOptions = {}): Promise<TestResponse> => {
    const headers: Record<string, string | readonly string[]> = { ...opts.headers };
    const tokenValue = opts.token === undefined ? token : opts.token;
    if (tokenValue !== null && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
      headers.authorization = `Bearer ${tokenValue}`;
    }
    let body: string | Uint8Array | undefined;
    if (typeof opts.body === 'string' || opts.body instanceof Uint8Array) body = opts.body;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/json';
    }
    const res = await router.handle({
      method,
      url: path,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(opts.sourceIp ? { sourceIp: opts.sourceIp } : {}),
    });
    let text = res.body;
    if (res.stream && method !== 'HEAD') {
      // A streamed body (an export), read to its end as a client would.
      const parts: string[] = [];
      for await (const chunk of res.stream) parts.push(chunk);
      text = parts.join('');
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!opts.unchecked) {
      const route = res.operationId ? routes[res.operationId as keyof typeof routes] : undefined;
      assertResponseMatchesSpec(route, res.statusCode, parsed, { method, headers: res.headers });
    }
    return {
      status: res.statusCode,
      headers: res.headers,
      body: parsed,
      text,
      ...(res.operationId ? { operationId: res.operationId } : {}),
    };
  };

  return {
    token,
    tableName,
    ssmPrefix,
    secretId,
    logs,
    ssm,
    secrets,
    dynamodb,
    ssmStats: () => ssmStandIn.stats(),
    secretsStats: () => secretsStandIn.stats(),
    resetStats: () => {
      ssmStandIn.resetStats();
      secretsStandIn.resetStats();
    },
    router,
    request: request as TestStack['request'],
    configure,
    close: async () => {
      for (const [k, v] of before) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      logs.stop();
      await Promise.all([ssmStandIn.close(), secretsStandIn.close()]);
      // The run shares one DynamoDB Local: a file's table goes with its stack, so the store
      // holds only the tables of the files running now, not of every file that ran before.
      await dynamodb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      dynamodb.destroy();
      ssm.destroy();
      secrets.destroy();
    },
  };
}

/**
 * The stack of a test file (on `clock` when given): started before the file's first test, closed
 * after its last once the background `last_used_at` writes of API keys have settled (a close
 * under them leaves a worker that cannot exit). The returned object stands for the stack; use
 * it only inside tests and hooks.
 */
export function fileStack(clock?: Clock): TestStack {
  let current: TestStack | undefined;
  beforeAll(async () => {
    current = await startStack();
    if (clock) current.configure({}, { clock });
  });
  afterAll(async () => {
    await app.apiKeys().settled();
    await current?.close();
  });
  return new Proxy({} as TestStack, {
    get(_, name) {
      if (!current) throw new Error('the file stack is used before beforeAll started it');
      const value = current[name as keyof TestStack];
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
