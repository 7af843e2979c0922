import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeSink } from './adapters/eventbridge/event-bridge-sink';
import type { EventsConfig } from './config/env';
import type { EventSink } from './ports/event-sink';

let eventBridge: EventBridgeClient | undefined;

/**
 * Every place committed events go, built from the configuration: the one hook both the Lambda
 * stream consumer (bin/jobs/stream-consumer.ts) and local mode's poller use. The EventBridge
 * bus when one is configured; the webhook dispatcher (issue 11's webhook half) joins this list.
 */
export function eventSinks(env: EventsConfig): EventSink[] {
  const sinks: EventSink[] = [];
  if (env.busName !== undefined) {
    eventBridge ??= new EventBridgeClient({});
    sinks.push(
      new EventBridgeSink(eventBridge, {
        busName: env.busName,
        retries: env.putRetries,
        retryBaseMs: env.putRetryBaseMs,
      }),
    );
  }
  return sinks;
}

/** Drops the cached client (local mode and tests re-point endpoints between runs). */
export function resetEventSinks(): void {
  eventBridge?.destroy();
  eventBridge = undefined;
}
