import { RelayError, UnavailableReason } from '@relayllm/relay-core';

/** What the admission waits need of this orchestrator's NATS link. */
export interface BrokerLinkWatch {
  connected(): boolean;
  /** Calls `listener` when the link drops or comes back; returns the function that removes it. */
  onChange(listener: () => void): () => void;
}

interface Wait {
  readonly controller: AbortController;
  /** Time with the link up this wait may still spend. */
  leftMs: number;
  /** When the running part started (undefined: paused). */
  runningSince: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The admission queue's wait bounds, counted in time with the broker up.
 * While this orchestrator's NATS link is down, the slots are held by
 * generations riding the outage out (their LLM calls wait for the link), so
 * waiting is not overload: every wait's clock stops and resumes when the
 * link is back. An outage longer than `outageCapMs` ends the paused waits
 * with UNAVAILABLE BROKER_DOWN (the caller's own deadline ends them before
 * that, as always).
 */
export class BrokerAwareWaits {
  private readonly waits = new Set<Wait>();
  private outageTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly link: BrokerLinkWatch,
    private readonly maxWaitMs: number,
    private readonly outageCapMs: number,
  ) {
    this.unsubscribe = link.onChange(() => this.linkChanged());
    if (!link.connected()) this.startOutageCap();
  }

  /** A new request's wait bound (FrontDoorAdmission.waitLimit). */
  waitLimit(): AbortSignal {
    const wait: Wait = { controller: new AbortController(), leftMs: this.maxWaitMs, runningSince: undefined, timer: undefined };
    this.waits.add(wait);
    if (this.link.connected()) this.run(wait);
    return wait.controller.signal;
  }

  close(): void {
    this.unsubscribe();
    clearTimeout(this.outageTimer);
    for (const wait of this.waits) clearTimeout(wait.timer);
    this.waits.clear();
  }

  private linkChanged(): void {
    if (this.link.connected()) {
      clearTimeout(this.outageTimer);
      this.outageTimer = undefined;
      for (const wait of this.waits) if (wait.runningSince === undefined) this.run(wait);
      return;
    }
    for (const wait of this.waits) this.pause(wait);
    if (this.outageTimer === undefined) this.startOutageCap();
  }

  private run(wait: Wait): void {
    wait.runningSince = Date.now();
    wait.timer = setTimeout(() => this.end(wait), Math.max(0, wait.leftMs));
    wait.timer.unref();
  }

  private pause(wait: Wait): void {
    if (wait.runningSince === undefined) return;
    clearTimeout(wait.timer);
    wait.leftMs -= Date.now() - wait.runningSince;
    wait.runningSince = undefined;
  }

  private startOutageCap(): void {
    this.outageTimer = setTimeout(() => {
      const down = RelayError.unavailable(UnavailableReason.BROKER_DOWN, `the NATS connection has been down for ${this.outageCapMs} ms`);
      for (const wait of this.waits) if (wait.runningSince === undefined) this.end(wait, down);
    }, this.outageCapMs);
    this.outageTimer.unref();
  }

  private end(wait: Wait, reason?: RelayError): void {
    clearTimeout(wait.timer);
    this.waits.delete(wait);
    wait.controller.abort(reason);
  }
}
