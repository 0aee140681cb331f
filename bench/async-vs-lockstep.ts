/**
 * Async relay vs the lockstep batch loop (`npm run bench:lockstep [-- --generations G --concurrency C --seed S]`).
 *
 * Question: how much does running each generation as soon as its engine step
 * is done (relay-core's runRelay per generation, as the orchestrator does)
 * gain over the published reference implementation's schedule, where a batch
 * of generations runs its SLM requests together until every one stopped at a
 * command or ended, then all their LLM requests, round after round?
 *
 * Cost model (the same for both): each model is a batched server whose decode
 * step takes a fixed time whatever the batch size up to `--max-batch`
 * (SLM 5 ms/step, LLM 20 ms/step; one token per sequence per step); prefill is
 * not charged. Time is VIRTUAL: the async run is real runRelay code on
 * simulated engines, and the clock jumps from step to step once every promise
 * chain has settled, so minutes of simulated serving take seconds.
 *
 * Workload (seeded, identical for both): G generations, at most C at once
 * (async: a new one starts when one ends; lockstep: batches of C, the next
 * batch when the whole batch is done); the SLM writes 64..192 text tokens and
 * after each one calls with probability 2%, n drawn like the reference
 * student's (d·10^k). Latency = a generation's start to its last token.
 * Prints figures only; asserts nothing.
 */
import { parseArgs } from 'node:util';
import { asyncRelay, lockstep, type CostModel, type ScheduleResult } from './support/schedules';
import { simulatedWorkload } from './support/simulated-workload';
import { p50, p99, printTable } from './support/stats';

const { values } = parseArgs({
  options: {
    generations: { type: 'string' },
    concurrency: { type: 'string' },
    seed: { type: 'string' },
    'slm-ms': { type: 'string' },
    'llm-ms': { type: 'string' },
    'call-rate': { type: 'string' },
    'max-batch': { type: 'string' },
    cost: { type: 'string' },
  },
});
const concurrency = Number(values.concurrency ?? 256);
const settings = {
  generations: Number(values.generations ?? concurrency * 4),
  concurrency,
  seed: Number(values.seed ?? 7),
  slmMs: Number(values['slm-ms'] ?? 5),
  llmMs: Number(values['llm-ms'] ?? 20),
  callRate: Number(values['call-rate'] ?? 0.02),
  maxBatch: Number(values['max-batch'] ?? 256),
  cost: (values.cost ?? 'step') as CostModel,
};
if (settings.cost !== 'step' && settings.cost !== 'token') throw new Error(`--cost must be step or token, got ${String(settings.cost)}`);
const tokensPerSecond = (r: ScheduleResult): number => ((r.slmTokens + r.llmTokens) / r.makespanMs) * 1000;

function row(name: string, r: ScheduleResult): string[] {
  const batch = (s: { steps: number; tokens: number }): string => `${s.steps} (${(s.tokens / Math.max(1, s.steps)).toFixed(1)})`;
  return [
    name,
    `${(r.makespanMs / 1000).toFixed(2)} s`,
    tokensPerSecond(r).toFixed(0),
    `${(p50(r.latencies) / 1000).toFixed(2)} s`,
    `${(p99(r.latencies) / 1000).toFixed(2)} s`,
    batch(r.slm),
    batch(r.llm),
  ];
}

async function main(): Promise<void> {
  const workload = simulatedWorkload({ generations: settings.generations, callRate: settings.callRate, minSlmTokens: 64, maxSlmTokens: 192, seed: settings.seed });
  const wallStart = performance.now();
  const a = await asyncRelay(workload, settings);
  const wallMs = performance.now() - wallStart;
  const b = lockstep(workload, settings);
  if (a.slmTokens !== b.slmTokens || a.llmTokens !== b.llmTokens || a.calls !== b.calls) {
    throw new Error(`the two schedules did different work: async ${JSON.stringify([a.slmTokens, a.llmTokens, a.calls])}, lockstep ${JSON.stringify([b.slmTokens, b.llmTokens, b.calls])}`);
  }
  console.log(
    `workload: ${settings.generations} generations, ${settings.concurrency} at once, seed ${settings.seed}; ${a.slmTokens} SLM + ${a.llmTokens} LLM tokens, ` +
      `${a.calls} calls (${((a.calls / a.slmTokens) * 100).toFixed(2)}% of SLM tokens, mean n ${(a.llmTokens / Math.max(1, a.calls)).toFixed(1)})`,
  );
  const costModel =
    settings.cost === 'step'
      ? `batched servers, a fixed time per decode step whatever the batch (<= ${settings.maxBatch}): SLM ${settings.slmMs} ms/step, LLM ${settings.llmMs} ms/step`
      : `servers without batching gain, each step costs its time per sequence: SLM ${settings.slmMs} ms/token, LLM ${settings.llmMs} ms/token (--cost token)`;
  console.log(`cost model: ${costModel}; virtual clock (async run took ${(wallMs / 1000).toFixed(1)} s of wall time)`);
  printTable(['schedule', 'makespan', 'tokens/s', 'p50 latency', 'p99 latency', 'SLM steps (mean batch)', 'LLM steps (mean batch)'], [row('async (runRelay)', a), row('lockstep (reference)', b)]);
  const throughputRatio = tokensPerSecond(a) / tokensPerSecond(b);
  const latencyRatio = p50(a.latencies) / p50(b.latencies);
  console.log(`throughput ratio async / lockstep = ${throughputRatio.toFixed(2)}x (target >= 2x: ${throughputRatio >= 2 ? 'met' : 'NOT met'})`);
  console.log(`p50 latency ratio async / lockstep = ${latencyRatio.toFixed(2)} (lockstep p50 is ${(1 / latencyRatio).toFixed(2)}x async's)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
