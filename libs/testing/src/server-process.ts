import { spawn, type ChildProcess } from 'child_process';
import { waitForPort } from './ports';

/**
 * A server child process owned by a test (nats-server, redis-server...):
 * `stop()` ends it (SIGTERM, then SIGKILL after a deadline) and `start()`
 * brings it back on the same port, so specs can take a dependency away and
 * restore it under load. Both are idempotent; call `stop()` in afterAll
 * whatever happened.
 */
export interface ServerProcessHandle {
  readonly host: string;
  readonly port: number;
  /** `<scheme>://host:port` */
  readonly url: string;
  /** pid of the running server, undefined while stopped. */
  readonly pid: number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ServerProcessSpec {
  /** For error messages, e.g. `nats-server`. */
  name: string;
  /** URL scheme, e.g. `nats`. */
  scheme: string;
  binary: string;
  /** Arguments for a given host and port. */
  args: (host: string, port: number) => string[];
  host: string;
  port: number;
  /** How long start waits for the port. */
  startTimeoutMs: number;
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

export class ServerProcess implements ServerProcessHandle {
  private child: ChildProcess | undefined;
  private stderr = '';

  constructor(private readonly spec: ServerProcessSpec) {}

  get host(): string {
    return this.spec.host;
  }

  get port(): number {
    return this.spec.port;
  }

  get url(): string {
    return `${this.spec.scheme}://${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child !== undefined) return;
    const child = spawn(this.spec.binary, this.spec.args(this.host, this.port), { stdio: ['ignore', 'ignore', 'pipe'] });
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
      await waitForPort(this.port, this.host, this.spec.startTimeoutMs);
    } catch (error) {
      await this.stop();
      throw new Error(`${this.spec.name} did not listen on ${this.host}:${this.port}: ${String(error)} ${this.stderr}`);
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
