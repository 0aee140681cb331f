import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { BrokerLink, registerBrokerLink } from './broker-link';
import type { BrokerEvent } from './broker-link-state';

/**
 * Keepalive defaults. A frozen server (SIGSTOP, a hung host: the TCP socket
 * stays open, no FIN, no disconnect) is noticed only by unanswered pings: the
 * client sends one every `pingIntervalMs` and drops the link when `maxPingOut`
 * are still out at the next tick, so it notices between maxPingOut and
 * maxPingOut + 1 intervals after the freeze: 2-3 s with 1 s x 2, in time for
 * a relay call to wait for the reconnect instead of failing its worker. A
 * live server answers a ping in well under a millisecond on a LAN; a ping is
 * a few bytes per connection per second.
 */
export const DEFAULT_NATS_PING_INTERVAL_MS = 1_000;
export const DEFAULT_NATS_MAX_PING_OUT = 2;

/** Credentials and TLS of the connection (fields of the NATS client's options; config: libs/security natsSecurityFromEnv). */
export interface NatsAuthOptions {
  user?: string;
  pass?: string;
  token?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

export interface NatsConnectOptions {
  /** e.g. nats://127.0.0.1:4222 (comma-separated for several). */
  servers: string;
  /** Connection name shown by the server (monitoring). */
  name: string;
  /** How long the first connect may take. Default 5 s. */
  connectTimeoutMs?: number;
  /** Bounded wait between reconnect attempts. Default 250 ms (+ jitter 100 ms). */
  reconnectWaitMs?: number;
  /** Told once when the connection is closed for good (error = why, undefined = closed on purpose). */
  onClosed?: (error: Error | undefined) => void;
  /** Told about each change of the link (disconnect, reconnect, stale server, close), e.g. to count disconnects; also `brokerLinkOf(nc).onEvent`. */
  onStatus?: (event: BrokerEvent) => void;
  /** Keepalive ping period (default DEFAULT_NATS_PING_INTERVAL_MS). */
  pingIntervalMs?: number;
  /** Unanswered pings before the link is dropped as stale (default DEFAULT_NATS_MAX_PING_OUT). */
  maxPingOut?: number;
  /** Credentials / TLS; default none (plaintext, no auth). */
  auth?: NatsAuthOptions;
}

/**
 * Connects with the deployment's policy: reconnect forever (a NATS restart
 * must never end a worker), a short bounded wait between attempts, and
 * `closed()` observed so that a connection closed for good is reported once,
 * keepalive pings that notice a frozen server in 2-3 s, and the connection's
 * `BrokerLink` (brokerLinkOf) started before any event can be missed. What is
 * published while the link is down is lost (the client drops its buffer at
 * each reconnect attempt): senders wait for the link (`whenConnected`).
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  const nc: NatsConnection = await connect({
    ...options.auth,
    servers: options.servers.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    name: options.name,
    timeout: options.connectTimeoutMs ?? 5_000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectWaitMs ?? 250,
    reconnectJitter: 100,
    pingInterval: options.pingIntervalMs ?? DEFAULT_NATS_PING_INTERVAL_MS,
    maxPingOut: options.maxPingOut ?? DEFAULT_NATS_MAX_PING_OUT,
  });
  const link = registerBrokerLink(nc, new BrokerLink(nc));
  const { onClosed, onStatus } = options;
  if (onClosed !== undefined) {
    void nc.closed().then((error) => onClosed(error instanceof Error ? error : undefined));
  }
  if (onStatus !== undefined) link.onEvent(onStatus);
  return nc;
}
