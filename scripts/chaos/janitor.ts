/**
 * Everything `npm run chaos` started is stopped by one janitor: at the end of
 * each fault's cluster, at the end of the run, on an error, and on Ctrl-C /
 * SIGTERM. Frozen processes are resumed first (a stopped process cannot
 * handle SIGTERM); last, any child process of this one still alive (e.g. a
 * worker that was still loading its model when Ctrl-C came, which the
 * cluster launcher hands out only once it is ready) is killed by its pid.
 */
import { readdirSync, readFileSync } from 'fs';

export class ProcessJanitor {
  private readonly frozen = new Map<number, () => void>();
  private readonly stops: Array<{ what: string; stop: () => Promise<void> }> = [];
  private running: Promise<void> | undefined;
  private cleaning = false;

  constructor(private readonly log: (line: string) => void) {}

  /** Registers a stop; returns a function that runs it now and forgets it. */
  own(what: string, stop: () => Promise<void>): () => Promise<void> {
    const entry = { what, stop };
    this.stops.push(entry);
    return async () => {
      const index = this.stops.indexOf(entry);
      if (index < 0) return;
      this.stops.splice(index, 1);
      await stop();
    };
  }

  /** Records a SIGSTOPped process and how to resume it. */
  frozenProcess(pid: number, resume: () => void): void {
    this.frozen.set(pid, resume);
  }

  thawed(pid: number): void {
    this.frozen.delete(pid);
  }

  /** True once the clean-up began (it ends the run): a fault must not restart what it took away, it would outlive the run. */
  get closing(): boolean {
    return this.cleaning;
  }

  /**
   * Resumes frozen processes, runs every stop (latest first), then kills any
   * child left. Never throws; a call during a clean-up joins it (Ctrl-C while
   * the run's own clean-up is under way).
   */
  cleanUp(): Promise<void> {
    this.cleaning = true;
    return (this.running ??= this.cleanUpOnce().finally(() => (this.running = undefined)));
  }

  private async cleanUpOnce(): Promise<void> {
    for (const [pid, resume] of this.frozen) {
      this.log(`resuming frozen pid ${pid}`);
      attempt(resume);
    }
    this.frozen.clear();
    while (this.stops.length > 0) {
      const { what, stop } = this.stops.pop() as { what: string; stop: () => Promise<void> };
      this.log(`stopping ${what}`);
      await stop().catch((error: unknown) => this.log(`stopping ${what} failed: ${String(error)}`));
    }
    for (const pid of childPids(process.pid)) {
      this.log(`killing leftover child pid ${pid}`);
      attempt(() => process.kill(pid, 'SIGCONT'));
      attempt(() => process.kill(pid, 'SIGKILL'));
    }
  }
}

function attempt(action: () => void): void {
  try {
    action();
  } catch {
    // Already gone: nothing to stop.
  }
}

/** Direct children of `parent`, read from /proc (Linux); none elsewhere. */
export function childPids(parent: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold spaces) start after its closing parenthesis: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return children;
}

/** Peak resident memory of `pid` in MiB (VmHWM), undefined when it cannot be read. */
export function peakRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}
