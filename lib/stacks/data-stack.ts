import { CfnOutput, aws_dynamodb as dynamodb, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { GSI_NUMBERS, TTL_ATTRIBUTE } from '../../shared/adapters/dynamodb/table';
import { AlarmTopic } from '../constructs/alarm-topic';
import { RegistryData } from '../constructs/registry-data';

export interface DataStackProps extends StackProps {
  /** SSM prefix under which aliases are published (`<prefix>/aliases/<slug>`). */
  readonly ssmPrefix: string;
  /** Days between automatic admin token rotations. @default 90 */
  readonly tokenRotationDays?: number;
  /** Every alarm of the registry is named `<alarmNamePrefix><name>`. */
  readonly alarmNamePrefix: string;
  /** Email address subscribed to the alarm topic. @default none */
  readonly alarmEmail?: string;
}

/**
 * The registry's state and what must outlive every other stack: the table, the admin token with
 * its rotation, and the alarm topic (with its confirmed subscriptions). This is the stack the
 * single-stack layout deployed under the same name, and every construct id here is the one it had
 * there, so an existing deploy keeps its table, secret and topic (same logical ids, same stack).
 */
export class DataStack extends Stack {
  readonly table: dynamodb.Table;
  readonly data: RegistryData;
  readonly alarms: AlarmTopic;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    // The construct id `Table`, directly under this stack, must never change: a new logical id is
    // a new, empty table (test/infra/stacks.test.ts pins the logical id).
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'SK', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The outbox's reader (docs/events.md): every committed audit event item, as written.
      // Enabling a stream is an in-place update of the table (same logical id, no replacement).
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    // ==== TABLE INDEXES: the one place to declare a GSI. The numbers come from GSI_NUMBERS in
    // ==== shared/adapters/dynamodb/table.ts; test/infra/stack.test.ts compares the whole shape
    // ==== (keys, projection) with tableDefinition(). NB: CloudFormation adds or removes only one
    // ==== GSI per table update, so on a deployed table new indexes go in one deploy at a time.
    for (const n of GSI_NUMBERS) {
      this.table.addGlobalSecondaryIndex({
        indexName: `GSI${n}`,
        partitionKey: { name: `GSI${n}PK`, type: dynamodb.AttributeType.STRING },
        sortKey: { name: `GSI${n}SK`, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    // ==== END OF TABLE INDEXES

    this.data = new RegistryData(this, 'Data', {
      table: this.table,
      ssmPrefix: props.ssmPrefix,
      ...(props.tokenRotationDays === undefined ? {} : { rotationDays: props.tokenRotationDays }),
    });
    // `Monitoring/AlarmTopic`: the topic's path in the single-stack layout, kept so that its logical
    // id (and the email subscription's) stay the same.
    this.alarms = new AlarmTopic(this, 'Monitoring', {
      alarmNamePrefix: props.alarmNamePrefix,
      ...(props.alarmEmail ? { email: props.alarmEmail } : {}),
    });

    new CfnOutput(this, 'AdminTokenSecretArn', {
      description: 'The admin token (AWSCURRENT; AWSPREVIOUS stays valid until the next rotation)',
      value: this.data.adminToken.secretArn,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'The SNS topic every alarm notifies: subscribe a pager, chat or queue to it',
      value: this.alarms.topic.topicArn,
    });
    new CfnOutput(this, 'TableName', { description: 'The registry table', value: this.table.tableName });
  }
}
