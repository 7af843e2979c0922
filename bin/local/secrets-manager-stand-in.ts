import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import {
  AwsError,
  AwsJsonService,
  type AwsJsonServiceOptions,
  type Input,
  isRecord,
  listenOnLoopback,
  loadState,
  optional,
  required,
} from './aws-json-service';

/**
 * An in-process stand-in for the Secrets Manager operations Tenant Registry uses (the admin token and
 * its rotation), so local runs and tests exercise the real `@aws-sdk/client-secrets-manager` against a
 * server that speaks the AWS JSON 1.1 wire protocol, with no AWS account and no Docker.
 *
 * Supported: CreateSecret, GetSecretValue, PutSecretValue, DescribeSecret, UpdateSecretVersionStage,
 * ListSecretVersionIds. Staging labels follow AWS: moving AWSCURRENT turns the old current version into
 * AWSPREVIOUS, a version left without labels is deprecated. SigV4 signatures are accepted unchecked.
 */

/** Options for {@link SecretsManagerStandIn.start}; `file` holds the secrets. */
export interface SecretsManagerStandInOptions extends AwsJsonServiceOptions {}

/**
 * A running Secrets Manager stand-in. Point a client at it with `endpoint: standIn.url` or
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`. `url`, `stats()`, `resetStats()` and `close()` come from
 * {@link AwsJsonService}.
 */
export class SecretsManagerStandIn extends AwsJsonService {
  protected readonly operations = {
    CreateSecret: (input: Input) => this.createSecret(input),
    GetSecretValue: (input: Input) => this.getSecretValue(input),
    PutSecretValue: (input: Input) => this.putSecretValue(input),
    DescribeSecret: (input: Input) => this.describeSecret(input),
    UpdateSecretVersionStage: (input: Input) => this.updateSecretVersionStage(input),
    ListSecretVersionIds: (input: Input) => this.listSecretVersionIds(input),
  };

  private constructor(
    server: Server,
    private readonly secrets: Map<string, StoredSecret>,
    file: string | undefined,
  ) {
    super(server, {
      targetPrefix: 'secretsmanager.',
      internalErrorType: 'InternalServiceError',
      mutating: MUTATING,
      file,
    });
  }

  /** Loads the state file (if any) and listens; resolves once the server accepts connections. */
  static async start(options: SecretsManagerStandInOptions = {}): Promise<SecretsManagerStandIn> {
    const stored = await loadState(options.file, 'secrets', isStoredSecret, 'a Secrets Manager stand-in');
    const server = await listenOnLoopback(options.port);
    return new SecretsManagerStandIn(server, new Map(stored.map((s) => [s.name, s])), options.file);
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

  protected snapshot(): StateFile {
    return { secrets: [...this.secrets.values()] };
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

const MAX_SECRET_BYTES = 65536;
/** AWS drops deprecated (unlabelled) versions once a secret holds more than this many. */
const MAX_VERSIONS = 100;
const MUTATING = new Set(['CreateSecret', 'PutSecretValue', 'UpdateSecretVersionStage']);
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const ARN_PREFIX = 'arn:aws:secretsmanager:local:000000000000:secret:';
const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

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

function optionalStringList(input: Input, field: string): string[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string')) {
    throw new AwsError('ValidationException', `${field} must be a non-empty list of strings.`);
  }
  return value;
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
