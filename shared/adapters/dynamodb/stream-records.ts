import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { OutboxRecord } from '../../services/event-stream';

/**
 * A DynamoDB stream record as both the Lambda event source and the Streams API
 * (GetRecords, the local poller) deliver it: the same shape, attribute values marshalled.
 */
export interface RawStreamRecord {
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly SequenceNumber?: string;
    readonly NewImage?: Record<string, unknown>;
  };
}

/** The record with its image unmarshalled; undefined when it has no sequence number. */
export function outboxRecord(record: RawStreamRecord): OutboxRecord | undefined {
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (sequenceNumber === undefined) return undefined;
  const image = record.dynamodb?.NewImage;
  return {
    sequenceNumber,
    ...(record.eventName === undefined ? {} : { eventName: record.eventName }),
    ...(image === undefined ? {} : { newImage: unmarshall(image as Record<string, AttributeValue>) }),
  };
}
