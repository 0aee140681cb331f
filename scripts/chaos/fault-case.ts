/**
 * One row of the matrix: a fresh cluster, a fault-free baseline of the load,
 * then the same load with the fault struck at its scheduled time, compared.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { faultVictim, injectFault } from './faults';
import { peakRssMiB, type ProcessJanitor } from './janitor';
import { runLoad, type LoadRun, type LoadSettings } from './load';
import { countIdentical, summarizeRun, type ChaosRow } from './report';
import { startRig, type ChaosRig } from './rig';
import { strikeAtMs, type FaultSchedule } from './schedule';

export interface FaultCaseSettings extends LoadSettings {
  readonly prompts: readonly string[];
  readonly seed: number;
  /** Plain mode instead of the generated credentials and TLS. */
  readonly insecure: boolean;
  /** Where each process's output goes after the row (undefined: nowhere). */
  readonly logs: string | undefined;
}

/** Each process's output (its last 64 KB) as `<dir>/<fault>/<process>.log`: what explains a failure of the row. */
function saveOutputs(rig: ChaosRig, dir: string, fault: string, log: (line: string) => void): void {
  const folder = join(dir, fault);
  mkdirSync(folder, { recursive: true });
  for (const p of [...rig.cluster.all(), ...(rig.replica === undefined ? [] : [rig.replica])]) writeFileSync(join(folder, `${p.name}.log`), p.output());
  log(`${fault}: process outputs in ${folder}`);
}

interface FaultedRun extends LoadRun {
  readonly struckAtMs: number | undefined;
}

/** The load with the fault struck `atMs` into it; resolves once both the load and the fault are over. */
async function faultedRun(rig: ChaosRig, schedule: FaultSchedule, atMs: number, janitor: ProcessJanitor, settings: FaultCaseSettings, log: (line: string) => void): Promise<FaultedRun> {
  const runId = `chaos-${settings.seed}-${schedule.fault.name}-fault`;
  const started = performance.now();
  let struckAtMs: number | undefined;
  let faultOver: Promise<unknown> = Promise.resolve();
  let faultError: unknown;
  const timer = setTimeout(() => {
    struckAtMs = Math.round(performance.now() - started);
    const strike = async (): Promise<void> => {
      log(`${schedule.fault.name}: striking ${faultVictim(rig, schedule)} at ${struckAtMs} ms`);
      await injectFault(rig, schedule, janitor);
    };
    // Caught here and rethrown below: the load must run to its end whatever the fault did.
    faultOver = strike().catch((error: unknown) => (faultError = error));
  }, atMs);
  const load = await runLoad(rig.clients, settings.prompts, runId, settings);
  clearTimeout(timer);
  await faultOver;
  if (faultError !== undefined) throw faultError;
  return { ...load, struckAtMs };
}

export async function runFaultCase(schedule: FaultSchedule, janitor: ProcessJanitor, settings: FaultCaseSettings, log: (line: string) => void): Promise<ChaosRow> {
  const name = schedule.fault.name;
  log(`${name}: starting a fresh cluster`);
  const rig = await startRig(janitor, log, { secure: !settings.insecure, replica: schedule.fault.target === 'orchestrator', warmUpPrompt: settings.prompts[0] });
  try {
    log(`${name}: baseline, ${settings.prompts.length} generations at concurrency ${settings.concurrency}`);
    const baseline = await runLoad(rig.clients, settings.prompts, `chaos-${settings.seed}-${name}-baseline`, settings);
    const atMs = strikeAtMs(schedule, baseline.wallMs);
    log(`${name}: baseline took ${Math.round(baseline.wallMs)} ms; faulted run, strike at ${atMs} ms`);
    const faulted = await faultedRun(rig, schedule, atMs, janitor, settings, log);
    if (settings.logs !== undefined) saveOutputs(rig, settings.logs, name, log);
    return {
      schedule,
      generations: settings.prompts.length,
      baseline: summarizeRun(baseline.results, baseline.wallMs),
      faulted: summarizeRun(faulted.results, faulted.wallMs),
      identical: countIdentical(baseline.results, faulted.results),
      struckAtMs: faulted.struckAtMs,
      // After orchestrator-kill the replica served the rest.
      orchestratorPeakRssMiB: peakRssMiB(rig.cluster.orchestrator.pid) ?? peakRssMiB(rig.replica?.pid),
    };
  } finally {
    await rig.stop();
  }
}
