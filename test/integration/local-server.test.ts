import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../bin/local/dynamodb';

/**
 * `npm start` as a user runs it: a real process, real HTTP, data kept across a restart, and
 * nothing left behind (no Java) after Ctrl-C.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'tr-local-'));
let port: number;
let tenantId = '';
let tenantKey = '';

function start(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      TENANT_REGISTRY_DATA_DIR: dataDir,
      AWS_ENDPOINT_URL_DYNAMODB: '',
      AWS_ENDPOINT_URL_SSM: '',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: '',
      TENANT_REGISTRY_API_ENABLED: '',
      TENANT_REGISTRY_API_TOKEN: '',
      TENANT_REGISTRY_API_TOKEN_SECRET_ID: '',
      TENANT_REGISTRY_TABLE_NAME: '',
      TENANT_REGISTRY_SSM_PREFIX: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${output}`)), 60_000);
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('Tenant Registry on')) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

function stop(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(`code ${code} signal ${signal}`));
    child.kill('SIGINT');
  });
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

const url = (path: string) => `http://127.0.0.1:${port}${path}`;

beforeAll(async () => {
  port = await freePort();
});
const started: ChildProcess[] = [];
afterAll(async () => {
  // A failed assertion must not leave a server (and its Java) behind.
  for (const child of started) if (child.exitCode === null && child.signalCode === null) await stop(child);
  rmSync(dataDir, { recursive: true, force: true });
});

test('serves the API, keeps data across a restart, and stops cleanly on Ctrl-C', async () => {
  const first = await start();
  try {
    expect(first.output()).toContain('admin-token');
    expect((await fetch(url('/healthz'))).status).toBe(200);
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    // The token itself is never printed.
    expect(first.output()).not.toContain(token);

    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    expect((await fetch(url('/v1/tenants'))).status).toBe(401);
    const created = await fetch(url('/v1/tenants'), {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ slug: 'local-acme', name: 'Acme' }),
    });
    expect(created.status).toBe(201);
    const { tenant } = (await created.json()) as { tenant: { id: string } };
    tenantId = tenant.id;
    const key = await fetch(url('/v1/api-keys'), {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ tenant_id: tenant.id, name: 'local' }),
    });
    expect(key.status).toBe(201);
    tenantKey = ((await key.json()) as { plaintext: string }).plaintext;
    // The tenant plane over HTTP: by path, and by header under /tenant/.
    const profile = await fetch(url('/local-acme/profile'), { headers: { 'x-api-key': tenantKey } });
    expect(profile.status).toBe(200);
    const selected = await fetch(url('/tenant/profile'), {
      headers: { authorization: `Bearer ${tenantKey}`, 'x-tenant-id': 'local-acme' },
    });
    expect(await selected.json()).toMatchObject({ id: tenant.id });
    expect(first.output()).not.toContain(tenantKey);
    const unknown = await fetch(url('/nope'));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'not_found', message: 'no such route' });
  } finally {
    expect(`${await stop(first.child)}\n${first.output().slice(-1500)}`).toMatch(/^code 0 signal null/);
  }
  expect(javaProcessesFor(dataDir)).toEqual([]);

  const second = await start();
  try {
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    const res = await fetch(url('/v1/tenants/by-slug/local-acme'), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: tenantId, slug: 'local-acme' });
    const profile = await fetch(url(`/${tenantId}/swagger`), { headers: { 'x-api-key': tenantKey } });
    expect(profile.status).toBe(200);
    expect(((await profile.json()) as { paths: Record<string, unknown> }).paths).toHaveProperty(
      `/${tenantId}/profile`,
    );
  } finally {
    expect(await stop(second.child)).toBe('code 0 signal null');
  }
  expect(javaProcessesFor(dataDir)).toEqual([]);
}, 180_000);
