import type { DeliveryMessage, DeliveryQueue } from '../../ports/delivery-queue';

/**
 * The delivery queue in process (local mode, tests): each message is handed to the consumer
 * after its delay on a timer. `manual` keeps messages until `due()` is called instead (tests that
 * move a manual clock). A consumer that throws gets the message again after a second, as SQS
 * would after its visibility timeout.
 */
export class InProcessDeliveryQueue implements DeliveryQueue {
  private consumer?: (message: DeliveryMessage) => Promise<void>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Held messages, in manual mode, with the time they are due (ms on the caller's clock). */
  readonly held: { message: DeliveryMessage; delayMs: number }[] = [];

  constructor(private readonly options: { readonly manual?: boolean } = {}) {}

  consume(consumer: (message: DeliveryMessage) => Promise<void>): void {
    this.consumer = consumer;
  }

  async enqueue(message: DeliveryMessage, delayMs: number): Promise<void> {
    if (this.options.manual) {
      this.held.push({ message, delayMs });
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.run(message);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Manual mode: hands over every held message (and returns them), as if their delays had passed. */
  async due(): Promise<DeliveryMessage[]> {
    const batch = this.held.splice(0).map((h) => h.message);
    for (const message of batch) this.run(message);
    await this.settled();
    return batch;
  }

  /** Resolves when no handed-over message is still being handled. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private run(message: DeliveryMessage): void {
    const consumer = this.consumer;
    if (!consumer) return;
    const work = consumer(message).catch(() => {
      void this.enqueue(message, 1000);
    });
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}
