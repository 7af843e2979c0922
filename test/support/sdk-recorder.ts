import { AsyncLocalStorage } from 'node:async_hooks';
import type { InitializeMiddleware, MiddlewareStack } from '@smithy/types';
import { liveMiddlewareStack } from './sdk-middleware';

/**
 * What the code sends to AWS, as IAM sees it: a middleware on the real SDK clients records
 * every command, attributes it to the function it ran in (an AsyncLocalStorage scope, so
 * concurrent requests and work a request leaves running stay apart), and translates it into
 * the IAM requests AWS authorizes for it. test/integration/least-privilege.test.ts compares
 * these with each function's role in the synthesized template.
 */

export type AwsService = 'dynamodb' | 'ssm' | 'secretsmanager' | 'events' | 'sqs';

/** One authorization AWS makes: an action on a resource, the resource as the tail of its ARN. */
export interface IamRequest {
  /** `dynamodb:GetItem`. */
  readonly action: string;
  /**
   * `table/<name>`, `table/<name>/index/<index>`, `parameter/<path>`, `secret:<id>`: the part of
   * the ARN after the account (a secret by the id the code used, which is its name or ARN).
   */
  readonly resource: string;
}

export interface RecordedCall extends IamRequest {
  /** The SDK command that caused it, e.g. `TransactWriteItemsCommand`. */
  readonly command: string;
}

type Input = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const table = (name: unknown, index?: unknown): string =>
  index === undefined ? `table/${str(name)}` : `table/${str(name)}/index/${str(index)}`;
const parameter = (name: unknown): string => `parameter/${str(name).replace(/^\/+/, '')}`;

/**
 * The IAM requests one SDK command needs, from AWS's service authorization reference:
 * - DynamoDB: each item of a TransactWriteItems is authorized as its own PutItem, UpdateItem,
 *   DeleteItem or ConditionCheckItem, each item of a TransactGetItems as GetItem ("Using IAM
 *   with DynamoDB transactions"); Query and Scan with an IndexName are authorized on the
 *   index's ARN (`table/<name>/index/<index>`), not the table's.
 * - SSM: GetParametersByPath is authorized on the requested path, not on the parameters it
 *   returns ("How Parameter Store authorizes parameter retrieval"); the others on each parameter.
 * - Secrets Manager: every action on the secret named by SecretId.
 * - EventBridge: PutEvents on the event bus of each entry (`EventBusName`, else `default`),
 *   `event-bus/<name>` ("IAM policies for Amazon EventBridge").
 * - SQS: each batch action is authorized as its single action, SendMessageBatch as SendMessage,
 *   DeleteMessageBatch as DeleteMessage ("Amazon SQS batch actions": no permission of their
 *   own), on the queue the URL names (`queue/<name>`).
 * A command this does not know throws: add it here with its reference rather than guess.
 */
export function iamRequestsOf(service: AwsService, command: string, input: Input): IamRequest[] {
  const op = command.replace(/Command$/, '');
  const unknown = () =>
    new Error(`no IAM mapping for ${service} ${command}: add one to test/support/sdk-recorder.ts`);
  if (service === 'dynamodb') {
    switch (op) {
      case 'GetItem':
      case 'PutItem':
      case 'UpdateItem':
      case 'DeleteItem':
        return [{ action: `dynamodb:${op}`, resource: table(input.TableName) }];
      case 'Query':
      case 'Scan':
        return [{ action: `dynamodb:${op}`, resource: table(input.TableName, input.IndexName) }];
      case 'BatchGetItem':
      case 'BatchWriteItem':
        return Object.keys((input.RequestItems ?? {}) as Input).map((name) => ({
          action: `dynamodb:${op}`,
          resource: table(name),
        }));
      case 'TransactWriteItems':
        return ((input.TransactItems ?? []) as Input[]).map((item) => {
          const [kind, detail] = Object.entries(item).find(([, v]) => v !== undefined) ?? [];
          const action = {
            Put: 'PutItem',
            Update: 'UpdateItem',
            Delete: 'DeleteItem',
            ConditionCheck: 'ConditionCheckItem',
          }[kind ?? ''];
          if (!action) throw new Error(`TransactWriteItems item of unknown kind ${str(kind)}`);
          return { action: `dynamodb:${action}`, resource: table((detail as Input).TableName) };
        });
      case 'TransactGetItems':
        return ((input.TransactItems ?? []) as { Get: Input }[]).map((item) => ({
          action: 'dynamodb:GetItem',
          resource: table(item.Get.TableName),
        }));
      default:
        throw unknown();
    }
  }
  if (service === 'ssm') {
    switch (op) {
      case 'GetParameter':
      case 'PutParameter':
      case 'DeleteParameter':
        return [{ action: `ssm:${op}`, resource: parameter(input.Name) }];
      case 'GetParameters':
      case 'DeleteParameters':
        return ((input.Names ?? []) as string[]).map((name) => ({
          action: `ssm:${op}`,
          resource: parameter(name),
        }));
      case 'GetParametersByPath':
        return [{ action: 'ssm:GetParametersByPath', resource: parameter(input.Path) }];
      default:
        throw unknown();
    }
  }
  if (service === 'events') {
    if (op !== 'PutEvents') throw unknown();
    // A bus may be named by its ARN: the name is what follows `event-bus/`.
    const buses = ((input.Entries ?? []) as Input[]).map((e) =>
      str(e.EventBusName ?? 'default').replace(/^arn:[^:]*:events:[^:]*:[^:]*:event-bus\//, ''),
    );
    return [...new Set(buses)].map((bus) => ({ action: 'events:PutEvents', resource: `event-bus/${bus}` }));
  }
  if (service === 'sqs') {
    const action = (
      {
        SendMessage: 'SendMessage',
        SendMessageBatch: 'SendMessage',
        ReceiveMessage: 'ReceiveMessage',
        DeleteMessage: 'DeleteMessage',
        DeleteMessageBatch: 'DeleteMessage',
        ChangeMessageVisibility: 'ChangeMessageVisibility',
        ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
        GetQueueAttributes: 'GetQueueAttributes',
      } as Record<string, string>
    )[op];
    if (!action) throw unknown();
    // https://sqs.<region>.amazonaws.com/<account>/<name>: the queue is the last segment.
    return [{ action: `sqs:${action}`, resource: `queue/${str(input.QueueUrl).split('/').pop() ?? ''}` }];
  }
  switch (op) {
    case 'GetSecretValue':
    case 'DescribeSecret':
    case 'PutSecretValue':
    case 'UpdateSecretVersionStage':
      return [{ action: `secretsmanager:${op}`, resource: `secret:${str(input.SecretId)}` }];
    default:
      throw unknown();
  }
}

interface SdkClient {
  readonly middlewareStack: MiddlewareStack<any, any>;
  readonly config: { cacheMiddleware?: boolean };
}

const MIDDLEWARE = 'least-privilege-recorder';

export class SdkRecorder {
  private readonly scope = new AsyncLocalStorage<string>();
  private readonly byFunction = new Map<string, Map<string, RecordedCall>>();
  /** Calls made outside any `within` scope (there should be none). */
  readonly unattributed: RecordedCall[] = [];

  /** Runs `work` as function `name`: every call it makes, now or later, is that function's. */
  within<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.scope.run(name, work);
  }

  /** Records what `client` sends from now on (a client keeps one recorder). */
  attach(client: SdkClient, service: AwsService): void {
    const record: InitializeMiddleware<any, any> = (next, context) => async (args) => {
      // Before sending: AWS authorizes the request whether or not it then succeeds.
      const command = context.commandName ?? 'unknown';
      for (const request of iamRequestsOf(service, command, args.input as Input)) {
        const call = { ...request, command };
        const fn = this.scope.getStore();
        if (fn === undefined) this.unattributed.push(call);
        else {
          const calls = this.byFunction.get(fn) ?? new Map<string, RecordedCall>();
          calls.set(`${call.action} ${call.resource}`, call);
          this.byFunction.set(fn, calls);
        }
      }
      return next(args);
    };
    liveMiddlewareStack(client).add(record, { step: 'initialize', name: MIDDLEWARE, override: true });
  }

  /** The distinct IAM requests seen for one function. */
  calls(fn: string): RecordedCall[] {
    return [...(this.byFunction.get(fn)?.values() ?? [])];
  }

  functions(): string[] {
    return [...this.byFunction.keys()];
  }
}
