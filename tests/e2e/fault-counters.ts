import type { AppProcessHandle } from '@relayllm/testing';

/** The fault counters the cluster e2e spec reads on the orchestrator's /metrics (whatever their labels). */
export const FAULT_COUNTERS = ['relayllm_llm_reissues_total', 'relayllm_slm_failovers_total', 'relayllm_store_bypass_total', 'relayllm_broker_disconnects_total'] as const;
export type FaultCounter = (typeof FAULT_COUNTERS)[number];

/** The /metrics port a process printed on its ready line (` metrics=<port>`; started with RELAYLLM_METRICS_PORT=0), which its kept output may have lost since. */
function metricsPortOf(process: AppProcessHandle): number {
  const match = / metrics=(\d+)/.exec(process.ready.input ?? '');
  if (match === null) throw new Error(`${process.name} printed no metrics port on its ready line: ${process.ready.input}`);
  return Number(match[1]);
}

/** Each fault counter summed over its labels, as `process` exports it now. */
export async function faultCounts(process: AppProcessHandle): Promise<Record<FaultCounter, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPortOf(process)}/metrics`)).text();
  const counts = Object.fromEntries(FAULT_COUNTERS.map((name) => [name, 0])) as Record<FaultCounter, number>;
  for (const line of text.split('\n')) {
    const match = /^(relayllm_[a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    const name = match?.[1] as FaultCounter | undefined;
    if (match !== null && name !== undefined && name in counts) counts[name] += Number(match[3]);
  }
  return counts;
}

/** How much each fault counter of `process` moved since `before`. */
export async function faultsSince(process: AppProcessHandle, before: Record<FaultCounter, number>): Promise<Record<FaultCounter, number>> {
  const now = await faultCounts(process);
  return Object.fromEntries(FAULT_COUNTERS.map((name) => [name, now[name] - before[name]])) as Record<FaultCounter, number>;
}

/** Runs `fault` and returns its result with how much each fault counter of `process` moved meanwhile. */
export async function faultsDuring<T>(process: AppProcessHandle, fault: () => Promise<T>): Promise<[T, Record<FaultCounter, number>]> {
  const before = await faultCounts(process);
  const result = await fault();
  return [result, await faultsSince(process, before)];
}
