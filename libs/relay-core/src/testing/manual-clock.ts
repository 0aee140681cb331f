import type { Clock } from '../ports/clock';

/** A Clock that only moves when told to (tests of TTLs and latencies). */
export class ManualClock implements Clock {
  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
