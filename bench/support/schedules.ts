import { runRelay } from '@relayllm/relay-core';
import { SimulatedLlmEngine, SimulatedSlmEngine } from './simulated-engines.fake';
import { slmSegments, type SimulatedGeneration } from './simulated-workload';
import { runVirtual, VirtualBatchServer, VirtualClock } from './virtual-batch-server';

/** The cost model and concurrency both schedules share. */
export interface ScheduleSettings {
  concurrency: number;
  /** Decode step of each model, whatever the batch size up to maxBatch. */
  slmMs: number;
  llmMs: number;
  maxBatch: number;
}

const PROMPT = 'Compute 37*48+15-6.\n';

export interface ScheduleResult {
  makespanMs: number;
  slmTokens: number;
  llmTokens: number;
  calls: number;
  latencies: number[];
  slm: { steps: number; tokens: number };
  llm: { steps: number; tokens: number };
}

/** (a) runRelay per generation on batched servers: every generation moves as soon as its step is done. */
export async function asyncRelay(workload: readonly SimulatedGeneration[], settings: ScheduleSettings): Promise<ScheduleResult> {
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
export function lockstep(workload: readonly SimulatedGeneration[], settings: ScheduleSettings): ScheduleResult {
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
