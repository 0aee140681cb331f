import { spawn, type ChildProcess } from 'child_process';
import { repoRoot } from './model-dir';

export interface AppProcessOptions {
  /** For messages (e.g. 'slm-worker-1'). */
  name: string;
  /** Node entry point (e.g. apps/slm-worker/bin/slm-worker.cjs), relative to the repository root or absolute. */
  script: string;
  args?: readonly string[];
  /** Added to this process's environment. */
  env?: Readonly<Record<string, string>>;
  /** A stdout line that says the app is ready; its match is returned. */
  readyLine: RegExp;
  /** How long to wait for the ready line. Default 60 s. */
  startTimeoutMs?: number;
}

/**
 * An app (worker, orchestrator) run as its own Node process by a test. Output
 * (stdout + stderr, last 64 KB) is kept for failure messages. `stop()` sends
 * SIGTERM and SIGKILLs after a grace; `kill()` is `kill -9`. Both are
 * idempotent; call `stop()` in afterAll whatever happened.
 */
export interface AppProcessHandle {
  readonly name: string;
  readonly pid: number | undefined;
  /** The ready line's match (capture groups: the port, an address...). */
  readonly ready: RegExpMatchArray;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  kill(signal?: NodeJS.Signals): void;
  stop(graceMs?: number): Promise<void>;
}

const OUTPUT_LIMIT = 64 * 1024;
const DEFAULT_STOP_GRACE_MS = 10_000;

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  // 'close', not 'exit': by then stdout/stderr are drained, so the output is complete.
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

/** Spawns `node <script>` from the repository root and resolves once it printed `readyLine` (rejects, killing it, otherwise). */
export async function startAppProcess(options: AppProcessOptions): Promise<AppProcessHandle> {
  const child = spawn(process.execPath, [options.script, ...(options.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (data: Buffer): void => {
    output = (output + data.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stderr?.on('data', append);
  const exited = exitOf(child);
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let stdoutLine = '';
  const ready = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${options.name} ${why}; output:\n${output}`));
    };
    const timer = setTimeout(() => fail(`printed no ready line within ${timeoutMs} ms`), timeoutMs);
    void exited.then(({ code, signal }) => fail(`exited (code ${code}, signal ${signal}) before it was ready`));
    child.stdout?.on('data', (data: Buffer) => {
      append(data);
      stdoutLine += data.toString();
      const lines = stdoutLine.split('\n');
      stdoutLine = (lines.pop() ?? '').slice(-OUTPUT_LIMIT);
      for (const line of lines) {
        const match = line.match(options.readyLine);
        if (match !== null) {
          clearTimeout(timer);
          resolve(match);
        }
      }
    });
  });
  const handle: AppProcessHandle = {
    name: options.name,
    pid: child.pid,
    ready,
    exited,
    output: () => output,
    kill: (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stop: async (graceMs = DEFAULT_STOP_GRACE_MS) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
      clearTimeout(timer);
      if (!graceful) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  return handle;
}
