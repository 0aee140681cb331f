import { ConfigError } from './config-error';
import { EXIT, runService, type RunningService, type ServiceProcess } from './run-service';

/** TEST DOUBLE: a process whose signals the spec raises and whose exit it records. */
class FakeProcess implements ServiceProcess {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exits: number[] = [];
  private readonly listeners = new Map<string, () => void>();
  stdout = { write: (text: string) => this.out.push(text) };
  stderr = { write: (text: string) => this.err.push(text) };
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): void {
    this.listeners.set(event, listener);
  }
  exit(code: number): void {
    this.exits.push(code);
  }
  raise(event: 'SIGTERM' | 'SIGINT'): void {
    this.listeners.get(event)?.();
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('runService', () => {
  it('prints the ready line on stdout once started, stops on SIGTERM in the service order and exits 0', async () => {
    const proc = new FakeProcess();
    const steps: string[] = [];
    const running: RunningService = { readyLine: 'worker ready id=w1', stop: async (signal) => void steps.push(`stop ${signal}`) };
    await runService({ name: 'w', start: async () => running }, proc);
    expect(proc.out).toEqual(['worker ready id=w1\n']);
    proc.raise('SIGTERM');
    await settle();
    expect([steps, proc.exits]).toEqual([['stop SIGTERM'], [EXIT.ok]]);
  });

  it('a second signal during the stop exits at once with 130', async () => {
    const proc = new FakeProcess();
    await runService({ name: 'w', start: async () => ({ readyLine: 'ready', stop: () => new Promise<void>(() => undefined) }) }, proc);
    proc.raise('SIGINT');
    proc.raise('SIGINT');
    await settle();
    expect(proc.exits).toEqual([EXIT.interrupted]);
  });

  it('a failed start is logged and exits 2 for a ConfigError, 1 otherwise; nothing is printed on stdout', async () => {
    const bad = new FakeProcess();
    await runService({ name: 'o', start: () => Promise.reject(new ConfigError('RELAYLLM_PORT: must be an integer')) }, bad);
    expect([bad.exits, bad.out, bad.err.join('')]).toEqual([[EXIT.config], [], '[o] failed to start: RELAYLLM_PORT: must be an integer\n']);
    const broken = new FakeProcess();
    await runService({ name: 'o', start: () => Promise.reject(new Error('EADDRINUSE')) }, broken);
    expect(broken.exits).toEqual([EXIT.failed]);
  });

  it('a stop that fails exits 1; log lines go where start() switched them', async () => {
    const proc = new FakeProcess();
    const lines: string[] = [];
    await runService(
      {
        name: 'w',
        start: async (log) => {
          log.use((line) => lines.push(line));
          return { readyLine: 'ready', stop: () => Promise.reject(new Error('drain timed out')) };
        },
      },
      proc,
    );
    proc.raise('SIGTERM');
    await settle();
    expect(proc.exits).toEqual([EXIT.failed]);
    expect(lines).toEqual(['SIGTERM: stopping', 'stop failed: drain timed out']);
    expect(proc.err).toEqual([]);
  });
});
