import { spawn, type ChildProcess } from 'child_process';
import { freePort } from './free-port';
import { waitForPort } from './ports';

export interface RedisServerOptions {
  /** Default: a free port. */
  port?: number;
  host?: string;
  /** redis-server binary. Default `redis-server` on PATH. */
  binary?: string;
  /** How long start/restart waits for the port. Default 10 s. */
  startTimeoutMs?: number;
}

/**
 * A redis-server child process owned by a test: no persistence, loopback only.
 * `stop()` ends it (SIGTERM, then SIGKILL after a deadline) and `start()`
 * brings it back on the same port, so specs can take Redis away and restore
 * it. Both are idempotent; call `stop()` in afterAll whatever happened.
 */
export interface RedisServerHandle {
  readonly host: string;
  readonly port: number;
  /** redis://host:port */
  readonly url: string;
  /** pid of the running server, undefined while stopped. */
  readonly pid: number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 3_000;

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

class RedisServerProcess implements RedisServerHandle {
  private child: ChildProcess | undefined;
  private stderr = '';

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly binary: string,
    private readonly startTimeoutMs: number,
  ) {}

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child !== undefined) return;
    const args = ['--bind', this.host, '--port', String(this.port), '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
    const child = spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.stderr = '';
    child.stderr?.on('data', (data: Buffer) => {
      // Bounded: only the tail matters for a failure message.
      this.stderr = (this.stderr + data.toString()).slice(-4_000);
    });
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    try {
      await waitForPort(this.port, this.host, this.startTimeoutMs);
    } catch (error) {
      await this.stop();
      throw new Error(`redis-server did not listen on ${this.host}:${this.port}: ${String(error)} ${this.stderr}`);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill('SIGTERM');
    if (!(await waitForExit(child, STOP_GRACE_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_GRACE_MS);
    }
    if (this.child === child) this.child = undefined;
  }
}

/** Starts a private redis-server (free port unless given) and waits until it listens. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const server = new RedisServerProcess(host, port, options.binary ?? 'redis-server', options.startTimeoutMs ?? 10_000);
  await server.start();
  return server;
}
