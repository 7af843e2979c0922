import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

/**
 * An in-process stand-in for the SSM Parameter Store operations Tenant Registry uses, so local runs
 * and tests exercise the real `@aws-sdk/client-ssm` (serialisation, error mapping, pagination)
 * against a server that speaks the AWS JSON 1.1 wire protocol, with no AWS account and no Docker.
 *
 * Supported: GetParameter, GetParameters, GetParametersByPath, PutParameter, DeleteParameter.
 * SigV4 signatures are accepted unchecked; SecureString values are stored and returned as plain text.
 */

/** Options for {@link SsmStandIn.start}. */
export interface SsmStandInOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** JSON file holding the parameters: loaded on start if present, rewritten atomically after each change. */
  file?: string;
}

/** A running SSM stand-in. Point a client at it with `endpoint: standIn.url` or `AWS_ENDPOINT_URL_SSM`. */
export class SsmStandIn {
  /** Base URL of the server, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  private readonly calls = new Map<string, number>();
  private saving: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly parameters: Map<string, StoredParameter>,
    private readonly file: string | undefined,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Loads the state file (if any) and listens; resolves once the server accepts connections. */
  static async start(options: SsmStandInOptions = {}): Promise<SsmStandIn> {
    const parameters = options.file ? await loadState(options.file) : new Map<string, StoredParameter>();
    let standIn: SsmStandIn | undefined;
    const server = createServer((req, res) => {
      if (standIn) void standIn.handle(req, res);
      else res.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    standIn = new SsmStandIn(server, parameters, options.file);
    return standIn;
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
      const operation = operationName(req);
      this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
      payload = this.dispatch(operation, parseInput(body));
      if (MUTATING.has(operation)) await this.save();
    } catch (error) {
      const failure =
        error instanceof AwsError ? error : new AwsError('InternalServerError', String(error), 500);
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

  private dispatch(operation: string, input: Input): object {
    switch (operation) {
      case 'GetParameter':
        return this.getParameter(input);
      case 'GetParameters':
        return this.getParameters(input);
      case 'GetParametersByPath':
        return this.getParametersByPath(input);
      case 'PutParameter':
        return this.putParameter(input);
      case 'DeleteParameter':
        return this.deleteParameter(input);
      default:
        throw new AwsError('InvalidAction', `The action ${operation} is not valid for this endpoint.`);
    }
  }

  private getParameter(input: Input): object {
    const name = parameterName(input, 'Name');
    return { Parameter: present(this.find(name)) };
  }

  private getParameters(input: Input): object {
    const names = stringList(input, 'Names');
    if (names.length < 1 || names.length > 10) {
      throw new AwsError('ValidationException', 'Names must hold between 1 and 10 parameter names.');
    }
    const found = names.map((name) => this.parameters.get(name)).filter((p) => p !== undefined);
    return {
      Parameters: found.map(present),
      InvalidParameters: names.filter((name) => !this.parameters.has(name)),
    };
  }

  /** Pages are keyed by the last name returned, so deletes between pages never skip or repeat a name. */
  private getParametersByPath(input: Input): object {
    const path = required(input, 'Path', 'string');
    if (!path.startsWith('/') || (path !== '/' && !NAME_PATTERN.test(path.replace(/\/$/, '')))) {
      throw new AwsError('ValidationException', `The parameter path ${path} is not valid.`);
    }
    const recursive = optional(input, 'Recursive', 'boolean') ?? false;
    const maxResults = optional(input, 'MaxResults', 'number') ?? 10;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 10) {
      throw new AwsError('ValidationException', 'MaxResults must be an integer from 1 to 10.');
    }
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const token = optional(input, 'NextToken', 'string');
    const after = token === undefined ? undefined : Buffer.from(token, 'base64url').toString('utf8');
    if (after !== undefined && !after.startsWith(prefix)) {
      throw new AwsError('InvalidNextToken', 'The specified token is not valid.');
    }
    const matching = [...this.parameters.keys()]
      .filter((name) => name.startsWith(prefix) && (recursive || !name.slice(prefix.length).includes('/')))
      .filter((name) => after === undefined || name > after)
      .sort();
    const page = matching.slice(0, maxResults);
    const last = page.at(-1);
    return {
      Parameters: page.flatMap((name) => {
        const parameter = this.parameters.get(name);
        return parameter ? [present(parameter)] : [];
      }),
      ...(matching.length > page.length && last !== undefined
        ? { NextToken: Buffer.from(last, 'utf8').toString('base64url') }
        : {}),
    };
  }

  private putParameter(input: Input): object {
    const name = parameterName(input, 'Name');
    const value = required(input, 'Value', 'string');
    if (value.length === 0) throw new AwsError('ValidationException', 'Value must not be empty.');
    const type = optional(input, 'Type', 'string');
    if (type !== undefined && !PARAMETER_TYPES.has(type)) {
      throw new AwsError(
        'ValidationException',
        `Type ${type} is not one of String, StringList, SecureString.`,
      );
    }
    const existing = this.parameters.get(name);
    if (existing && optional(input, 'Overwrite', 'boolean') !== true) {
      throw new AwsError(
        'ParameterAlreadyExists',
        'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
      );
    }
    const version = (existing?.version ?? 0) + 1;
    this.parameters.set(name, {
      name,
      type: type ?? existing?.type ?? 'String',
      value,
      version,
      lastModified: Date.now(),
    });
    return { Version: version, Tier: 'Standard' };
  }

  private deleteParameter(input: Input): object {
    this.parameters.delete(this.find(parameterName(input, 'Name')).name);
    return {};
  }

  private find(name: string): StoredParameter {
    const parameter = this.parameters.get(name);
    if (!parameter) throw new AwsError('ParameterNotFound', `Parameter ${name} not found.`);
    return parameter;
  }

  /** Serialised so writes land in mutation order; the caller answers only once its change is on disk. */
  private save(): Promise<void> {
    const { file } = this;
    if (file === undefined) return Promise.resolve();
    const state: StateFile = { parameters: [...this.parameters.values()] };
    const written = this.saving.then(() => writeAtomically(file, JSON.stringify(state, null, 2)));
    this.saving = written.catch(() => undefined);
    return written;
  }
}

interface StoredParameter {
  name: string;
  type: string;
  value: string;
  version: number;
  /** Epoch milliseconds. */
  lastModified: number;
}

interface StateFile {
  parameters: StoredParameter[];
}

type Input = Record<string, unknown>;

const MAX_BODY_BYTES = 1024 * 1024;
const TARGET_PREFIX = 'AmazonSSM.';
const MUTATING = new Set(['PutParameter', 'DeleteParameter']);
const PARAMETER_TYPES = new Set(['String', 'StringList', 'SecureString']);
/** A plain name, or a path of `/`-separated segments of letters, digits and `._-`. */
const NAME_PATTERN = /^(?:[A-Za-z0-9_.-]+|(?:\/[A-Za-z0-9_.-]+)+)$/;
const MAX_HIERARCHY_LEVELS = 15;

/** An error the SDK maps to a named exception (`error.name === type`). */
class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function present(parameter: StoredParameter): object {
  const { name } = parameter;
  return {
    Name: name,
    Type: parameter.type,
    Value: parameter.value,
    Version: parameter.version,
    LastModifiedDate: parameter.lastModified / 1000,
    ARN: `arn:aws:ssm:local:000000000000:parameter${name.startsWith('/') ? '' : '/'}${name}`,
    DataType: 'text',
  };
}

function parameterName(input: Input, field: string): string {
  const name = required(input, field, 'string');
  if (name.length > 2048 || !NAME_PATTERN.test(name)) {
    throw new AwsError(
      'ValidationException',
      `Parameter name ${name} is not valid: use letters, digits and ._- in segments, and a leading / for a path.`,
    );
  }
  if (name.split('/').length - 1 > MAX_HIERARCHY_LEVELS) {
    throw new AwsError(
      'HierarchyLevelLimitExceededException',
      `Parameter name ${name} has more than ${MAX_HIERARCHY_LEVELS} levels.`,
    );
  }
  return name;
}

interface FieldTypes {
  string: string;
  number: number;
  boolean: boolean;
}

function optional<K extends keyof FieldTypes>(
  input: Input,
  field: string,
  type: K,
): FieldTypes[K] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw new AwsError('ValidationException', `${field} must be a ${type}.`);
  return value as FieldTypes[K];
}

function required<K extends keyof FieldTypes>(input: Input, field: string, type: K): FieldTypes[K] {
  const value = optional(input, field, type);
  if (value === undefined) throw new AwsError('ValidationException', `${field} is required.`);
  return value;
}

function stringList(input: Input, field: string): string[] {
  const value = input[field];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new AwsError('ValidationException', `${field} must be a list of strings.`);
  }
  return value;
}

function operationName(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) {
    throw new AwsError('InvalidAction', `Expected POST with X-Amz-Target: ${TARGET_PREFIX}<Operation>.`);
  }
  return target.slice(TARGET_PREFIX.length);
}

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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStoredParameter(value: unknown): value is StoredParameter {
  return (
    isRecord(value) &&
    typeof value.name === 'string' &&
    typeof value.type === 'string' &&
    typeof value.value === 'string' &&
    typeof value.version === 'number' &&
    typeof value.lastModified === 'number'
  );
}

/** A missing file is an empty store; an unreadable one fails start rather than silently losing data. */
async function loadState(file: string): Promise<Map<string, StoredParameter>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isRecord(error) && error.code === 'ENOENT') return new Map();
    throw error;
  }
  const state: unknown = JSON.parse(text);
  const parameters = isRecord(state) ? state.parameters : undefined;
  if (!Array.isArray(parameters) || !parameters.every(isStoredParameter)) {
    throw new Error(`${file} is not an SSM stand-in state file.`);
  }
  return new Map(parameters.map((p) => [p.name, p]));
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
