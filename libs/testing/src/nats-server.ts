import { spawn, type ChildProcess } from 'child_process';
import { freePort } from './free-port';
import { waitForPort } from './ports';

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
}

/**
 * A nats-server child process owned by a test (core NATS, loopback only).
 * `stop()` ends it (SIGTERM, then SIGKILL after a deadline) and `start()`
 * brings it back on the same port, so specs can restart NATS under load.
 * Both are idempotent; call `stop()` in afterAll whatever happened.
 */
export interface NatsServerHandle {
  readonly host: string;
  readonly port: number;
  /** nats://host:port */
  readonly url: string;
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

class NatsServerProcess implements NatsServerHandle {
  private child: ChildProcess | undefined;
  private stderr = '';

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly binary: string,
    private readonly startTimeoutMs: number,
    private readonly extraArgs: readonly string[] = [],
  ) {}

  get url(): string {
    return `nats://${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child !== undefined) return;
    const child = spawn(this.binary, ['-a', this.host, '-p', String(this.port), ...this.extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
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
      throw new Error(`nats-server did not listen on ${this.host}:${this.port}: ${String(error)} ${this.stderr}`);
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

/** Starts a private nats-server (free port unless given) and waits until it listens. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const server = new NatsServerProcess(host, port, options.binary ?? 'nats-server', options.startTimeoutMs ?? 10_000, options.args);
  await server.start();
  return server;
}
