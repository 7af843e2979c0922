import { fileURLToPath } from 'node:url';
import {
  Duration,
  aws_dynamodb as dynamodb,
  aws_lambda as lambda,
  aws_lambda_nodejs as nodejs,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TTL_ATTRIBUTE } from '../shared/adapters/dynamodb/table';
import { kebab } from '../shared/contract/planes';
import { operations } from '../shared/contract/spec';
import { lambdaRuntimeEnvironment, nodejsFunctionBundling } from './bundling';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `functions/<kebab(operationId)>/handler.ts`: the one entry point of an operation. */
export function entryOf(operationId: string): string {
  return fileURLToPath(new URL(`../functions/${kebab(operationId)}/handler.ts`, import.meta.url));
}

export interface TenantRegistryStackProps extends StackProps {
  /**
   * Deployment stage; part of the SSM prefix.
   * @default 'dev'
   */
  readonly stage?: string;
  /**
   * SSM prefix under which aliases are published (`<prefix>/aliases/<slug>`).
   * @default `/tenant-registry/${stage}`
   */
  readonly ssmPrefix?: string;
  /**
   * Memory of every function, in MiB.
   * @default 512
   */
  readonly memorySize?: number;
}

/**
 * The registry's table and one function per openapi.yaml operation. The API in front of them,
 * the allowlist, the admin-token secret and the alarms come later; until then the functions
 * are not reachable and only hold table permissions.
 */
export class TenantRegistryStack extends Stack {
  readonly table: dynamodb.Table;
  /** By operationId. */
  readonly functions: Readonly<Record<string, nodejs.NodejsFunction>>;

  constructor(scope: Construct, id: string, props: TenantRegistryStackProps = {}) {
    super(scope, id, props);
    const stage = props.stage ?? 'dev';
    const ssmPrefix = props.ssmPrefix ?? `/tenant-registry/${stage}`;

    // The construct id `Table` must never change: a new logical id is a new, empty table.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'SK', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: TTL_ATTRIBUTE,
    });
    for (const n of [1, 2]) {
      this.table.addGlobalSecondaryIndex({
        indexName: `GSI${n}`,
        partitionKey: { name: `GSI${n}PK`, type: dynamodb.AttributeType.STRING },
        sortKey: { name: `GSI${n}SK`, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    const functions: Record<string, nodejs.NodejsFunction> = {};
    for (const op of operations()) {
      const fn = new nodejs.NodejsFunction(this, `${pascal(op.operationId)}Function`, {
        entry: entryOf(op.operationId),
        handler: 'handler',
        projectRoot: PROJECT_ROOT,
        depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: props.memorySize ?? 512,
        timeout: Duration.seconds(10),
        bundling: nodejsFunctionBundling(),
        description: `Tenant Registry ${op.method} ${op.path} (${op.operationId})`,
        environment: {
          ...lambdaRuntimeEnvironment,
          TENANT_REGISTRY_TABLE_NAME: this.table.tableName,
          TENANT_REGISTRY_SSM_PREFIX: ssmPrefix,
        },
      });
      // Table access only; SSM and the admin-token secret come with the full stack.
      // The liveness probe touches nothing.
      if (op.operationId !== 'getHealthz') {
        if (op.method === 'GET') this.table.grantReadData(fn);
        else this.table.grantReadWriteData(fn);
      }
      functions[op.operationId] = fn;
    }
    this.functions = functions;
  }
}

function pascal(operationId: string): string {
  return operationId.charAt(0).toUpperCase() + operationId.slice(1);
}
