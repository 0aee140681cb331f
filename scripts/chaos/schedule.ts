/**
 * When each fault strikes and on which worker, from the seed alone (pure):
 * the same seed gives the same schedule in every run, and a fault's schedule
 * does not depend on which other faults run with it (`--faults nats-kill-3s`
 * strikes as it does in the full matrix).
 */
import { seededRandom } from '../../bench/support/stats';
import type { FaultSpec } from './fault-spec';

/** The fault strikes this far into the faulted run, as a fraction of the baseline run's wall time. */
export const STRIKE_WINDOW = { from: 0.2, to: 0.4 } as const;

export interface FaultSchedule {
  readonly fault: FaultSpec;
  /** Fraction of the baseline's wall time after which the fault strikes (in STRIKE_WINDOW). */
  readonly strikeFraction: number;
  /** 0-based index of the victim among the workers of the fault's role (0 for NATS / Redis). */
  readonly victim: number;
}

/** FNV-1a of the fault's name: mixes the name into the seed. */
function nameHash(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

export function scheduleFault(fault: FaultSpec, seed: number, workers: { llm: number; slm: number }): FaultSchedule {
  const random = seededRandom((seed ^ nameHash(fault.name)) >>> 0);
  const strikeFraction = STRIKE_WINDOW.from + random() * (STRIKE_WINDOW.to - STRIKE_WINDOW.from);
  const pool = fault.target === 'llm' ? workers.llm : fault.target === 'slm' ? workers.slm : 1;
  return { fault, strikeFraction, victim: Math.min(pool - 1, Math.floor(random() * pool)) };
}

/** Milliseconds into the faulted run at which the fault strikes. */
export function strikeAtMs(schedule: FaultSchedule, baselineWallMs: number): number {
  return Math.round(schedule.strikeFraction * baselineWallMs);
}
