import type { DynamoDBStreamEvent } from 'aws-lambda';
import { outboxRecord, type RawStreamRecord } from '../../shared/adapters/dynamodb/stream-records';
import { eventsConfig } from '../../shared/config/env';
import { eventSinks } from '../../shared/event-sinks';
import { logger } from '../../shared/observability/logger';
import { type BatchResponse, EventStreamConsumer } from '../../shared/services/event-stream';

/**
 * The table stream's consumer (docs/events.md): inserted audit event items, filtered by the
 * event source mapping, become events on every sink. Failed records are reported (partial batch
 * response), so the stream retries from the first of them; what fails past the mapping's retries
 * goes to the on-failure queue.
 */
const consumer = new EventStreamConsumer(eventSinks(eventsConfig()));

export async function handler(event: DynamoDBStreamEvent): Promise<BatchResponse> {
  const records = (event.Records as RawStreamRecord[]).flatMap((r) => {
    const record = outboxRecord(r);
    return record ? [record] : [];
  });
  const outcome = await consumer.consume(records);
  logger.info('stream batch consumed', {
    event: 'events.batch',
    records: event.Records.length,
    published: outcome.published,
    skipped: outcome.skipped,
    failed: outcome.batchItemFailures.length,
  });
  return { batchItemFailures: outcome.batchItemFailures };
}
