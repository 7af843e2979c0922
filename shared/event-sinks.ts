import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { awsClient } from './adapters/aws-clients';
import { EventBridgeSink } from './adapters/eventbridge/event-bridge-sink';
import { webhookSink } from './app';
import type { EventsConfig } from './config/env';
import type { EventSink } from './ports/event-sink';

let eventBridge: EventBridgeClient | undefined;

/**
 * Every place committed events go, built from the configuration: the one hook both the Lambda
 * stream consumer (bin/jobs/stream-consumer.ts) and local mode's poller use. The EventBridge
 * bus when one is configured, and always the webhook dispatcher (one pending delivery per
 * subscribed endpoint, onto the delivery queue: SQS in AWS, the in-process sender locally).
 */
export function eventSinks(env: EventsConfig): EventSink[] {
  const sinks: EventSink[] = [];
  if (env.busName !== undefined) {
    eventBridge ??= awsClient(EventBridgeClient, {});
    sinks.push(
      new EventBridgeSink(eventBridge, {
        busName: env.busName,
        retries: env.putRetries,
        retryBaseMs: env.putRetryBaseMs,
      }),
    );
  }
  // Looked up per batch, not held: tests and local mode rebuild the app (resetApp) between runs.
  sinks.push({ publish: (events) => webhookSink().publish(events) });
  return sinks;
}

/** The EventBridge client the sinks share, once `eventSinks` made one (tests record its calls). */
export function eventBridgeClient(): EventBridgeClient | undefined {
  return eventBridge;
}

/** Drops the cached client (local mode and tests re-point endpoints between runs). */
export function resetEventSinks(): void {
  eventBridge?.destroy();
  eventBridge = undefined;
}
