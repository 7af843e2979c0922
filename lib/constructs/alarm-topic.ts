import {
  ArnFormat,
  aws_iam as iam,
  Stack,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /**
   * Every alarm of the registry is named `<alarmNamePrefix><name>`; only alarms so named may
   * publish (the `aws:SourceArn` condition).
   */
  readonly alarmNamePrefix: string;
  /** Email address subscribed to the topic. @default none: subscribe yourself (the stack outputs the ARN) */
  readonly email?: string;
}

/**
 * The SNS topic every alarm notifies. It lives in the data stack, beside the table and the
 * secret, so that it (and its confirmed subscriptions) outlives any change of the API and
 * monitoring stacks.
 *
 * `enforceSSL` gives the topic a policy that holds only its TLS Deny, which replaces SNS's default
 * policy: CloudWatch alarms could then not publish. The Allow below grants the CloudWatch
 * service principal `sns:Publish`, conditioned on this account (`aws:SourceAccount`) and on the
 * registry's own alarms (`aws:SourceArn` ArnLike `arn:<partition>:cloudwatch:<region>:<account>:alarm:<prefix>*`),
 * so no other alarm or account can use the service as a confused deputy. Keys and principal as
 * AWS documents them: "Why didn't I receive an SNS notification for my CloudWatch alarm trigger?"
 * (repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger: principal
 * `cloudwatch.amazonaws.com`, `ArnLike` on `aws:SourceArn` with the alarm ARN) and "Example cases
 * for Amazon SNS access control" (docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html:
 * `aws:SourceAccount` for service principals).
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  /** The subscription's construct id, when an email is subscribed. */
  readonly emailSubscriptionId?: string;
  /** The ARN pattern of the alarms allowed to publish. */
  readonly alarmArnPattern: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Tenant Registry alarms (${stack.stackName})`,
      enforceSSL: true,
    });
    this.alarmArnPattern = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: `${props.alarmNamePrefix}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowRegistryAlarmsToPublish',
        effect: iam.Effect.ALLOW,
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': this.alarmArnPattern },
        },
      }),
    );
    if (props.email) {
      const subscription = new subscriptions.EmailSubscription(props.email);
      this.topic.addSubscription(subscription);
      this.emailSubscriptionId = this.topic.node.children.find((c) => c instanceof sns.Subscription)?.node.id;
    }
  }
}
