import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryMessage, DeliveryQueue } from '../../ports/delivery-queue';

/** SQS holds a message back at most 900 s (SendMessage `DelaySeconds`: 0 to 900). */
export const SQS_MAX_DELAY_SECONDS = 900;

/**
 * The delivery queue on SQS. A wait up to 15 minutes is the message's own `DelaySeconds`; a
 * longer one (the schedule's 30 min .. 10 h) goes out with the maximum delay and its `not_before`,
 * and the sender sends it on again until that time comes (WebhookSender.handle).
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(message: DeliveryMessage, delayMs: number): Promise<void> {
    const delaySeconds = Math.min(SQS_MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delayMs / 1000)));
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: delaySeconds,
      }),
    );
  }
}
