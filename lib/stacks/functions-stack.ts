import {
  Arn,
  ArnFormat,
  Duration,
  aws_lambda_event_sources as eventSources,
  aws_events as events,
  aws_events_targets as eventTargets,
  aws_iam as iam,
  type aws_logs as logs,
  Stack,
  type StackProps,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Operation } from '../../shared/contract/spec';
import { EndpointFunctions } from '../constructs/endpoint-functions';
import { jobFunction } from '../constructs/job-function';
import { type RegistryData, WEBHOOK_SENDER_TIMEOUT_SECONDS } from '../constructs/registry-data';
import { PROJECT_ROOT, type RegistryFunction } from '../constructs/registry-function';

export interface KeycloakProps {
  /** Base URL users and the registry reach Keycloak at, e.g. https://id.example.com. */
  readonly url: string;
  readonly realm: string;
  /** A confidential client allowed to manage organizations. */
  readonly clientId: string;
  /** The complete ARN of the Secrets Manager secret whose SecretString is the client's secret. */
  readonly clientSecretArn: string;
  /**
   * The customer managed KMS key that encrypts that secret: createTenant may then use it to
   * decrypt (kms:Decrypt), only through Secrets Manager. @default the AWS managed key (no grant needed)
   */
  readonly clientSecretKmsKeyArn?: string;
}

export interface FunctionsStackProps extends StackProps {
  /** The operations whose functions this stack holds. */
  readonly operations: readonly Operation[];
  /** Where the functions' state lives (the data stack's). */
  readonly data: RegistryData;
  readonly stage: string;
  readonly apiEnabled: boolean;
  /** Variables of the tenant-plane functions (tenant selection). @default none */
  readonly tenantEnvironment?: Readonly<Record<string, string>>;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** Reserved concurrency per operation. @default none */
  readonly reservedConcurrency?: (op: Operation) => number | undefined;
  /** Keycloak provisioning, for createTenant when this stack holds it. @default none */
  readonly keycloak?: KeycloakProps;
  /** Also holds the alias reconciler, run on this schedule. @default no reconciler */
  readonly reconcileEvery?: Duration;
  /** Also holds the scheduled audit verifier, run on this schedule. @default no verifier */
  readonly verifyAuditEvery?: Duration;
  /**
   * Days audit events are kept where a tenant sets none (TENANT_REGISTRY_AUDIT_RETENTION_DAYS of
   * the verifier, which expires them). @default forever
   */
  readonly auditRetentionDays?: number;
  /** Also holds the webhook sender, consuming the data stack's delivery queue. @default no sender */
  readonly webhookSender?: boolean;
}

/**
 * The functions of some planes (one stack per group of planes, so that each stack keeps room to
 * grow under CloudFormation's resource limit), each with its grants on the data stack's table,
 * parameters and secret, its retained log group and its auth.rejected metric filter.
 */
export class FunctionsStack extends Stack {
  readonly endpoints: EndpointFunctions;
  readonly reconciler?: RegistryFunction;
  readonly reconcileRule?: events.Rule;
  readonly auditVerifier?: RegistryFunction;
  readonly auditVerifyRule?: events.Rule;
  readonly webhookSender?: RegistryFunction;

  constructor(scope: Construct, id: string, props: FunctionsStackProps) {
    super(scope, id, props);
    this.endpoints = new EndpointFunctions(this, 'Functions', {
      operations: props.operations,
      data: props.data,
      stage: props.stage,
      apiEnabled: props.apiEnabled,
      ...(props.tenantEnvironment ? { tenantEnvironment: props.tenantEnvironment } : {}),
      ...(props.reservedConcurrency ? { reservedConcurrency: props.reservedConcurrency } : {}),
      ...(props.memorySize === undefined ? {} : { memorySize: props.memorySize }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
    });

    const create = this.endpoints.byOperation.get('createTenant')?.function;
    if (props.keycloak && create) {
      const { url, realm, clientId, clientSecretArn, clientSecretKmsKeyArn } = props.keycloak;
      const secret = secretsmanager.Secret.fromSecretCompleteArn(
        this,
        'KeycloakClientSecret',
        clientSecretArn,
      );
      create.addEnvironment('TENANT_REGISTRY_KEYCLOAK_URL', url);
      create.addEnvironment('TENANT_REGISTRY_KEYCLOAK_REALM', realm);
      create.addEnvironment('TENANT_REGISTRY_KEYCLOAK_CLIENT_ID', clientId);
      create.addEnvironment('TENANT_REGISTRY_KEYCLOAK_CLIENT_SECRET_ID', secret.secretArn);
      // GetSecretValue alone: `secret.grantRead` would add DescribeSecret, which the Keycloak
      // adapter never calls (its SecretSource sends GetSecretValue only; docs/permissions.md).
      create.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secret.secretArn],
        }),
      );
      if (clientSecretKmsKeyArn) {
        // A secret under a customer managed key: GetSecretValue also needs kms:Decrypt on that
        // key. Only via Secrets Manager in the secret's region, so the grant cannot decrypt
        // anything else the key protects directly.
        const region = Arn.split(clientSecretArn, ArnFormat.COLON_RESOURCE_NAME).region ?? this.region;
        create.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt'],
            resources: [clientSecretKmsKeyArn],
            conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
          }),
        );
      }
    }

    if (props.webhookSender) {
      // The sender: deliveries from the queue, results into the delivery log (and an endpoint
      // disabled with its audit event: table `write`), retries back onto the queue. No SSM, no
      // secret of the stack. Egress: the receivers' public addresses (checked per delivery).
      const sender = jobFunction(this, 'WebhookSender', props.data, {
        entry: `${PROJECT_ROOT}bin/jobs/send-webhooks.ts`,
        description: 'Tenant Registry webhook sender: signed deliveries from the delivery queue',
        timeout: Duration.seconds(WEBHOOK_SENDER_TIMEOUT_SECONDS),
        environment: { TENANT_REGISTRY_STAGE: props.stage },
        ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      });
      sender.function.addEventSource(
        new eventSources.SqsEventSource(props.data.webhookQueue, {
          batchSize: 10,
          reportBatchItemFailures: true,
        }),
      );
      this.webhookSender = sender;
    }

    if (props.reconcileEvery) {
      const reconciler = jobFunction(this, 'AliasReconciler', props.data, {
        entry: `${PROJECT_ROOT}bin/jobs/reconcile-aliases.ts`,
        description:
          'Tenant Registry alias reconciler: repairs drift between the table and the SSM alias map',
        timeout: Duration.minutes(5),
        ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      });
      this.reconciler = reconciler;
      this.reconcileRule = new events.Rule(this, 'ReconcileSchedule', {
        description: 'Runs the Tenant Registry alias reconciler',
        schedule: events.Schedule.rate(props.reconcileEvery),
        targets: [new eventTargets.LambdaFunction(reconciler.function, { retryAttempts: 2 })],
      });
    }

    if (props.verifyAuditEvery) {
      const verifier = jobFunction(this, 'AuditVerifier', props.data, {
        entry: `${PROJECT_ROOT}bin/jobs/verify-audit.ts`,
        description:
          'Tenant Registry audit verifier: walks every audit chain, moves checkpoints, expires events past retention',
        // A run starts chain turns for 10 minutes, each at most 1 (shared/app.ts).
        timeout: Duration.minutes(15),
        memorySize: 1024,
        ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      });
      verifier.function.addEnvironment('TENANT_REGISTRY_STAGE', props.stage);
      if (props.auditRetentionDays !== undefined) {
        verifier.function.addEnvironment(
          'TENANT_REGISTRY_AUDIT_RETENTION_DAYS',
          String(props.auditRetentionDays),
        );
      }
      this.auditVerifier = verifier;
      this.auditVerifyRule = new events.Rule(this, 'AuditVerifySchedule', {
        description: 'Runs the Tenant Registry audit verifier',
        schedule: events.Schedule.rate(props.verifyAuditEvery),
        // No retries: a run that failed is the next run's to repeat (the progress is saved per chain).
        targets: [new eventTargets.LambdaFunction(verifier.function, { retryAttempts: 0 })],
      });
    }
  }
}
