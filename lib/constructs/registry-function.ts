import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Duration,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  RemovalPolicy,
  Stack,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { lambdaRuntimeEnvironment, nodejsFunctionBundling } from '../bundling';

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RegistryFunctionProps {
  /** Entry file, absolute. */
  readonly entry: string;
  readonly description: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** Variables besides those the grants set. @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Reserved concurrency: the function's own share of the account's concurrency, and its ceiling.
   * @default none: the function draws on the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
}

/**
 * One Lambda of the registry: the shared bundling (lib/bundling.ts), nodejs22.x on arm64, active
 * tracing, its own log group (the auth.rejected metric filter attaches to it; retained when the
 * function or its stack goes, so the evidence stays) and its own role that starts with nothing
 * but writing to that log group; grants add the rest.
 */
export class RegistryFunction extends Construct {
  readonly function: lambda.Function;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: RegistryFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // No AWSLambdaBasicExecutionRole: that managed policy may write to any log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    const common = {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: { ...lambdaRuntimeEnvironment, ...props.environment },
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
    } satisfies lambda.FunctionOptions & Pick<lambda.FunctionProps, 'runtime'>;
    if (!Stack.of(this).bundlingRequired && !existsSync(props.entry)) {
      // Synthesis without bundling (tests: context `aws:cdk:bundling-stacks: []`) of an operation
      // whose folder another change has not added yet: the template is the same but for the code.
      // With bundling a missing entry still fails, as it must.
      this.function = new lambda.Function(this, 'Function', {
        ...common,
        handler: 'index.handler',
        code: lambda.Code.fromInline(`// not bundled: ${props.entry}`),
      });
      return;
    }
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      ...common,
      entry: props.entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      bundling: nodejsFunctionBundling(),
    });
  }
}
