import { freePort } from './free-port';
import { ServerProcess, type ServerProcessHandle } from './server-process';

export interface RedisServerOptions {
  /** Default: a free port. */
  port?: number;
  host?: string;
  /** redis-server binary. Default `redis-server` on PATH. */
  binary?: string;
  /** How long start/restart waits for the port. Default 10 s. */
  startTimeoutMs?: number;
  /** A redis.conf read first (e.g. `requirepass`, kept off the command line); host, port and persistence still come from here. */
  configFile?: string;
}

/** A private redis-server (no persistence, loopback only); `url` is `redis://host:port` (a password is never in it). See ServerProcessHandle. */
export type RedisServerHandle = ServerProcessHandle;

/** Starts a private redis-server (free port unless given) and waits until it listens. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const server = new ServerProcess({
    name: 'redis-server',
    scheme: 'redis',
    binary: options.binary ?? 'redis-server',
    args: (h, p) => [...(options.configFile === undefined ? [] : [options.configFile]), '--bind', h, '--port', String(p), '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    host,
    port,
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
  });
  await server.start();
  return server;
}
