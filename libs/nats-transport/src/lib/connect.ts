import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';

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
  /** Told about disconnects/reconnects (for logs). */
  onStatus?: (event: { type: string; data?: unknown }) => void;
  /** Credentials / TLS; default none (plaintext, no auth). */
  auth?: NatsAuthOptions;
}

/**
 * Connects with the deployment's policy: reconnect forever (a NATS restart
 * must never end a worker), a short bounded wait between attempts, and
 * `closed()` observed so that a connection closed for good is reported once.
 * Requests issued while disconnected fail fast (the NATS client rejects them
 * or their own timeout fires), so callers keep their deadlines.
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
    pingInterval: 10_000,
    maxPingOut: 3,
  });
  const { onClosed, onStatus } = options;
  if (onClosed !== undefined) {
    void nc.closed().then((error) => onClosed(error instanceof Error ? error : undefined));
  }
  if (onStatus !== undefined) {
    void (async () => {
      for await (const status of nc.status()) onStatus({ type: status.type, data: 'data' in status ? status.data : undefined });
    })().catch(() => undefined);
  }
  return nc;
}
