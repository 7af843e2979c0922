import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import {
  AwsError,
  AwsJsonService,
  type AwsJsonServiceOptions,
  type Input,
  isRecord,
  listenOnLoopback,
  loadState,
  optional,
} from './aws-json-service';

/**
 * An in-process stand-in for EventBridge's PutEvents, so local mode publishes lifecycle events
 * through the real `@aws-sdk/client-eventbridge` (AWS JSON 1.1, target `AWSEvents.`), persisted
 * under the data folder. PutEvents checks what AWS checks (1 to 10 entries; Source, DetailType and
 * a JSON-object Detail; 256 KB per entry) and answers per entry. `ListPutEvents` (the stand-in's
 * own, not an AWS operation) returns what was put, newest last, for curl and the tests:
 *
 *   curl -s -X POST -H 'X-Amz-Target: AWSEvents.ListPutEvents' -d '{}' <url>
 *
 * Rules, targets and archives are not emulated: events are kept, not routed.
 */
export interface EventBridgeStandInOptions extends AwsJsonServiceOptions {}

/** The events kept; older ones are dropped past this, so the state file stays small. */
export const MAX_KEPT_EVENTS = 10_000;
const MAX_ENTRY_BYTES = 256 * 1024;

export interface PutEvent {
  readonly id: string;
  readonly bus: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  /** Epoch milliseconds. */
  readonly time: number;
}

export class EventBridgeStandIn extends AwsJsonService {
  protected readonly operations = {
    PutEvents: (input: Input) => this.putEvents(input),
    ListPutEvents: (input: Input) => this.listPutEvents(input),
  };

  private constructor(
    server: Server,
    private readonly events: PutEvent[],
    file: string | undefined,
  ) {
    super(server, {
      targetPrefix: 'AWSEvents.',
      internalErrorType: 'InternalException',
      mutating: new Set(['PutEvents']),
      file,
    });
  }

  static async start(options: EventBridgeStandInOptions = {}): Promise<EventBridgeStandIn> {
    const stored = await loadState(options.file, 'events', isPutEvent, 'an EventBridge stand-in');
    const server = await listenOnLoopback(options.port);
    return new EventBridgeStandIn(server, stored, options.file);
  }

  /** What was put, oldest first (for tests). */
  putEventsSoFar(): readonly PutEvent[] {
    return this.events;
  }

  private putEvents(input: Input): object {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
      throw new AwsError('ValidationException', 'Entries must hold between 1 and 10 entries.');
    }
    const results = entries.map((entry: unknown) => {
      if (!isRecord(entry)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Entry is not an object.' };
      const source = optional(entry, 'Source', 'string');
      const detailType = optional(entry, 'DetailType', 'string');
      const detailText = optional(entry, 'Detail', 'string');
      if (!source || !detailType || detailText === undefined) {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required.' };
      }
      const size = [source, detailType, detailText].reduce((n, s) => n + Buffer.byteLength(s, 'utf8'), 0);
      if (size > MAX_ENTRY_BYTES) {
        return {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Total size of the entries in the request is over the limit.',
        };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(detailText);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      if (!isRecord(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      const id = randomUUID();
      this.events.push({
        id,
        bus: optional(entry, 'EventBusName', 'string') ?? 'default',
        source,
        detailType,
        detail,
        time: Date.now(),
      });
      return { EventId: id };
    });
    if (this.events.length > MAX_KEPT_EVENTS) this.events.splice(0, this.events.length - MAX_KEPT_EVENTS);
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private listPutEvents(input: Input): object {
    const bus = optional(input, 'EventBusName', 'string');
    return { Events: this.events.filter((e) => bus === undefined || e.bus === bus) };
  }

  protected snapshot(): object {
    return { events: this.events };
  }
}

function isPutEvent(value: unknown): value is PutEvent {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.bus === 'string' &&
    typeof value.source === 'string' &&
    typeof value.detailType === 'string' &&
    typeof value.time === 'number'
  );
}
