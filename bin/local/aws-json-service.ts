import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

/**
 * The AWS JSON 1.1 wire protocol and file persistence shared by the local stand-ins
 * (`ssm-stand-in.ts`, `secrets-manager-stand-in.ts`). Here so each stand-in holds only its
 * operations, validation and state, and both answer malformed, oversized or unknown requests the
 * same way the real SDK clients expect: `{__type, message}` bodies plus `x-amzn-errortype`.
 */

/** A request body as parsed from JSON: always an object, its fields not yet validated. */
export type Input = Record<string, unknown>;

/** One operation of a stand-in: validated input in, the response body out; throws {@link AwsError}. */
export type Operation = (input: Input) => object;

/** How a stand-in is started; each stand-in exports this under its own name for its `start`. */
export interface AwsJsonServiceOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** JSON state file: loaded on start if present, rewritten atomically after each change. */
  file?: string;
}

/** What tells one service apart on the wire, passed by each stand-in to {@link AwsJsonService}. */
export interface AwsJsonServiceConfig {
  /** The `X-Amz-Target` prefix up to and including the dot, e.g. `AmazonSSM.`. */
  targetPrefix: string;
  /** `__type` for unexpected failures (status 500); the services name it differently. */
  internalErrorType: string;
  /** Operations that change state: their answer waits until the state file is rewritten. */
  mutating: ReadonlySet<string>;
  /** State file rewritten after each mutating operation; undefined keeps state in memory only. */
  file: string | undefined;
}

/**
 * An error the SDK maps to a named exception (`error.name === type`), so stand-in operations throw
 * these to produce the same exceptions callers handle against real AWS.
 */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * Base of a running local AWS JSON 1.1 service: dispatches `X-Amz-Target` to {@link operations},
 * counts calls, persists state and shuts down cleanly. Subclasses listen with {@link listenOnLoopback},
 * hand the server to this constructor and supply only {@link operations} and {@link snapshot}.
 */
export abstract class AwsJsonService {
  /** Base URL of the server, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  private readonly calls = new Map<string, number>();
  private saving: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  /** Operations by name, as they appear after the target prefix; any other name is `InvalidAction`. */
  protected abstract readonly operations: Readonly<Record<string, Operation>>;

  /**
   * The JSON document for the state file, taken when a mutation finishes and written once earlier
   * writes are done; read back by the subclass's `start` through {@link loadState}.
   */
  protected abstract snapshot(): object;

  protected constructor(
    private readonly server: Server,
    private readonly config: AwsJsonServiceConfig,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
  }

  /** Requests received per operation since start (or the last {@link resetStats}), failed ones included. */
  stats(): Record<string, number> {
    return Object.fromEntries(this.calls);
  }

  /** Zeroes the per-operation counters, e.g. between benchmark phases. */
  resetStats(): void {
    this.calls.clear();
  }

  /** Stops listening, drops open (keep-alive) connections and waits for the last state write. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      this.server.closeAllConnections();
    }).then(() => this.saving);
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let status = 200;
    let payload: object;
    try {
      const body = await readBody(req);
      const operation = this.operationName(req);
      this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
      payload = this.dispatch(operation, parseInput(body));
      if (this.config.mutating.has(operation)) await this.save();
    } catch (error) {
      const failure =
        error instanceof AwsError ? error : new AwsError(this.config.internalErrorType, String(error), 500);
      status = failure.status;
      payload = { __type: failure.type, message: failure.message };
      res.setHeader('x-amzn-errortype', failure.type);
    }
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(text);
  }

  private operationName(req: IncomingMessage): string {
    const { targetPrefix } = this.config;
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith(targetPrefix)) {
      throw new AwsError('InvalidAction', `Expected POST with X-Amz-Target: ${targetPrefix}<Operation>.`);
    }
    return target.slice(targetPrefix.length);
  }

  /** Own properties only, so a target like `toString` is an unknown action, not `Object.prototype`. */
  private dispatch(operation: string, input: Input): object {
    const run = Object.hasOwn(this.operations, operation) ? this.operations[operation] : undefined;
    if (!run) throw new AwsError('InvalidAction', `The action ${operation} is not valid for this endpoint.`);
    return run(input);
  }

  /** Serialised so writes land in mutation order; the caller answers only once its change is on disk. */
  private save(): Promise<void> {
    const { file } = this.config;
    if (file === undefined) return Promise.resolve();
    const state = this.snapshot();
    const written = this.saving.then(() => writeAtomically(file, JSON.stringify(state, null, 2)));
    this.saving = written.catch(() => undefined);
    return written;
  }
}

/**
 * Creates an HTTP server listening on 127.0.0.1 (never all interfaces: the stand-ins check no
 * signatures). Resolves once it accepts connections; the {@link AwsJsonService} constructor, run
 * right after, attaches the request handler.
 */
export async function listenOnLoopback(port = 0): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/**
 * Reads the `key` array of a stand-in state file. No file (or none configured) is an empty store;
 * an unreadable or foreign one fails start rather than silently losing data.
 *
 * @param what - names the stand-in in the error, e.g. `an SSM stand-in`.
 */
export async function loadState<T>(
  file: string | undefined,
  key: string,
  isItem: (value: unknown) => value is T,
  what: string,
): Promise<T[]> {
  if (!file) return [];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isRecord(error) && error.code === 'ENOENT') return [];
    throw error;
  }
  const state: unknown = JSON.parse(text);
  const items = isRecord(state) ? state[key] : undefined;
  if (!Array.isArray(items) || !items.every(isItem)) {
    throw new Error(`${file} is not ${what} state file.`);
  }
  return items;
}

interface FieldTypes {
  string: string;
  number: number;
  boolean: boolean;
}

/** An optional input field of a JSON type; null counts as absent, a wrong type is a ValidationException. */
export function optional<K extends keyof FieldTypes>(
  input: Input,
  field: string,
  type: K,
): FieldTypes[K] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw new AwsError('ValidationException', `${field} must be a ${type}.`);
  return value as FieldTypes[K];
}

/** Like {@link optional}, but a missing field is a ValidationException. */
export function required<K extends keyof FieldTypes>(input: Input, field: string, type: K): FieldTypes[K] {
  const value = optional(input, field, type);
  if (value === undefined) throw new AwsError('ValidationException', `${field} is required.`);
  return value;
}

/** A plain JSON object (not null, not an array); used to check parsed input and state files. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MAX_BODY_BYTES = 1024 * 1024;

function parseInput(body: string): Input {
  let input: unknown;
  try {
    input = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (!isRecord(input))
    throw new AwsError('SerializationException', 'The request body must be a JSON object.');
  return input;
}

/** Reads the whole body; past the limit it keeps draining (so the client sees the answer) but fails. */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reject(
          new AwsError(
            'RequestEntityTooLargeException',
            `Request body exceeds ${MAX_BODY_BYTES} bytes.`,
            413,
          ),
        );
      } else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** Temp file then rename, so a crash mid-write leaves the previous state intact. */
async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, text, 'utf8');
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
