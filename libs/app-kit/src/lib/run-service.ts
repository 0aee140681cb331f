import { ConfigError } from './config-error';

/** A service once it serves. */
export interface RunningService {
  /** Printed on stdout once the service serves: launchers and tests wait for its prefix. */
  readonly readyLine: string;
  /** The graceful stop, in the service's own order (stop taking work, drain, leave, close). */
  stop(signal: string): Promise<void>;
}

/** What a service's start() can do with the process's log. */
export interface ServiceLog {
  (line: string): void;
  /** Sends later lines to `write` (e.g. the JSON logger, once observability is up). */
  use(write: (line: string) => void): void;
}

export interface ServiceDefinition {
  /** Prefixes stderr lines until start() switches the log (e.g. `llm-worker`). */
  name: string;
  start(log: ServiceLog): Promise<RunningService>;
}

/** The parts of `process` a service runner touches (a fake in unit specs). */
export interface ServiceProcess {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  exit(code: number): void;
}

/** Exit codes: a configuration refused at start is 2, any other start failure 1; a second signal exits at once with 130. */
export const EXIT = { ok: 0, failed: 1, config: 2, interrupted: 130 } as const;

/**
 * Runs one long-lived service the way every RelayLLM app does: start it,
 * print its ready line on stdout, and on SIGTERM/SIGINT stop it gracefully
 * and exit 0 (1 when the stop fails); a second signal during the stop exits
 * at once. A start that fails is logged and exits 2 for a ConfigError (the
 * message names the variable), 1 otherwise. Resolves once started.
 */
export async function runService(service: ServiceDefinition, proc: ServiceProcess = process): Promise<void> {
  let write = (line: string): void => void proc.stderr.write(`[${service.name}] ${line}\n`);
  const log = ((line: string) => write(line)) as ServiceLog;
  log.use = (next) => {
    write = next;
  };
  let running: RunningService;
  try {
    running = await service.start(log);
  } catch (error) {
    log(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    proc.exit(error instanceof ConfigError ? EXIT.config : EXIT.failed);
    return;
  }
  proc.stdout.write(`${running.readyLine}\n`);
  let stopping = false;
  const onSignal = (signal: string): void => {
    if (stopping) {
      log(`${signal} again: exiting now`);
      proc.exit(EXIT.interrupted);
      return;
    }
    stopping = true;
    log(`${signal}: stopping`);
    running.stop(signal).then(
      () => proc.exit(EXIT.ok),
      (error: unknown) => {
        log(`stop failed: ${error instanceof Error ? error.message : String(error)}`);
        proc.exit(EXIT.failed);
      },
    );
  };
  proc.on('SIGTERM', () => onSignal('SIGTERM'));
  proc.on('SIGINT', () => onSignal('SIGINT'));
}
