import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { webhookSender } from '../../shared/app';
import { logger } from '../../shared/observability/logger';
import type { DeliveryMessage } from '../../shared/ports/delivery-queue';

/**
 * The webhook sender (docs/webhooks.md): one delivery attempt per message of the delivery queue,
 * the batch's messages at once. Partial batch responses: only the messages whose handling threw
 * (the table out of reach, say) come back to the queue; a delivery that failed at the receiver
 * is not a failed message (the sender has recorded it and queued its retry). A message that is
 * no delivery is logged and dropped, never retried into the DLQ.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const failed: { itemIdentifier: string }[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      let message: DeliveryMessage;
      try {
        message = parse(record.body);
      } catch {
        logger.error('not a delivery message', {
          event: 'webhook.bad_message',
          message_id: record.messageId,
        });
        return;
      }
      try {
        await webhookSender().handle(message);
      } catch (error) {
        logger.error('delivery message failed', {
          event: 'webhook.message_failed',
          message_id: record.messageId,
          error: error instanceof Error ? error.message : String(error),
        });
        failed.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failed };
};

function parse(body: string): DeliveryMessage {
  const value = JSON.parse(body) as Partial<DeliveryMessage>;
  if (typeof value.endpoint_id !== 'string' || typeof value.delivery_id !== 'string')
    throw new Error('shape');
  return {
    endpoint_id: value.endpoint_id,
    delivery_id: value.delivery_id,
    ...(typeof value.not_before === 'string' ? { not_before: value.not_before } : {}),
  };
}
