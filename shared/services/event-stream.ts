import { eventFromOutboxItem, type RegistryEvent } from '../domain/events';
import { logger } from '../observability/logger';
import type { EventSink } from '../ports/event-sink';

/** A stream record of the table, its new image unmarshalled (adapters/dynamodb/stream-records.ts). */
export interface OutboxRecord {
  /** The stream's sequence number: what a partial batch response names. */
  readonly sequenceNumber: string;
  readonly eventName?: string;
  readonly newImage?: Readonly<Record<string, unknown>>;
}

/** Lambda's partial batch response (ReportBatchItemFailures): the records to retry. */
export interface BatchResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

/** What the consumer reports about a batch besides the failures (logged by its callers). */
export interface BatchOutcome extends BatchResponse {
  readonly published: number;
  readonly skipped: number;
}

/**
 * The stream consumer (docs/events.md): the table's stream is the outbox's reader. Each inserted
 * audit event item becomes one `RegistryEvent`, handed to every sink; a record whose event any
 * sink failed (or whose sink threw) is reported back, so the stream delivers it again: at least
 * once, never lost. A record that holds no outbox event (another entity, an event written before
 * the outbox) is skipped, not failed: no retry could ever make it one.
 *
 * The same use case runs in Lambda (bin/jobs/stream-consumer.ts) and in `npm start`'s poller.
 */
export class EventStreamConsumer {
  constructor(private readonly sinks: readonly EventSink[]) {}

  async consume(records: readonly OutboxRecord[]): Promise<BatchOutcome> {
    const events: RegistryEvent[] = [];
    const recordOf = new Map<string, string>();
    let skipped = 0;
    for (const record of records) {
      const event =
        record.eventName === undefined || record.eventName === 'INSERT'
          ? record.newImage && eventFromOutboxItem(record.newImage)
          : undefined;
      if (!event) {
        skipped++;
        continue;
      }
      events.push(event);
      recordOf.set(event.id, record.sequenceNumber);
    }
    if (events.length === 0) return { batchItemFailures: [], published: 0, skipped };
    const outcomes = await Promise.all(
      this.sinks.map((sink) =>
        sink.publish(events).then(
          (r) => r.failedIds,
          // A sink that throws has published nothing it can vouch for: every event is retried.
          (error: Error) => {
            logger.error('event sink failed', {
              event: 'events.sink_failed',
              error: error.name,
              events: events.length,
            });
            return events.map((e) => e.id);
          },
        ),
      ),
    );
    const failed = new Set(outcomes.flat());
    const batchItemFailures = events
      .filter((e) => failed.has(e.id))
      .map((e) => ({ itemIdentifier: recordOf.get(e.id) as string }));
    return { batchItemFailures, published: events.length - batchItemFailures.length, skipped };
  }
}
