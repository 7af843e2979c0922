import type { Clock } from '../../shared/ports/clock';

/** A clock the test moves by hand (to expire keys and trials without waiting). */
export class ManualClock implements Clock {
  private offset = 0;
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}
