import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import type {
  FinalizeRequestMiddleware,
  HandlerExecutionContext,
  InitializeMiddleware,
  MiddlewareStack,
} from '@smithy/types';
import { liveMiddlewareStack } from './sdk-middleware';

/**
 * Fault injection into the app's real SDK clients through their middleware stacks. A fault
 * aims at the Nth call of one command (`context.commandName`) on one client and leaves
 * every other call alone; the document client shares `dynamodb()`'s stack, so its commands
 * are seen under their low-level names (`TransactWriteItemsCommand`).
 *
 * Where each kind sits in the stack decides what the caller sees:
 * - `throttling`, `server-error`: in `finalizeRequest`, inside the SDK's retry loop, on every
 *   attempt of the target: nothing is sent, the SDK retries and gives up, the caller gets it.
 * - `timeout-after-commit`: in `initialize`, outside the retry loop: the request is sent and
 *   answered, then a TimeoutError reaches the caller, which believes it failed.
 * - `timeout-sdk-retry`: in `finalizeRequest`: the first attempt is sent and answered, then
 *   times out; the SDK resends the same serialized request (for DynamoDB with the same
 *   ClientRequestToken), so the caller never sees the fault.
 * - `crash`: the target goes through, then every later call on either client fails with a
 *   non-retryable error until the fault is removed: the process died right after the target.
 */
export const FAULT_KINDS = [
  'throttling',
  'server-error',
  'timeout-after-commit',
  'timeout-sdk-retry',
  'crash',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type FaultService = 'dynamodb' | 'ssm';

export interface FaultTarget {
  readonly service: FaultService;
  /** The low-level command name, e.g. `TransactWriteItemsCommand`, `PutParameterCommand`. */
  readonly command: string;
  /** 1-based: the Nth call of `command` after injection is the target. */
  readonly nth: number;
}

export interface AppClients {
  readonly dynamodb: DynamoDBClient;
  readonly ssm: SSMClient;
}

export interface InjectedFault {
  readonly target: FaultTarget;
  readonly kind: FaultKind;
  /** Calls of the target command seen so far. */
  readonly seen: number;
  /** The Nth call happened (a scenario whose target is never reached tests nothing). */
  readonly reached: boolean;
  /** Attempts of the target the fault broke (the SDK's own retries included). */
  readonly hits: number;
  /** Calls refused because the process had "crashed". */
  readonly refusedAfterCrash: number;
  /** Takes every middleware out again; the clients behave normally afterwards. */
  remove(): void;
}

type AnyStack = MiddlewareStack<any, any>;

/**
 * The SDK's own retries on `clients` without the waits between attempts: the SDK's standard
 * strategy with each client's own attempt count (DynamoDB 4, SSM 3) and retry quota, and a
 * backoff of 0 ms. The fault scenarios check what the caller sees once the SDK gives up, not
 * how long it waited: the backoff (random, up to 1, 2 and 4 s for a throttled call) was only
 * waited out, a minute and more of the fault file.
 */
export function withoutRetryWaits(clients: AppClients): void {
  for (const client of [clients.dynamodb, clients.ssm]) {
    const strategy = new ConfiguredRetryStrategy(client.config.maxAttempts, 0);
    client.config.retryStrategy = async () => strategy;
  }
}

let installed = 0;

export function injectFault(clients: AppClients, target: FaultTarget, kind: FaultKind): InjectedFault {
  const name = `test-fault-${++installed}`;
  const targeted = new WeakSet<HandlerExecutionContext>();
  const state = { seen: 0, hits: 0, crashed: false, refused: 0 };
  const stacks: Record<FaultService, AnyStack> = {
    dynamodb: liveMiddlewareStack(clients.dynamodb) as AnyStack,
    ssm: liveMiddlewareStack(clients.ssm) as AnyStack,
  };

  // One call per `send`, outside the retry loop: picks the target, and fails after it.
  const select: InitializeMiddleware<any, any> = (next, context) => async (args) => {
    if (context.commandName !== target.command) return next(args);
    state.seen += 1;
    if (state.seen !== target.nth) return next(args);
    targeted.add(context);
    const output = await next(args);
    if (kind === 'timeout-after-commit') {
      state.hits += 1;
      throw timeoutError(target.command);
    }
    if (kind === 'crash') state.crashed = true;
    return output;
  };

  // Once per attempt, inside the retry loop.
  const attempt: FinalizeRequestMiddleware<any, any> = (next, context) => async (args) => {
    if (!targeted.has(context)) return next(args);
    if (kind === 'throttling') {
      state.hits += 1;
      throw throttlingError(target.service);
    }
    if (kind === 'server-error') {
      state.hits += 1;
      throw serverError();
    }
    if (kind === 'timeout-sdk-retry' && state.hits === 0) {
      await next(args);
      state.hits += 1;
      throw timeoutError(target.command);
    }
    return next(args);
  };

  // The dead process makes no more calls, on any client.
  const dead: InitializeMiddleware<any, any> = (next) => async (args) => {
    if (!state.crashed) return next(args);
    state.refused += 1;
    throw crashError();
  };

  const own = stacks[target.service];
  own.add(select, { step: 'initialize', name: `${name}-select` });
  own.add(attempt, { step: 'finalizeRequest', name: `${name}-attempt` });
  for (const stack of Object.values(stacks)) {
    stack.add(dead, { step: 'initialize', priority: 'high', name: `${name}-dead` });
  }

  return {
    target,
    kind,
    get seen() {
      return state.seen;
    },
    get reached() {
      return state.seen >= target.nth;
    },
    get hits() {
      return state.hits;
    },
    get refusedAfterCrash() {
      return state.refused;
    },
    remove() {
      own.remove(`${name}-select`);
      own.remove(`${name}-attempt`);
      for (const stack of Object.values(stacks)) stack.remove(`${name}-dead`);
    },
  };
}

/** An error as the SDK deserializes a service's answer. */
function serviceError(
  name: string,
  message: string,
  fields: { $fault: 'client' | 'server'; httpStatusCode: number; $retryable?: { throttling: boolean } },
): Error {
  const { httpStatusCode, ...rest } = fields;
  return Object.assign(new Error(message), { name, ...rest, $metadata: { httpStatusCode } });
}

export function throttlingError(service: FaultService): Error {
  return serviceError(
    service === 'dynamodb' ? 'ProvisionedThroughputExceededException' : 'ThrottlingException',
    'Rate exceeded (injected)',
    { $fault: 'client', httpStatusCode: 400, $retryable: { throttling: true } },
  );
}

export function serverError(): Error {
  return serviceError('InternalServerError', 'Internal server error (injected)', {
    $fault: 'server',
    httpStatusCode: 500,
  });
}

/** What the SDK's HTTP handler throws when a socket times out. */
export function timeoutError(command: string): Error {
  return Object.assign(new Error(`${command}: socket timed out after the request was sent (injected)`), {
    name: 'TimeoutError',
  });
}

/** Non-retryable: the SDK gives up at once. */
export function crashError(): Error {
  return Object.assign(new Error('the process died (injected)'), {
    name: 'ProcessCrashed',
    $fault: 'client',
    $metadata: {},
  });
}
