import {
  Duration,
  type aws_dynamodb as dynamodb,
  aws_iam as iam,
  type aws_lambda as lambda,
  RemovalPolicy,
  Stack,
  aws_secretsmanager as secretsmanager,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { GSI_NUMBERS } from '../../shared/adapters/dynamodb/table';
import {
  ALIAS_READ_ACTIONS,
  ALIAS_WRITE_ACTIONS,
  type AliasAccess,
  TABLE_READ_ACTIONS,
  TABLE_WRITE_ACTIONS,
  type TableAccess,
} from '../permissions';
import { PROJECT_ROOT, RegistryFunction } from './registry-function';

/** One attempt takes at most 10 s; a batch of 10 runs at once. */
export const WEBHOOK_SENDER_TIMEOUT_SECONDS = 30;

export interface RegistryDataProps {
  /** The registry's table (declared in the stack, where its indexes are). */
  readonly table: dynamodb.Table;
  /** SSM prefix; aliases are published at `<prefix>/aliases/<slug>`. */
  readonly ssmPrefix: string;
  /**
   * Days between automatic rotations of the admin token (the seed's quarterly rotation).
   * @default 90
   */
  readonly rotationDays?: number;
}

/**
 * Who may touch the registry's state, and the admin token with its rotation: the table, the
 * published alias map's place in SSM, and the secret. Every grant also sets the variable that tells the code where
 * the resource is, so a function can never hold a permission without knowing what it is for,
 * nor know a resource it may not touch.
 */
export class RegistryData extends Construct {
  readonly table: dynamodb.Table;
  readonly adminToken: secretsmanager.Secret;
  readonly rotation: RegistryFunction;
  readonly ssmPrefix: string;
  /** Webhook deliveries due for an attempt (docs/webhooks.md), between the dispatcher and the sender. */
  readonly webhookQueue: sqs.Queue;
  /** Messages the sender failed on five times (the table out of reach, a bug): alarmed on. */
  readonly webhookDeadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: RegistryDataProps) {
    super(scope, id);
    this.ssmPrefix = props.ssmPrefix;

    this.table = props.table;

    // Generated at deploy: 48 letters and digits, never in the template or in a parameter.
    this.adminToken = new secretsmanager.Secret(Stack.of(this), 'AdminToken', {
      description: 'Tenant Registry admin bearer token (AWSCURRENT and AWSPREVIOUS are accepted)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.rotation = new RegistryFunction(this, 'RotateAdminToken', {
      entry: `${PROJECT_ROOT}bin/jobs/rotate-admin-token.ts`,
      description: 'Tenant Registry admin token rotation (Secrets Manager rotation steps)',
      timeout: Duration.seconds(30),
    });
    this.adminToken.addRotationSchedule('Rotation', {
      rotationLambda: this.rotation.function,
      automaticallyAfter: Duration.days(props.rotationDays ?? 90),
      // CloudFormation's RotateImmediatelyOnUpdate defaults to true: creating or changing the
      // schedule would rotate at once, and a second change soon after would retire the previous
      // token (AWSPREVIOUS) before anyone moved to the new one. Off, a changed schedule only
      // takes effect at the next rotation window (Secrets Manager then just tests the rotation
      // function); rotating now stays a deliberate `aws secretsmanager rotate-secret`.
      rotateImmediatelyOnUpdate: false,
    });

    this.webhookDeadLetters = new sqs.Queue(this, 'WebhookDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.webhookQueue = new sqs.Queue(this, 'WebhookDeliveries', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the sender's timeout (AWS's advice for Lambda event sources), so a batch still
      // being handled is not handed to another sender.
      visibilityTimeout: Duration.seconds(6 * WEBHOOK_SENDER_TIMEOUT_SECONDS),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.webhookDeadLetters, maxReceiveCount: 5 },
    });
  }

  /** Sending to the webhook delivery queue; sets TENANT_REGISTRY_WEBHOOK_QUEUE_URL. */
  grantWebhookQueue(fn: lambda.Function): void {
    fn.addEnvironment('TENANT_REGISTRY_WEBHOOK_QUEUE_URL', this.webhookQueue.queueUrl);
    this.webhookQueue.grantSendMessages(fn);
  }

  /** Table access at one level; sets TENANT_REGISTRY_TABLE_NAME. */
  grantTable(fn: lambda.Function, access: TableAccess): void {
    if (access === 'none') return;
    fn.addEnvironment('TENANT_REGISTRY_TABLE_NAME', this.table.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: [...TABLE_READ_ACTIONS], resources: [this.table.tableArn] }),
    );
    // Queries on the indexes; nothing else ever touches an index. Each index by name (the same
    // GSI_NUMBERS the table is declared with), not `index/*`: no wildcard to acknowledge.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: this.indexArns() }));
    if (access === 'write') {
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: [...TABLE_WRITE_ACTIONS], resources: [this.table.tableArn] }),
      );
    }
  }

  /** Alias parameters at one level; sets TENANT_REGISTRY_SSM_PREFIX. */
  grantAliases(fn: lambda.Function, access: AliasAccess | 'reconcile'): void {
    if (access === 'none') return;
    fn.addEnvironment('TENANT_REGISTRY_SSM_PREFIX', this.ssmPrefix);
    const each = this.aliasParameterArn('/*');
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...ALIAS_READ_ACTIONS], resources: [each] }));
    if (access === 'write' || access === 'reconcile') {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: [...ALIAS_WRITE_ACTIONS], resources: [each] }));
    }
    if (access === 'reconcile') {
      // GetParametersByPath is authorised on the path itself.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ssm:GetParametersByPath'],
          resources: [this.aliasParameterArn('')],
        }),
      );
    }
  }

  /** Reading the admin token (AWSCURRENT and AWSPREVIOUS); sets TENANT_REGISTRY_API_TOKEN_SECRET_ID. */
  grantAdminTokenRead(fn: lambda.Function): void {
    fn.addEnvironment('TENANT_REGISTRY_API_TOKEN_SECRET_ID', this.adminToken.secretArn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.adminToken.secretArn],
      }),
    );
  }

  /** The ARN of each of the table's GSIs. */
  indexArns(): string[] {
    return GSI_NUMBERS.map((n) => `${this.table.tableArn}/index/GSI${n}`);
  }

  /** `arn:...:parameter<prefix>/aliases<suffix>`. */
  aliasParameterArn(suffix: string): string {
    return Stack.of(this).formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: `${this.ssmPrefix.replace(/^\/+/, '')}/aliases${suffix}`,
    });
  }
}
