import { freePort } from './free-port';
import { ServerProcess, type ServerProcessHandle } from './server-process';

export interface NatsServerOptions {
  /** Default: a free port. */
  port?: number;
  host?: string;
  /** nats-server binary. Default `nats-server` on PATH. */
  binary?: string;
  /** How long start/restart waits for the port. Default 10 s. */
  startTimeoutMs?: number;
  /** Extra nats-server arguments (e.g. `--user`, `--pass`, `--tls...`). */
  args?: string[];
  /** A nats-server config file (`-c`), e.g. libs/security's generated users and permissions; host and port still come from here. */
  configFile?: string;
}

/** A private nats-server (core NATS, loopback only); `url` is `nats://host:port`. See ServerProcessHandle. */
export type NatsServerHandle = ServerProcessHandle;

/** Starts a private nats-server (free port unless given) and waits until it listens. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const extra = [...(options.configFile === undefined ? [] : ['-c', options.configFile]), ...(options.args ?? [])];
  const server = new ServerProcess({
    name: 'nats-server',
    scheme: 'nats',
    binary: options.binary ?? 'nats-server',
    args: (h, p) => ['-a', h, '-p', String(p), ...extra],
    host,
    port,
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
  });
  await server.start();
  return server;
}
