import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DeleteParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ensureTable, freePort, localDynamoDb } from '../../bin/local/dynamodb';
import { DataFolderInUseError, type LockHolder, lockDataFolder, lockHolder } from '../../bin/local/lock';
import { SecretsManagerStandIn } from '../../bin/local/secrets-manager-stand-in';
import { SsmStandIn } from '../../bin/local/ssm-stand-in';

/**
 * `npm start` and `npm run reconcile` as a user runs them: real processes, real HTTP, data kept
 * across a restart, one process per data folder, failures in one line, and nothing left behind
 * (no Java) however the server is stopped. Only two runs start Java; the others point
 * DynamoDB at the test run's DynamoDB Local, as AWS_ENDPOINT_URL_DYNAMODB lets a user do.
 */
const roots: string[] = [];
const started: ChildProcess[] = [];
const ddbEndpoint = () => {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run through jest');
  return endpoint;
};

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tr-local-'));
  roots.push(dir);
  return dir;
}

/** The environment of a spawned run: nothing inherited that would point it elsewhere. */
function runEnv(dataDir: string, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean: Record<string, string> = {};
  for (const k of Object.keys(process.env)) if (/^(AWS_|TENANT_REGISTRY_)/.test(k)) clean[k] = '';
  return { ...process.env, ...clean, PORT: '0', TENANT_REGISTRY_DATA_DIR: dataDir, ...env };
}

interface Run {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(args: string[], env: NodeJS.ProcessEnv, command = process.execPath): Run {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

const startScript = (env: NodeJS.ProcessEnv) => launch(['--import', 'tsx', 'bin/local.ts'], env);
const reconcileScript = (env: NodeJS.ProcessEnv) => launch(['--import', 'tsx', 'bin/reconcile.ts'], env);

/** Resolves with the server's URL once it serves; rejects with its output if it exits first. */
async function served(run: Run): Promise<string> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const url = /Tenant Registry on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stderr())?.[1];
    if (url) return url;
    if (run.child.exitCode !== null || run.child.signalCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the server did not start:\n${run.stderr().slice(-2000)}`);
}

/** What a failed run says: its lines without the SDK's warning about the Node version. */
function failure(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /^(npm start|npm run reconcile): /.test(line) || /^\s+at /.test(line));
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function javaProcessesFor(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', 'DynamoDBLocal'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(dir));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

function holderOf(dataDir: string): LockHolder {
  return JSON.parse(readFileSync(join(dataDir, 'lock.json'), 'utf8')) as LockHolder;
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

afterAll(async () => {
  // A failed assertion must not leave a server (and its Java) behind.
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await gone;
    }
  }
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

test('serves the API, keeps data across a restart, one process per data folder, and leaves nothing behind', async () => {
  const dataDir = tempDir();
  const env = runEnv(dataDir);
  const first = startScript(env);
  const url = await served(first);
  let tenantId = '';
  let tenantKey = '';
  const holder = holderOf(dataDir);
  try {
    expect(holder).toMatchObject({ pid: first.child.pid, role: 'server', url, stack: { local: true } });
    expect(first.stderr()).toContain('admin-token');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    // The token itself is never printed.
    expect(first.stderr() + first.stdout()).not.toContain(token);

    // DynamoDB Local answers on 127.0.0.1 only: not on this machine's other addresses.
    const ddbPort = Number(new URL(holder.stack?.endpoints.dynamodb ?? '').port);
    expect(await accepts('127.0.0.1', ddbPort)).toBe(true);
    const outside = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a?.address ?? '');
    for (const address of outside)
      expect(`${address}: ${await accepts(address, ddbPort)}`).toBe(`${address}: false`);

    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    expect((await fetch(`${url}/v1/tenants`)).status).toBe(401);
    const created = await fetch(`${url}/v1/tenants`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ slug: 'local-acme', name: 'Acme' }),
    });
    expect(created.status).toBe(201);
    tenantId = ((await created.json()) as { tenant: { id: string } }).tenant.id;
    const key = await fetch(`${url}/v1/api-keys`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ tenant_id: tenantId, name: 'local' }),
    });
    expect(key.status).toBe(201);
    tenantKey = ((await key.json()) as { plaintext: string }).plaintext;
    // The tenant plane over HTTP: by path, and by header under /tenant/.
    expect((await fetch(`${url}/local-acme/profile`, { headers: { 'x-api-key': tenantKey } })).status).toBe(
      200,
    );
    const selected = await fetch(`${url}/tenant/profile`, {
      headers: { authorization: `Bearer ${tenantKey}`, 'x-tenant-id': 'local-acme' },
    });
    expect(await selected.json()).toMatchObject({ id: tenantId });
    expect(first.stderr() + first.stdout()).not.toContain(tenantKey);
    const unknown = await fetch(`${url}/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not_found', message: 'no such route' });

    // A body over the wire limit (8 MiB) is a 413 like any oversized body, not a reset connection.
    const huge = await fetch(`${url}/v1/tenants`, {
      method: 'POST',
      headers: auth,
      body: 'x'.repeat(9 << 20),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({
      error: 'payload_too_large',
      message: 'the body is larger than 8388608 bytes',
    });
    // Announced with Expect: 100-continue (as curl does), it is refused before any byte is sent.
    const refused = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${url}/v1/tenants`, {
        method: 'POST',
        headers: { ...auth, expect: '100-continue', 'content-length': String(9 << 20) },
      });
      req.on('continue', () => reject(new Error('the server asked for the body')));
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(refused).toBe(413);

    // A second server on the same folder refuses in one line, naming the first; nothing starts.
    const second = startScript({ ...env, PORT: String(await freePort()) });
    expect((await second.exited).code).toBe(1);
    expect(failure(second.stderr())).toEqual([
      `npm start: data folder ${dataDir} is in use by the server on ${url} (pid ${first.child.pid}): stop it first (Ctrl-C in its terminal, or kill ${first.child.pid}), or use another folder with TENANT_REGISTRY_DATA_DIR. If no such process runs, delete ${join(dataDir, 'lock.json')}`,
    ]);

    // Reconcile while the server runs goes through the server's stand-ins: drift it repairs
    // there is still on disk after the server's own later writes.
    const ssm = new SSMClient({
      endpoint: holder.stack?.endpoints.ssm,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await ssm.send(new DeleteParameterCommand({ Name: '/tenant-registry/aliases/local-acme' }));
    ssm.destroy();
    const reconcile = reconcileScript(env);
    expect((await reconcile.exited).code).toBe(0);
    expect(reconcile.stderr()).toContain(
      `Reconciling with the running server's stack (pid ${first.child.pid}, ${url})`,
    );
    expect(JSON.parse(reconcile.stdout())).toEqual({
      published: ['local-acme'],
      corrected: [],
      removed: [],
      checked: 1,
    });
    const alias = await fetch(`${url}/v1/tenants/${tenantId}/aliases`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ slug: 'local-acme-2' }),
    });
    expect(alias.status).toBe(201);
  } finally {
    first.child.kill('SIGINT');
    const { code } = await first.exited;
    expect(`code ${code}\n${first.stderr().slice(-1500)}`).toMatch(/^code 0\n/);
  }
  expect(javaProcessesFor(dataDir)).toEqual([]);
  expect(existsSync(join(dataDir, 'lock.json'))).toBe(false);
  const published = (
    JSON.parse(readFileSync(join(dataDir, 'ssm.json'), 'utf8')) as { parameters: { name: string }[] }
  ).parameters
    .map((p) => p.name)
    .sort();
  expect(published).toEqual(['/tenant-registry/aliases/local-acme', '/tenant-registry/aliases/local-acme-2']);

  // Restarted through npm, as a user does; `kill <npm pid>` stops the server and Java.
  const again = launch(['start'], env, 'npm');
  const url2 = await served(again);
  const serverPid = holderOf(dataDir).pid;
  try {
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const res = await fetch(`${url2}/v1/tenants/by-slug/local-acme-2`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: tenantId, slug: 'local-acme' });
    const swagger = await fetch(`${url2}/${tenantId}/swagger`, { headers: { 'x-api-key': tenantKey } });
    expect(swagger.status).toBe(200);
    expect(((await swagger.json()) as { paths: Record<string, unknown> }).paths).toHaveProperty(
      `/${tenantId}/profile`,
    );
    expect(javaProcessesFor(dataDir)).toHaveLength(1);
  } finally {
    again.child.kill('SIGTERM');
    await again.exited;
  }
  await until(
    () => !alive(serverPid) && javaProcessesFor(dataDir).length === 0,
    'the server and Java to stop',
  );
  expect(existsSync(join(dataDir, 'lock.json'))).toBe(false);
}, 240_000);

/** An HTTP proxy to the run's DynamoDB Local that keeps each request's Authorization header. */
async function recordingProxy(target: string): Promise<{ url: string; seen: string[]; server: Server }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(String(req.headers.authorization ?? ''));
    const upstream = request(
      `${target}${req.url ?? '/'}`,
      { method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    seen,
    server,
  };
}

test('with an endpoint given: the environment signs; off API banner says how to enable; each 404 logs its own id; SIGHUP stops; a stale lock is taken over', async () => {
  const dataDir = tempDir();
  const proxy = await recordingProxy(ddbEndpoint());
  const table = `local-${randomUUID().slice(0, 8)}`;
  // A lock left by a process that no longer exists.
  const dead = launch(['-e', ''], process.env);
  await dead.exited;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'lock.json'), JSON.stringify({ pid: dead.child.pid, role: 'server', dataDir }));
  const run = startScript(
    runEnv(dataDir, {
      AWS_ENDPOINT_URL_DYNAMODB: proxy.url,
      AWS_REGION: 'eu-west-3',
      AWS_ACCESS_KEY_ID: 'AKIDLOCALMODETEST',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
      TENANT_REGISTRY_TABLE_NAME: table,
      TENANT_REGISTRY_API_ENABLED: 'false',
    }),
  );
  try {
    const url = await served(run);
    expect(holderOf(dataDir)).toMatchObject({
      pid: run.child.pid,
      stack: { local: false, tableName: table },
    });
    // Every DynamoDB call (the table's creation included) signed as the environment says.
    expect(proxy.seen.length).toBeGreaterThan(0);
    for (const authorization of proxy.seen) {
      expect(authorization).toMatch(/Credential=AKIDLOCALMODETEST\/\d{8}\/eu-west-3\/dynamodb\/aws4_request/);
    }
    // The banner says why the API is off and how to turn it on, and offers no curl that 404s.
    expect(run.stderr()).toContain(`Tenant Registry on ${url}  (data: ${dataDir}, API disabled)`);
    expect(run.stderr()).toContain(
      'TENANT_REGISTRY_API_ENABLED is false: every route but /healthz and /readyz answers 404.\nTo enable the API, restart without it (or with TENANT_REGISTRY_API_ENABLED=true).',
    );
    expect(run.stderr()).not.toContain('/v1/');

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    for (const path of ['/v1/tenants', '/v1/version', '/v1/tenants']) {
      expect((await fetch(`${url}${path}`)).status).toBe(404);
    }
    await until(
      () =>
        run
          .stdout()
          .split('\n')
          .filter((l) => l.includes('"event":"request"')).length >= 4,
      'log lines',
    );
    const lines = run
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"event":"request"'))
      .map(
        (l) => JSON.parse(l) as { request_id?: string; operation?: string; route: string; status: number },
      );
    expect(lines.map((l) => [l.operation, l.route, l.status])).toEqual([
      ['getHealthz', '/healthz', 200],
      ['listTenants', '/v1/tenants', 404],
      ['getVersion', '/v1/version', 404],
      ['listTenants', '/v1/tenants', 404],
    ]);
    expect(new Set(lines.map((l) => l.request_id)).size).toBe(4);
    expect(lines.every((l) => /^local-/.test(l.request_id ?? ''))).toBe(true);
  } finally {
    run.child.kill('SIGHUP');
    expect((await run.exited).code).toBe(0);
    proxy.server.closeAllConnections();
    proxy.server.close();
    const ddb = localDynamoDb(ddbEndpoint());
    await ddb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    ddb.destroy();
  }
  expect(existsSync(join(dataDir, 'lock.json'))).toBe(false);
}, 120_000);

test('reconcile and start against named endpoints create nothing there: no secret, no table', async () => {
  const ssm = await SsmStandIn.start();
  const secrets = await SecretsManagerStandIn.start();
  const table = `local-${randomUUID().slice(0, 8)}`;
  const env = runEnv(tempDir(), {
    AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint(),
    AWS_ENDPOINT_URL_SSM: ssm.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    AWS_REGION: 'eu-west-3',
    AWS_ACCESS_KEY_ID: 'AKIDLOCALMODETEST',
    AWS_SECRET_ACCESS_KEY: 'not-a-secret',
    TENANT_REGISTRY_TABLE_NAME: table,
  });
  const ddb = localDynamoDb(ddbEndpoint());
  try {
    const missing = reconcileScript(env);
    expect((await missing.exited).code).toBe(1);
    expect(failure(missing.stderr())).toEqual([
      `npm run reconcile: no table ${table} at ${ddbEndpoint()}: nothing to reconcile (npm start creates it)`,
    ]);
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).not.toContain(table);

    await ensureTable(ddb, table);
    const run = reconcileScript(env);
    expect((await run.exited).code).toBe(0);
    expect(JSON.parse(run.stdout())).toEqual({ published: [], corrected: [], removed: [], checked: 0 });
    expect(secrets.stats()).toEqual({});
    expect(ssm.stats()).toEqual({ GetParametersByPath: 1 });

    // Nor does the server: with no token named, it serves with the API off and says why.
    const server = startScript(env);
    try {
      const url = await served(server);
      expect(server.stderr()).toContain(
        `No admin token: Secrets Manager is ${secrets.url}, where local mode creates nothing.\nTo enable the API, restart with TENANT_REGISTRY_API_TOKEN_SECRET_ID=`,
      );
      expect((await fetch(`${url}/v1/version`)).status).toBe(404);
      expect(secrets.stats().CreateSecret).toBeUndefined();
    } finally {
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    }
  } finally {
    await ddb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    ddb.destroy();
    await ssm.close();
    await secrets.close();
  }
}, 60_000);

test('fails in one line, without a stack trace, and leaves the data folder unlocked', async () => {
  const busy = createTcpServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const busyPort = (busy.address() as { port: number }).port;
  const noJava = tempDir(); // an empty PATH: no java, no javac
  const external = {
    AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint(),
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  };
  const cases: [string, Record<string, string>, string][] = [
    [
      'PORT=abc',
      { PORT: 'abc' },
      'npm start: PORT must be a port number from 0 to 65535 (0 picks a free one), not "abc"',
    ],
    [
      'a reserved SSM prefix',
      { TENANT_REGISTRY_SSM_PREFIX: '/aws/registry' },
      'npm start: invalid environment: TENANT_REGISTRY_SSM_PREFIX: must not begin with aws or ssm (in any case): Parameter Store reserves those names',
    ],
    [
      'no Java',
      { PATH: noJava },
      'npm start: no java on PATH: DynamoDB Local needs Java 17 or later (Debian/Ubuntu: sudo apt-get install openjdk-17-jdk-headless; macOS: brew install openjdk@17), or point AWS_ENDPOINT_URL_DYNAMODB at another DynamoDB',
    ],
    [
      'the port in use',
      { ...external, PORT: String(busyPort) },
      `npm start: port ${busyPort} on 127.0.0.1 is in use (another npm start?): stop that process or set PORT to a free port`,
    ],
    [
      'an endpoint without a region',
      {
        AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint(),
        AWS_CONFIG_FILE: join(noJava, 'none'),
        AWS_SHARED_CREDENTIALS_FILE: join(noJava, 'none'),
      },
      "npm start: AWS_ENDPOINT_URL_DYNAMODB is set, so requests are signed with the environment's AWS region and credentials, and it names no region: set AWS_REGION (or a profile's region)",
    ],
  ];
  try {
    const results = await Promise.all(
      cases.map(async ([name, env]) => {
        const dataDir = tempDir();
        const run = startScript(runEnv(dataDir, env));
        const { code } = await run.exited;
        return [name, code, failure(run.stderr()), existsSync(join(dataDir, 'lock.json'))];
      }),
    );
    expect(results).toEqual(cases.map(([name, , line]) => [name, 1, [line], false]));
  } finally {
    busy.close();
  }
}, 120_000);

describe('the data folder lock', () => {
  it('admits one holder, names it to the next, and is gone once released', () => {
    const dir = tempDir();
    const lock = lockDataFolder(dir, { pid: process.pid, role: 'reconcile', dataDir: 'the-data' });
    expect(lockHolder(dir)).toEqual({ pid: process.pid, role: 'reconcile', dataDir: 'the-data' });
    let refused: unknown;
    try {
      lockDataFolder(dir, { pid: process.pid, role: 'server', dataDir: 'the-data' });
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DataFolderInUseError);
    expect((refused as Error).message).toBe(
      `data folder the-data is in use by npm run reconcile (pid ${process.pid}): wait for it to finish, or use another folder with TENANT_REGISTRY_DATA_DIR. If no such process runs, delete ${join(dir, 'lock.json')}`,
    );
    lock.release();
    expect(existsSync(join(dir, 'lock.json'))).toBe(false);
    expect(lockHolder(dir)).toBeUndefined();
  });

  it('takes over a lock whose process is gone, or that is not a lock at all', async () => {
    const dead = launch(['-e', ''], process.env);
    await dead.exited;
    for (const stale of [
      JSON.stringify({ pid: dead.child.pid, role: 'server', dataDir: 'x' }),
      'garbage',
      '',
    ]) {
      const dir = tempDir();
      writeFileSync(join(dir, 'lock.json'), stale);
      expect(lockHolder(dir)).toBeUndefined();
      const lock = lockDataFolder(dir, { pid: process.pid, role: 'server', dataDir: dir });
      expect(lockHolder(dir)?.pid).toBe(process.pid);
      lock.release();
    }
  });

  it('never releases a lock another process holds now', () => {
    const dir = tempDir();
    const lock = lockDataFolder(dir, { pid: process.pid, role: 'server', dataDir: dir });
    const other: LockHolder = { pid: process.ppid, role: 'server', dataDir: dir };
    writeFileSync(join(dir, 'lock.json'), JSON.stringify(other));
    lock.release();
    expect(lockHolder(dir)).toEqual(other);
  });
});
