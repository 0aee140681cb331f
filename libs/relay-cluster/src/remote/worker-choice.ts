/**
 * Which worker one attempt of a remote generate goes to (pure: no transport).
 * One rule for both roles; what differs is given: whether the broker may pick
 * (`anyAllowed`: the LLM's NATS queue group) and whether a worker that looks
 * full may still be asked (`fullAllowed`: an SLM worker answers
 * RESOURCE_EXHAUSTED itself, and its announcement may lag).
 */

/** A live worker's load, from its last heartbeat and this client's own use of it. */
export interface WorkerLoad {
  workerId: string;
  activeSequences: number;
  maxSequences: number;
}

/** Where an attempt goes: one worker, or any worker the broker picks. */
export type WorkerRoute = { kind: 'worker'; workerId: string } | { kind: 'any' };

export interface WorkerChoiceInput {
  live: readonly WorkerLoad[];
  /** The worker that holds the sequence's state (KV cache, stream), if any. */
  preferred?: string;
  /** Workers that failed this generate in the current round. */
  exclude: ReadonlySet<string>;
  /** Workers that just failed as unavailable (killed, shutting down): tried after all others. */
  suspect?: ReadonlySet<string>;
  /** 1-based attempt of the round. */
  attempt: number;
  /** The broker may pick a worker (the first attempt goes to it unless the preferred worker can take it). */
  anyAllowed: boolean;
  /** A worker that looks full may still be chosen when no other is left. */
  fullAllowed: boolean;
}

const hasRoom = (w: WorkerLoad): boolean => w.maxSequences <= 0 || w.activeSequences < w.maxSequences;
const load = (w: WorkerLoad): number => (w.maxSequences > 0 ? w.activeSequences / w.maxSequences : 0);

/** The least-loaded worker of `workers` (ties: lowest id, so the choice is deterministic). */
function leastLoaded(workers: readonly WorkerLoad[]): WorkerLoad | undefined {
  let best: WorkerLoad | undefined;
  for (const w of workers) {
    if (best === undefined || load(w) < load(best) || (load(w) === load(best) && w.workerId < best.workerId)) best = w;
  }
  return best;
}

/**
 * The preferred worker when it is live, not excluded and has room; else, on
 * a first attempt where the broker may pick, any; else the least-loaded
 * eligible worker with room (suspects last), then one that looks full when
 * that is allowed; else any when allowed; undefined when no worker is left.
 */
export function chooseWorker(input: WorkerChoiceInput): WorkerRoute | undefined {
  const eligible = input.live.filter((w) => !input.exclude.has(w.workerId));
  const preferred = eligible.find((w) => w.workerId === input.preferred);
  if (preferred !== undefined && hasRoom(preferred)) return { kind: 'worker', workerId: preferred.workerId };
  if (input.anyAllowed && input.attempt <= 1) return { kind: 'any' };
  const trusted = eligible.filter((w) => !(input.suspect?.has(w.workerId) ?? false));
  const tiers = [trusted.filter(hasRoom), eligible.filter(hasRoom), ...(input.fullAllowed ? [trusted, eligible] : [])];
  for (const tier of tiers) {
    const best = leastLoaded(tier);
    if (best !== undefined) return { kind: 'worker', workerId: best.workerId };
  }
  return input.anyAllowed ? { kind: 'any' } : undefined;
}
