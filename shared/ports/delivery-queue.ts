/** A delivery due for an attempt: which one, and not before when (for waits beyond the queue's own delay). */
export interface DeliveryMessage {
  readonly endpoint_id: string;
  readonly delivery_id: string;
  /** ISO time before which the attempt must not run; a message that arrives early is sent on again. */
  readonly not_before?: string;
}

/**
 * Between the dispatcher (and the API's test and retry) and the sender: SQS in AWS
 * (shared/adapters/sqs), an in-process queue in local mode and tests (shared/adapters/memory).
 */
export interface DeliveryQueue {
  /** Hands the message over, to be received after `delayMs` (0: at once). */
  enqueue(message: DeliveryMessage, delayMs: number): Promise<void>;
}
