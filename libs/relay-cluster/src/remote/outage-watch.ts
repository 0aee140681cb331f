import type { RelayError } from '@relayllm/relay-core';

/** Runs `run` after `ms` (the host's timer); returns what cancels it. */
export type Schedule = (ms: number, run: () => void) => () => void;

export interface OutageWatchOptions {
  /** Why no worker of some role can be reached now (unavailable, its own reason), or undefined when each role has one. */
  probe: () => RelayError | undefined;
  /** How long the probe must keep failing before the outage is declared (0: at once). */
  graceMs: number;
  /** Told when an outage is declared (its error) and when it ends (undefined). */
  onChange: (outage: RelayError | undefined) => void;
  schedule: Schedule;
}

/**
 * Tells an outage from overload. Overload (workers live but busy) is waited
 * out in the admission queue and ends RESOURCE_EXHAUSTED; an outage (no
 * worker of a role reachable: none heartbeats, or none could be heard) gets
 * UNAVAILABLE with its own reason once it has lasted `graceMs`, so that a
 * worker restart or a short blip never fails a request, and a real outage
 * fails fast instead of after the whole queue wait. Pure: the host calls
 * `check()` whenever the workers change and gives the timer.
 */
export class OutageWatch {
  private outage: RelayError | undefined;
  private cancelGrace: (() => void) | undefined;

  constructor(private readonly options: OutageWatchOptions) {}

  /** The declared outage, if any. */
  get declared(): RelayError | undefined {
    return this.outage;
  }

  /** Re-probes: starts the grace of a new outage, updates or ends a declared one. */
  check(): void {
    const cause = this.options.probe();
    if (cause === undefined) {
      this.stopGrace();
      if (this.outage !== undefined) this.declare(undefined);
      return;
    }
    if (this.outage !== undefined) {
      if (cause.reason !== this.outage.reason) this.declare(cause);
      return;
    }
    if (this.cancelGrace !== undefined) return;
    if (this.options.graceMs <= 0) return this.declare(cause);
    this.cancelGrace = this.options.schedule(this.options.graceMs, () => {
      this.cancelGrace = undefined;
      const still = this.options.probe();
      if (still !== undefined) this.declare(still);
    });
  }

  /** Stops the grace timer (the host is closing). */
  close(): void {
    this.stopGrace();
  }

  private stopGrace(): void {
    this.cancelGrace?.();
    this.cancelGrace = undefined;
  }

  private declare(outage: RelayError | undefined): void {
    this.outage = outage;
    this.options.onChange(outage);
  }
}
