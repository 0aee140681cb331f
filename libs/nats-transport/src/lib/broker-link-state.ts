/**
 * This process's view of its NATS connection, as pure bookkeeping of the
 * client's status events (no I/O): whether the link is up, how often it
 * dropped, when it last came back and when the server last left a ping
 * unanswered for a whole interval (a stalled or frozen server: its TCP socket
 * stays open, so only pings reveal it).
 */

/** A change of the link, as `connectNats`'s `onStatus` and `BrokerLink.onEvent` report it. `disconnects` counts every `disconnect` so far. */
export type BrokerEvent =
  /** The link dropped; the client reconnects by itself. */
  | { type: 'disconnect'; server: string; disconnects: number }
  /** The link is back: subscriptions are restored, publishes reach the server again. */
  | { type: 'reconnect'; server: string; disconnects: number }
  /** The server stopped answering pings (frozen or cut off): the client drops the link (a `disconnect` follows). */
  | { type: 'staleConnection'; disconnects: number }
  /** Closed for good (by the host, or an error the client does not retry). */
  | { type: 'close'; disconnects: number };

/** The part of a NATS client status the state reads (structurally, `@nats-io/nats-core`'s `Status`). */
export type ClientStatus = { type: string; server?: string; pendingPings?: number };

/** A snapshot of the link for the decisions that judge a failure (the broker's fault or a worker's). */
export interface BrokerView {
  /** Unix ms of the snapshot. */
  nowMs: number;
  connected: boolean;
  /** Disconnects so far: a different count than at a send means the link dropped since. */
  disconnects: number;
  /** When the link last came back (undefined: never dropped). */
  reconnectedAtMs: number | undefined;
  /** When a ping was last seen unanswered for a whole ping interval (undefined: never). */
  stalledAtMs: number | undefined;
}

export class BrokerLinkState {
  private connected: boolean;
  private closed = false;
  private disconnects = 0;
  private reconnectedAtMs: number | undefined;
  private stalledAtMs: number | undefined;

  constructor(connected = true) {
    this.connected = connected;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get disconnectCount(): number {
    return this.disconnects;
  }

  /** Applies one client status at `nowMs`; returns the link event it makes (undefined: none). */
  apply(status: ClientStatus, nowMs: number): BrokerEvent | undefined {
    switch (status.type) {
      case 'disconnect':
        if (this.closed) return undefined;
        this.connected = false;
        this.disconnects += 1;
        return { type: 'disconnect', server: status.server ?? '', disconnects: this.disconnects };
      case 'reconnect':
        if (this.closed) return undefined;
        this.connected = true;
        this.reconnectedAtMs = nowMs;
        return { type: 'reconnect', server: status.server ?? '', disconnects: this.disconnects };
      case 'staleConnection':
        this.stalledAtMs = nowMs;
        return { type: 'staleConnection', disconnects: this.disconnects };
      case 'ping':
        // The client reports before each ping how many are out, this one included: 2+ means the last one went unanswered a whole interval.
        if ((status.pendingPings ?? 0) >= 2) this.stalledAtMs = nowMs;
        return undefined;
      case 'close':
        if (this.closed) return undefined;
        this.closed = true;
        this.connected = false;
        return { type: 'close', disconnects: this.disconnects };
      default:
        return undefined;
    }
  }

  view(nowMs: number): BrokerView {
    return { nowMs, connected: this.connected, disconnects: this.disconnects, reconnectedAtMs: this.reconnectedAtMs, stalledAtMs: this.stalledAtMs };
  }
}
