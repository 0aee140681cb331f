import { runRelay, REFERENCE_PAIR_PROFILE } from '@relayllm/relay-core';
import { IN_TASK_PROMPT } from '@relayllm/testing';
import { SimulatedLlmEngine, SimulatedSlmEngine } from './simulated-engines.fake';
import { slmSegments, type SimulatedGeneration } from './simulated-workload';
import { runVirtual, VirtualBatchServer, VirtualClock } from './virtual-batch-server';

/**
 * How a model server spends time: `step` = a decode step costs the same
 * whatever the batch (up to maxBatch; a GPU batching sequences), `token` = it
 * costs its time per sequence in the batch (no batching gain).
 */
export type CostModel = 'step' | 'token';

/** The cost model and concurrency both schedules share. */
export interface ScheduleSettings {
  concurrency: number;
  cost: CostModel;
  /** Decode step of each model (per step, or per sequence in a step: see `cost`). */
  slmMs: number;
  llmMs: number;
  maxBatch: number;
}

const PROMPT = `${IN_TASK_PROMPT}\n`;

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
  const slmServer = new VirtualBatchServer('SLM', (batch) => stepCost(settings, settings.slmMs, batch), settings.maxBatch);
  const llmServer = new VirtualBatchServer('LLM', (batch) => stepCost(settings, settings.llmMs, batch), settings.maxBatch);
  const deps = { slm: new SimulatedSlmEngine(slmServer, workload), llm: new SimulatedLlmEngine(llmServer), clock, pair: REFERENCE_PAIR_PROFILE };
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

/** What one decode step of `batch` sequences costs (ms) under the cost model. */
export function stepCost(settings: Pick<ScheduleSettings, 'cost' | 'maxBatch'>, stepMs: number, batch: number): number {
  return settings.cost === 'step' ? stepMs * Math.ceil(batch / settings.maxBatch) : stepMs * batch;
}

/**
 * One lockstep phase: every member writes its `lengths[i]` tokens, one per
 * step, the phase lasting until the longest is done. Returns when each
 * member wrote its last token (ms from the phase's start) and the phase's length.
 */
function lockstepPhase(lengths: readonly number[], stepMs: number, settings: ScheduleSettings, tally: { steps: number; tokens: number }): { ends: number[]; ms: number } {
  const sorted = lengths.map((length, index) => ({ length, index })).sort((a, b) => a.length - b.length);
  const ends = new Array<number>(lengths.length).fill(0);
  let t = 0;
  let done = 0;
  const longest = sorted[sorted.length - 1]?.length ?? 0;
  for (let step = 1; step <= longest; step++) {
    const active = sorted.length - done;
    t += stepCost(settings, stepMs, active);
    tally.steps += settings.cost === 'step' ? Math.ceil(active / settings.maxBatch) : 1;
    tally.tokens += active;
    for (let next = sorted[done]; next !== undefined && next.length === step; next = sorted[done]) {
      ends[next.index] = t;
      done += 1;
    }
  }
  return { ends, ms: t };
}

/**
 * (b) The reference lockstep loop, on the same cost model: a batch's SLM phase
 * lasts until its longest segment (up to a command or EOS) is written, then
 * its LLM phase until its largest n is; generations that ended wait for the
 * batch, and the next batch starts when the whole batch is done.
 */
export function lockstep(workload: readonly SimulatedGeneration[], settings: ScheduleSettings): ScheduleResult {
  const result: ScheduleResult = { makespanMs: 0, slmTokens: 0, llmTokens: 0, calls: 0, latencies: [], slm: { steps: 0, tokens: 0 }, llm: { steps: 0, tokens: 0 } };
  let t = 0;
  for (let first = 0; first < workload.length; first += settings.concurrency) {
    const batchStart = t;
    let active = workload.slice(first, first + settings.concurrency).map((g) => ({ g, segments: slmSegments(g), turn: 0 }));
    while (active.length > 0) {
      const lengths = active.map((a) => a.segments[a.turn] as number);
      const slm = lockstepPhase(lengths, settings.slmMs, settings, result.slm);
      const callers: typeof active = [];
      active.forEach((a, i) => {
        const length = lengths[i] as number;
        if (a.turn === a.g.calls.length) {
          result.slmTokens += length - 1; // EOS is a signal, not a token of the answer
          result.latencies.push(t + (slm.ends[i] as number) - batchStart);
        } else {
          result.slmTokens += length;
          callers.push(a);
        }
      });
      t += slm.ms;
      if (callers.length === 0) break;
      const ns = callers.map((a) => a.g.calls[a.turn] as number);
      t += lockstepPhase(ns, settings.llmMs, settings, result.llm).ms;
      result.llmTokens += ns.reduce((x, y) => x + y, 0);
      result.calls += callers.length;
      for (const a of callers) a.turn += 1;
      active = callers;
    }
  }
  result.makespanMs = t;
  return result;
}
