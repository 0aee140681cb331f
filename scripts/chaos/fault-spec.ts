/**
 * The faults `npm run chaos` knows, as names an operator can type:
 * `<target>-<action>[-<duration>]`, e.g. `llm-kill` (kill -9 of one LLM
 * worker, for good), `nats-kill-3s` (kill -9 of NATS, restarted on the same
 * port 3 s later), `slm-freeze-20s` (SIGSTOP of one SLM worker, SIGCONT 20 s
 * later), `orchestrator-kill` (kill -9 of the orchestrator the clients call
 * first; they retry the same request_id on a second replica). Pure: parsing
 * and the default matrix only.
 */

export const FAULT_TARGETS = ['llm', 'slm', 'nats', 'redis', 'orchestrator'] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];
export const FAULT_ACTIONS = ['kill', 'freeze'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

export interface FaultSpec {
  /** As typed, normalised (e.g. `nats-kill-3s`). */
  readonly name: string;
  readonly target: FaultTarget;
  readonly action: FaultAction;
  /**
   * How long the fault lasts before the target is restarted (kill) or
   * resumed (freeze); undefined for a process killed for good (a worker, the orchestrator).
   */
  readonly durationMs: number | undefined;
}

/** The matrix of the resilience issue, in the order it is run. */
export const DEFAULT_FAULTS: readonly string[] = [
  'llm-kill',
  'slm-kill',
  'nats-kill-3s',
  'nats-kill-15s',
  'nats-freeze-10s',
  'slm-freeze-20s',
  'redis-kill-5s',
  'redis-freeze-10s',
  'orchestrator-kill',
];

/** A fault name, flag or number that cannot be used; the message names it and says what is accepted. */
export class ChaosUsageError extends Error {
  override readonly name = 'ChaosUsageError';
}

/** Processes the cluster launcher cannot restart one by one: a kill is for good. */
const APP_TARGETS: readonly FaultTarget[] = ['llm', 'slm', 'orchestrator'];

const FAULT_PATTERN = /^([a-z]+)-([a-z]+)(?:-(\d+)(ms|s))?$/;

function oneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

/** Parses one fault name; throws ChaosUsageError naming the fault and the cause. */
export function parseFault(raw: string): FaultSpec {
  const name = raw.trim();
  const match = FAULT_PATTERN.exec(name);
  if (match === null) throw new ChaosUsageError(`fault "${name}": expected <target>-<action>[-<duration>], e.g. nats-kill-3s`);
  const [, target, action, amount, unit] = match;
  if (!oneOf(FAULT_TARGETS, target)) throw new ChaosUsageError(`fault "${name}": unknown target "${target}" (one of ${FAULT_TARGETS.join(', ')})`);
  if (!oneOf(FAULT_ACTIONS, action)) throw new ChaosUsageError(`fault "${name}": unknown action "${action}" (one of ${FAULT_ACTIONS.join(', ')})`);
  const durationMs = amount === undefined ? undefined : Number(amount) * (unit === 's' ? 1_000 : 1);
  const appKill = action === 'kill' && APP_TARGETS.includes(target);
  if (appKill && durationMs !== undefined) {
    throw new ChaosUsageError(`fault "${name}": a killed ${target} process stays down (the cluster launcher cannot restart one); write ${target}-kill`);
  }
  if (!appKill && durationMs === undefined) throw new ChaosUsageError(`fault "${name}": needs a duration, e.g. ${target}-${action}-10s`);
  if (durationMs !== undefined && (durationMs < 1 || durationMs > 600_000)) {
    throw new ChaosUsageError(`fault "${name}": duration must be between 1 ms and 600 s`);
  }
  return { name, target, action, durationMs };
}

/** A comma-separated list of faults (`--faults a,b`); duplicates are refused (their rows would share a name). */
export function parseFaultList(raw: string): FaultSpec[] {
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new ChaosUsageError('--faults: no fault named');
  const faults = names.map(parseFault);
  const seen = new Set<string>();
  for (const fault of faults) {
    if (seen.has(fault.name)) throw new ChaosUsageError(`--faults: "${fault.name}" given twice`);
    seen.add(fault.name);
  }
  return faults;
}

/** What the fault does, for the table. */
export function describeFault(fault: FaultSpec): string {
  const seconds = fault.durationMs === undefined ? '' : ` ${fault.durationMs / 1_000} s`;
  const what = { llm: 'one LLM worker', slm: 'one SLM worker', nats: 'NATS', redis: 'Redis', orchestrator: 'the orchestrator (clients retry on a 2nd replica)' }[fault.target];
  if (fault.action === 'freeze') return `${what} frozen (SIGSTOP)${seconds}`;
  return fault.durationMs === undefined ? `kill -9 of ${what}` : `${what} killed (-9)${seconds}, restarted`;
}
