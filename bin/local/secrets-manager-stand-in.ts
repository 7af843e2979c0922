import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

/**
 * An in-process stand-in for the Secrets Manager operations Tenant Registry uses (the admin token and
 * its rotation), so local runs and tests exercise the real `@aws-sdk/client-secrets-manager` against a
 * server that speaks the AWS JSON 1.1 wire protocol, with no AWS account and no Docker.
 *
 * Supported: CreateSecret, GetSecretValue, PutSecretValue, DescribeSecret, UpdateSecretVersionStage,
 * ListSecretVersionIds. Staging labels follow AWS: moving AWSCURRENT turns the old current version into
 * AWSPREVIOUS, a version left without labels is deprecated. SigV4 signatures are accepted unchecked.
 */

/** Options for {@link SecretsManagerStandIn.start}. */
export interface SecretsManagerStandInOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** JSON file holding the secrets: loaded on start if present, rewritten atomically after each change. */
  file?: string;
}

/**
 * A running Secrets Manager stand-in. Point a client at it with `endpoint: standIn.url` or
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 */
export class SecretsManagerStandIn {
  /** Base URL of the server, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  private readonly calls = new Map<string, number>();
  private saving: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly secrets: Map<string, StoredSecret>,
    private readonly file: string | undefined,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Loads the state file (if any) and listens; resolves once the server accepts connections. */
  static async start(options: SecretsManagerStandInOptions = {}): Promise<SecretsManagerStandIn> {
    const secrets = options.file ? await loadState(options.file) : new Map<string, StoredSecret>();
    let standIn: SecretsManagerStandIn | undefined;
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
    standIn = new SecretsManagerStandIn(server, secrets, options.file);
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
        error instanceof AwsError ? error : new AwsError('InternalServiceError', String(error), 500);
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
      case 'CreateSecret':
        return this.createSecret(input);
      case 'GetSecretValue':
        return this.getSecretValue(input);
      case 'PutSecretValue':
        return this.putSecretValue(input);
      case 'DescribeSecret':
        return this.describeSecret(input);
      case 'UpdateSecretVersionStage':
        return this.updateSecretVersionStage(input);
      case 'ListSecretVersionIds':
        return this.listSecretVersionIds(input);
      default:
        throw new AwsError('InvalidAction', `The action ${operation} is not valid for this endpoint.`);
    }
  }

  /** A retry with the same ClientRequestToken and value succeeds again, as on AWS. */
  private createSecret(input: Input): object {
    const name = required(input, 'Name', 'string');
    if (!SECRET_NAME_PATTERN.test(name)) {
      throw new AwsError('ValidationException', `Secret name ${name} must be 1-512 of A-Za-z0-9/_+=.@-`);
    }
    const value = secretValue(input, false);
    const token = requestToken(input);
    const existing = this.secrets.get(name);
    if (existing) {
      const replayed = value && existing.versions.find((v) => v.id === token && sameValue(v, value));
      if (!replayed) {
        throw new AwsError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      return { ARN: arn(name), Name: name, VersionId: replayed.id };
    }
    const now = Date.now();
    const secret: StoredSecret = { name, created: now, lastChanged: now, versions: [] };
    const description = optional(input, 'Description', 'string');
    if (description !== undefined) secret.description = description;
    if (value) secret.versions.push({ id: token, ...value, created: now, stages: [CURRENT] });
    this.secrets.set(name, secret);
    return { ARN: arn(name), Name: name, ...(value ? { VersionId: token } : {}) };
  }

  private getSecretValue(input: Input): object {
    const secret = this.find(input);
    const versionId = optional(input, 'VersionId', 'string');
    const stage = optional(input, 'VersionStage', 'string');
    const version = versionId
      ? secret.versions.find((v) => v.id === versionId && (stage === undefined || v.stages.includes(stage)))
      : holderOf(secret, stage ?? CURRENT);
    if (!version) {
      const wanted = versionId
        ? `VersionId: ${versionId}${stage ? ` and staging label: ${stage}` : ''}`
        : `staging label: ${stage ?? CURRENT}`;
      throw new AwsError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for ${wanted}`,
      );
    }
    return {
      ARN: arn(secret.name),
      Name: secret.name,
      VersionId: version.id,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
      ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
      VersionStages: [...version.stages],
      CreatedDate: version.created / 1000,
    };
  }

  /** Adds a version; by default it becomes AWSCURRENT and the old current one AWSPREVIOUS. */
  private putSecretValue(input: Input): object {
    const secret = this.find(input);
    const value = secretValue(input, true);
    const token = requestToken(input);
    const stages = optionalStringList(input, 'VersionStages') ?? [CURRENT];
    const existing = secret.versions.find((v) => v.id === token);
    if (existing) {
      if (!value || !sameValue(existing, value)) {
        throw new AwsError(
          'ResourceExistsException',
          `You can't modify an existing version, you can only create a new version (${token}).`,
        );
      }
      return {
        ARN: arn(secret.name),
        Name: secret.name,
        VersionId: token,
        VersionStages: [...existing.stages],
      };
    }
    const version: StoredVersion = { id: token, ...value, created: Date.now(), stages: [] };
    secret.versions.push(version);
    for (const stage of new Set(stages)) attach(secret, stage, version);
    pruneDeprecated(secret);
    secret.lastChanged = Date.now();
    return { ARN: arn(secret.name), Name: secret.name, VersionId: token, VersionStages: [...version.stages] };
  }

  private describeSecret(input: Input): object {
    const secret = this.find(input);
    return {
      ARN: arn(secret.name),
      Name: secret.name,
      ...(secret.description !== undefined ? { Description: secret.description } : {}),
      RotationEnabled: false,
      VersionIdsToStages: Object.fromEntries(
        secret.versions.filter((v) => v.stages.length > 0).map((v) => [v.id, [...v.stages]]),
      ),
      CreatedDate: secret.created / 1000,
      LastChangedDate: secret.lastChanged / 1000,
    };
  }

  /**
   * Moves or removes one staging label. As on AWS, taking a label from the version holding it must
   * name that version in RemoveFromVersionId, and AWSCURRENT can be moved but not just removed.
   */
  private updateSecretVersionStage(input: Input): object {
    const secret = this.find(input);
    const stage = required(input, 'VersionStage', 'string');
    const moveTo = optionalVersion(secret, input, 'MoveToVersionId');
    const removeFrom = optionalVersion(secret, input, 'RemoveFromVersionId');
    const holder = holderOf(secret, stage);
    if (!moveTo && !removeFrom) {
      throw new AwsError(
        'InvalidParameterException',
        'Specify MoveToVersionId, RemoveFromVersionId or both.',
      );
    }
    if (removeFrom && removeFrom !== holder) {
      throw new AwsError(
        'InvalidParameterException',
        `The staging label ${stage} isn't attached to version ${removeFrom.id}, so you can't remove it.`,
      );
    }
    if (moveTo && holder && holder !== moveTo && !removeFrom) {
      throw new AwsError(
        'InvalidParameterException',
        `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`,
      );
    }
    if (!moveTo && stage === CURRENT) {
      throw new AwsError(
        'InvalidParameterException',
        `You can only move staging label ${CURRENT} to a different secret version. It can't be completely removed.`,
      );
    }
    if (moveTo) attach(secret, stage, moveTo);
    else if (removeFrom) removeFrom.stages = removeFrom.stages.filter((s) => s !== stage);
    pruneDeprecated(secret);
    secret.lastChanged = Date.now();
    return { ARN: arn(secret.name), Name: secret.name };
  }

  private listSecretVersionIds(input: Input): object {
    const secret = this.find(input);
    const includeDeprecated = optional(input, 'IncludeDeprecated', 'boolean') ?? false;
    const maxResults = optional(input, 'MaxResults', 'number') ?? 100;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 100) {
      throw new AwsError('ValidationException', 'MaxResults must be an integer from 1 to 100.');
    }
    const token = optional(input, 'NextToken', 'string');
    const start = token === undefined ? 0 : Number(token);
    if (!Number.isInteger(start) || start < 0) {
      throw new AwsError('InvalidNextTokenException', 'The specified token is not valid.');
    }
    const versions = secret.versions.filter((v) => includeDeprecated || v.stages.length > 0);
    const page = versions.slice(start, start + maxResults);
    return {
      ARN: arn(secret.name),
      Name: secret.name,
      Versions: page.map((v) => ({
        VersionId: v.id,
        VersionStages: [...v.stages],
        CreatedDate: v.created / 1000,
      })),
      ...(start + maxResults < versions.length ? { NextToken: String(start + maxResults) } : {}),
    };
  }

  /** SecretId is a name or the full ARN this stand-in hands out. */
  private find(input: Input): StoredSecret {
    const id = required(input, 'SecretId', 'string');
    const name = id.startsWith(ARN_PREFIX) ? id.slice(ARN_PREFIX.length).replace(/-abcdef$/, '') : id;
    const secret = this.secrets.get(name);
    if (!secret)
      throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  /** Serialised so writes land in mutation order; the caller answers only once its change is on disk. */
  private save(): Promise<void> {
    const { file } = this;
    if (file === undefined) return Promise.resolve();
    const state: StateFile = { secrets: [...this.secrets.values()] };
    const written = this.saving.then(() => writeAtomically(file, JSON.stringify(state, null, 2)));
    this.saving = written.catch(() => undefined);
    return written;
  }
}

interface SecretValue {
  secretString?: string;
  /** Base64, exactly as it travels on the wire. */
  secretBinary?: string;
}

interface StoredVersion extends SecretValue {
  id: string;
  /** Epoch milliseconds. */
  created: number;
  stages: string[];
}

interface StoredSecret {
  name: string;
  description?: string;
  /** Epoch milliseconds. */
  created: number;
  lastChanged: number;
  versions: StoredVersion[];
}

interface StateFile {
  secrets: StoredSecret[];
}

type Input = Record<string, unknown>;

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_SECRET_BYTES = 65536;
/** AWS drops deprecated (unlabelled) versions once a secret holds more than this many. */
const MAX_VERSIONS = 100;
const TARGET_PREFIX = 'secretsmanager.';
const MUTATING = new Set(['CreateSecret', 'PutSecretValue', 'UpdateSecretVersionStage']);
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const ARN_PREFIX = 'arn:aws:secretsmanager:local:000000000000:secret:';
const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

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

function arn(name: string): string {
  return `${ARN_PREFIX}${name}-abcdef`;
}

function holderOf(secret: StoredSecret, stage: string): StoredVersion | undefined {
  return secret.versions.find((v) => v.stages.includes(stage));
}

/** Puts `stage` on `version` alone; when AWSCURRENT moves, the version losing it becomes AWSPREVIOUS. */
function attach(secret: StoredSecret, stage: string, version: StoredVersion): void {
  const holder = holderOf(secret, stage);
  if (holder === version) return;
  if (holder) holder.stages = holder.stages.filter((s) => s !== stage);
  version.stages.push(stage);
  if (stage === CURRENT && holder) attach(secret, PREVIOUS, holder);
}

function pruneDeprecated(secret: StoredSecret): void {
  while (secret.versions.length > MAX_VERSIONS) {
    const oldest = secret.versions.findIndex((v) => v.stages.length === 0);
    if (oldest < 0) return;
    secret.versions.splice(oldest, 1);
  }
}

function sameValue(version: StoredVersion, value: SecretValue): boolean {
  return version.secretString === value.secretString && version.secretBinary === value.secretBinary;
}

/** Exactly one of SecretString and SecretBinary; CreateSecret may have neither (a secret with no version). */
function secretValue(input: Input, mandatory: boolean): SecretValue | undefined {
  const secretString = optional(input, 'SecretString', 'string');
  const secretBinary = optional(input, 'SecretBinary', 'string');
  if (secretString !== undefined && secretBinary !== undefined) {
    throw new AwsError(
      'InvalidParameterException',
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (secretString !== undefined) {
    if (Buffer.byteLength(secretString) > MAX_SECRET_BYTES) {
      throw new AwsError('ValidationException', `SecretString must be at most ${MAX_SECRET_BYTES} bytes.`);
    }
    return { secretString };
  }
  if (secretBinary !== undefined) {
    if (Buffer.from(secretBinary, 'base64').length > MAX_SECRET_BYTES) {
      throw new AwsError('ValidationException', `SecretBinary must be at most ${MAX_SECRET_BYTES} bytes.`);
    }
    return { secretBinary };
  }
  if (mandatory) {
    throw new AwsError('InvalidRequestException', 'You must provide either SecretString or SecretBinary.');
  }
  return undefined;
}

/** The SDK fills ClientRequestToken in itself; it becomes the version id. */
function requestToken(input: Input): string {
  const token = optional(input, 'ClientRequestToken', 'string') ?? randomUUID();
  if (token.length < 32 || token.length > 64) {
    throw new AwsError('ValidationException', 'ClientRequestToken must be 32 to 64 characters long.');
  }
  return token;
}

function optionalVersion(secret: StoredSecret, input: Input, field: string): StoredVersion | undefined {
  const id = optional(input, field, 'string');
  if (id === undefined) return undefined;
  const version = secret.versions.find((v) => v.id === id);
  if (!version) {
    throw new AwsError(
      'ResourceNotFoundException',
      `Secrets Manager can't find the specified secret version: ${id}`,
    );
  }
  return version;
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

function optionalStringList(input: Input, field: string): string[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string')) {
    throw new AwsError('ValidationException', `${field} must be a non-empty list of strings.`);
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

function isStoredVersion(value: unknown): value is StoredVersion {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    (typeof value.secretString === 'string' || typeof value.secretBinary === 'string') &&
    typeof value.created === 'number' &&
    Array.isArray(value.stages) &&
    value.stages.every((s) => typeof s === 'string')
  );
}

function isStoredSecret(value: unknown): value is StoredSecret {
  return (
    isRecord(value) &&
    typeof value.name === 'string' &&
    (value.description === undefined || typeof value.description === 'string') &&
    typeof value.created === 'number' &&
    typeof value.lastChanged === 'number' &&
    Array.isArray(value.versions) &&
    value.versions.every(isStoredVersion)
  );
}

/** A missing file is an empty store; an unreadable one fails start rather than silently losing data. */
async function loadState(file: string): Promise<Map<string, StoredSecret>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (isRecord(error) && error.code === 'ENOENT') return new Map();
    throw error;
  }
  const state: unknown = JSON.parse(text);
  const secrets = isRecord(state) ? state.secrets : undefined;
  if (!Array.isArray(secrets) || !secrets.every(isStoredSecret)) {
    throw new Error(`${file} is not a Secrets Manager stand-in state file.`);
  }
  return new Map(secrets.map((s) => [s.name, s]));
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
