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
import { runRelay } from '@relayllm/relay-core';
import { parseArgs } from 'node:util';
import { SimulatedLlmEngine, SimulatedSlmEngine } from './support/simulated-engines.fake';
import { simulatedWorkload, slmSegments, type SimulatedGeneration } from './support/simulated-workload';
import { p50, p99, printTable } from './support/stats';
import { runVirtual, VirtualBatchServer, VirtualClock } from './support/virtual-batch-server';

const { values } = parseArgs({
  options: {
    generations: { type: 'string' },
    concurrency: { type: 'string' },
    seed: { type: 'string' },
    'slm-ms': { type: 'string' },
    'llm-ms': { type: 'string' },
    'call-rate': { type: 'string' },
    'max-batch': { type: 'string' },
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
};
const PROMPT = 'Compute 37*48+15-6.\n';

interface ScheduleResult {
  makespanMs: number;
  slmTokens: number;
  llmTokens: number;
  calls: number;
  latencies: number[];
  slm: { steps: number; tokens: number };
  llm: { steps: number; tokens: number };
}

/** (a) runRelay per generation on batched servers: every generation moves as soon as its step is done. */
async function asyncRelay(workload: readonly SimulatedGeneration[]): Promise<ScheduleResult> {
  const clock = new VirtualClock();
  const slmServer = new VirtualBatchServer('SLM', settings.slmMs, settings.maxBatch);
  const llmServer = new VirtualBatchServer('LLM', settings.llmMs, settings.maxBatch);
  const deps = { slm: new SimulatedSlmEngine(slmServer, workload), llm: new SimulatedLlmEngine(llmServer), clock };
  const result: ScheduleResult = { makespanMs: 0, slmTokens: 0, llmTokens: 0, calls: 0, latencies: [], slm: slmServer, llm: llmServer };
  let next = 0;
  let finished = 0;
  const client = async (): Promise<void> => {
    while (next < workload.length) {
      const generation = workload[next++] as SimulatedGeneration;
      const started = clock.now();
      const request = { generationId: generation.id, prompt: PROMPT, maxTokens: 4096, maxTurns: 64 };
      for await (const event of runRelay(deps, request, new AbortController().signal)) {
        if (event.type !== 'completed') continue;
        if (event.finishReason !== 'eos') throw new Error(`${generation.id} ended with ${event.finishReason}`);
        result.slmTokens += event.usage.slmTokens;
        result.llmTokens += event.usage.llmTokens;
        result.calls += event.usage.calls;
      }
      result.latencies.push(clock.now() - started);
      finished += 1;
    }
  };
  const clients = Array.from({ length: settings.concurrency }, client);
  await runVirtual(clock, [slmServer, llmServer], () => finished === workload.length);
  await Promise.all(clients);
  result.makespanMs = clock.now();
  return result;
}

/**
 * (b) The reference lockstep loop, on the same cost model: a batch's SLM phase
 * lasts as long as its longest segment (up to a command or EOS), then its LLM
 * phase as long as its largest n; generations that ended wait for the batch.
 */
function lockstep(workload: readonly SimulatedGeneration[]): ScheduleResult {
  const result: ScheduleResult = { makespanMs: 0, slmTokens: 0, llmTokens: 0, calls: 0, latencies: [], slm: { steps: 0, tokens: 0 }, llm: { steps: 0, tokens: 0 } };
  const stepsFor = (longest: number, batch: number): number => longest * Math.ceil(batch / settings.maxBatch);
  let t = 0;
  for (let first = 0; first < workload.length; first += settings.concurrency) {
    const batchStart = t;
    let active = workload.slice(first, first + settings.concurrency).map((g) => ({ g, segments: slmSegments(g), turn: 0 }));
    while (active.length > 0) {
      const lengths = active.map((a) => a.segments[a.turn] as number);
      const slmSteps = stepsFor(Math.max(...lengths), active.length);
      result.slm.steps += slmSteps;
      const callers: typeof active = [];
      active.forEach((a, i) => {
        const length = lengths[i] as number;
        result.slm.tokens += length;
        if (a.turn === a.g.calls.length) {
          result.slmTokens += length - 1; // EOS is a signal, not a token of the answer
          result.latencies.push(t + length * settings.slmMs - batchStart);
        } else {
          result.slmTokens += length;
          callers.push(a);
        }
      });
      t += slmSteps * settings.slmMs;
      if (callers.length === 0) break;
      const ns = callers.map((a) => a.g.calls[a.turn] as number);
      const llmSteps = stepsFor(Math.max(...ns), callers.length);
      result.llm.steps += llmSteps;
      for (const n of ns) result.llm.tokens += n;
      result.llmTokens += ns.reduce((x, y) => x + y, 0);
      result.calls += callers.length;
      t += llmSteps * settings.llmMs;
      for (const a of callers) a.turn += 1;
      active = callers;
    }
  }
  result.makespanMs = t;
  return result;
}

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
  const a = await asyncRelay(workload);
  const wallMs = performance.now() - wallStart;
  const b = lockstep(workload);
  if (a.slmTokens !== b.slmTokens || a.llmTokens !== b.llmTokens || a.calls !== b.calls) {
    throw new Error(`the two schedules did different work: async ${JSON.stringify([a.slmTokens, a.llmTokens, a.calls])}, lockstep ${JSON.stringify([b.slmTokens, b.llmTokens, b.calls])}`);
  }
  console.log(
    `workload: ${settings.generations} generations, ${settings.concurrency} at once, seed ${settings.seed}; ${a.slmTokens} SLM + ${a.llmTokens} LLM tokens, ` +
      `${a.calls} calls (${((a.calls / a.slmTokens) * 100).toFixed(2)}% of SLM tokens, mean n ${(a.llmTokens / Math.max(1, a.calls)).toFixed(1)})`,
  );
  console.log(`cost model: batched servers, fixed step time per step whatever the batch (<= ${settings.maxBatch}): SLM ${settings.slmMs} ms/step, LLM ${settings.llmMs} ms/step; virtual clock (async run took ${(wallMs / 1000).toFixed(1)} s of wall time)`);
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
