import type { RegistryEvent } from '../domain/events';

/**
 * Where committed events go (the EventBridge bus; the webhook dispatcher). The stream consumer
 * hands each batch to every sink; an event any sink reports as failed is reported back to the
 * stream as a batch item failure, so it is retried (at least once, never lost).
 */
export interface EventSink {
  publish(events: readonly RegistryEvent[]): Promise<{ readonly failedIds: readonly string[] }>;
}
