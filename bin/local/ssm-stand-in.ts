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
 * An in-process stand-in for the SSM Parameter Store operations Tenant Registry uses, so local runs
 * and tests exercise the real `@aws-sdk/client-ssm` (serialisation, error mapping, pagination)
 * against a server that speaks the AWS JSON 1.1 wire protocol, with no AWS account and no Docker.
 *
 * Supported: GetParameter, GetParameters, GetParametersByPath, PutParameter, DeleteParameter.
 * PutParameter refuses the names AWS reserves (beginning with `aws` or `ssm`) with AWS's errors.
 * SigV4 signatures are accepted unchecked; SecureString values are stored and returned as plain text.
 */

/** Options for {@link SsmStandIn.start}; `file` holds the parameters. */
export interface SsmStandInOptions extends AwsJsonServiceOptions {}

/**
 * A running SSM stand-in. Point a client at it with `endpoint: standIn.url` or `AWS_ENDPOINT_URL_SSM`.
 * `url`, `stats()`, `resetStats()` and `close()` come from {@link AwsJsonService}.
 */
export class SsmStandIn extends AwsJsonService {
  protected readonly operations = {
    GetParameter: (input: Input) => this.getParameter(input),
    GetParameters: (input: Input) => this.getParameters(input),
    GetParametersByPath: (input: Input) => this.getParametersByPath(input),
    PutParameter: (input: Input) => this.putParameter(input),
    DeleteParameter: (input: Input) => this.deleteParameter(input),
  };

  private constructor(
    server: Server,
    private readonly parameters: Map<string, StoredParameter>,
    file: string | undefined,
  ) {
    super(server, {
      targetPrefix: 'AmazonSSM.',
      internalErrorType: 'InternalServerError',
      mutating: MUTATING,
      file,
    });
  }

  /** Loads the state file (if any) and listens; resolves once the server accepts connections. */
  static async start(options: SsmStandInOptions = {}): Promise<SsmStandIn> {
    const stored = await loadState(options.file, 'parameters', isStoredParameter, 'an SSM stand-in');
    const server = await listenOnLoopback(options.port);
    return new SsmStandIn(server, new Map(stored.map((p) => [p.name, p])), options.file);
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
    refuseReserved(name);
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

  protected snapshot(): StateFile {
    return { parameters: [...this.parameters.values()] };
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

const MUTATING = new Set(['PutParameter', 'DeleteParameter']);
const PARAMETER_TYPES = new Set(['String', 'StringList', 'SecureString']);
/** A plain name, or a path of `/`-separated segments of letters, digits and `._-`. */
const NAME_PATTERN = /^(?:[A-Za-z0-9_.-]+|(?:\/[A-Za-z0-9_.-]+)+)$/;
const MAX_HIERARCHY_LEVELS = 15;

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

/**
 * Parameter Store keeps names beginning with `aws` or `ssm` (any case) for itself; writes fail
 * as on AWS. A path under one (`/aws/x`, `/awsome/x`) is AccessDeniedException naming it without
 * its leading slash; `/ssm...` paths and single names (`awsX`, `/ssmX`) are ValidationException.
 * Reads are not refused: AWS publishes public parameters under `/aws/service/...`.
 */
function refuseReserved(name: string): void {
  const bare = name.replace(/^\//, '');
  if (!/^(aws|ssm)/i.test(bare)) return;
  const path = name.startsWith('/') && bare.includes('/');
  if (path && /^aws/i.test(bare)) {
    throw new AwsError('AccessDeniedException', `No access to reserved parameter name: ${bare}.`);
  }
  throw new AwsError(
    'ValidationException',
    path
      ? 'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_'
      : 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).',
  );
}

function stringList(input: Input, field: string): string[] {
  const value = input[field];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new AwsError('ValidationException', `${field} must be a list of strings.`);
  }
  return value;
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
