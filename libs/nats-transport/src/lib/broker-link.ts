import type { NatsConnection } from '@nats-io/nats-core';
import { SystemClock, type Clock } from '@relayllm/relay-core';
import { BrokerLinkState, type BrokerEvent, type BrokerView } from './broker-link-state';

/**
 * What the relay transports need of their NATS connection's state: a
 * snapshot, its changes, a wait for the link to be up, and a probe of the
 * server (a ping: how long the server took to answer).
 */
export interface BrokerLinkPort {
  view(): BrokerView;
  /** Calls `listener` on each link change; returns the function that removes it. */
  onEvent(listener: (event: BrokerEvent) => void): () => void;
  /** true once the link is up (at once when it is), false after `timeoutMs`, on abort or when closed. */
  whenConnected(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Round trip of a ping in ms; undefined when the link dropped before the answer. */
  probe(): Promise<number | undefined>;
}

/**
 * One NATS connection's link state, fed by the client's status stream.
 * `connectNats` creates it with the connection (so no event is missed) and
 * `brokerLinkOf(nc)` finds it; a connection made elsewhere gets one on first
 * use, assumed up unless closed.
 */
export class BrokerLink implements BrokerLinkPort {
  private readonly state: BrokerLinkState;
  private readonly listeners = new Set<(event: BrokerEvent) => void>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly clock: Clock = new SystemClock(),
  ) {
    this.state = new BrokerLinkState(!nc.isClosed());
    void (async () => {
      for await (const status of nc.status()) this.apply(status);
    })().catch(() => undefined);
    // A close without a status (the iterator ends first) still closes the link.
    void nc.closed().then(() => this.apply({ type: 'close' }));
  }

  /** Times the link dropped so far. */
  get disconnects(): number {
    return this.state.disconnectCount;
  }

  view(): BrokerView {
    return this.state.view(this.clock.now());
  }

  onEvent(listener: (event: BrokerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  whenConnected(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.state.isConnected) return Promise.resolve(true);
    if (this.state.isClosed || timeoutMs <= 0 || signal?.aborted === true) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const done = (up: boolean): void => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        resolve(up);
      };
      const onAbort = (): void => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      const unsubscribe = this.onEvent((event) => {
        if (event.type === 'reconnect') done(true);
        else if (event.type === 'close') done(false);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async probe(): Promise<number | undefined> {
    const startedAt = this.clock.now();
    try {
      await this.nc.flush();
      return this.clock.now() - startedAt;
    } catch {
      return undefined;
    }
  }

  private apply(status: { type: string; server?: string; pendingPings?: number }): void {
    const event = this.state.apply(status, this.clock.now());
    if (event === undefined) return;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not stop the others nor the status stream.
      }
    }
  }
}

const links = new WeakMap<NatsConnection, BrokerLink>();

/** Makes `link` the one `brokerLinkOf(nc)` returns (connectNats does, right after connecting). */
export function registerBrokerLink(nc: NatsConnection, link: BrokerLink): BrokerLink {
  links.set(nc, link);
  return link;
}

/** The link state of `nc` (the one `connectNats` started, else a new one). */
export function brokerLinkOf(nc: NatsConnection): BrokerLink {
  let link = links.get(nc);
  if (link === undefined) {
    link = new BrokerLink(nc);
    links.set(nc, link);
  }
  return link;
}
