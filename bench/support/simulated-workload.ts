import { BYTE_LEVEL_TOKEN_IDS } from '@relayllm/relay-core';
import { seededRandom } from './stats';

/**
 * One generation of the simulated workload, decided up front from a seed so
 * that every schedule (async relay, lockstep batches) runs exactly the same
 * work: the SLM writes `slmGaps[i]` text tokens, then `<call>n_i</call>`; the
 * LLM writes n_i tokens; after the last call the SLM writes `slmTail` tokens
 * and EOS.
 */
export interface SimulatedGeneration {
  id: string;
  /** Text tokens the SLM writes before each call. */
  slmGaps: number[];
  /** n of each call (what the LLM writes). */
  calls: number[];
  /** Text tokens after the last call, before EOS. */
  slmTail: number;
}

export interface WorkloadShape {
  generations: number;
  /** Probability that the SLM writes a command after a text token (the issue: about 2% of tokens). */
  callRate: number;
  /** SLM text tokens per answer, uniform in [min, max]. */
  minSlmTokens: number;
  maxSlmTokens: number;
  seed: number;
}

/**
 * n as the reference student learned it: its warm-up data drew n = d·10^k,
 * d uniform in 1..9, k in {0, 1} (training/relay_train/warmup.py), mean 27.5,
 * which matches the GRPO student's ~28 LLM tokens per call on the test split.
 */
export function referenceCallLength(random: () => number): number {
  const d = 1 + Math.floor(random() * 9);
  return random() < 0.5 ? d : d * 10;
}

export function simulatedWorkload(shape: WorkloadShape): SimulatedGeneration[] {
  const random = seededRandom(shape.seed);
  return Array.from({ length: shape.generations }, (_, g) => {
    const slmTokens = shape.minSlmTokens + Math.floor(random() * (shape.maxSlmTokens - shape.minSlmTokens + 1));
    const slmGaps: number[] = [];
    const calls: number[] = [];
    let gap = 0;
    for (let t = 0; t < slmTokens; t++) {
      gap += 1;
      if (random() < shape.callRate) {
        slmGaps.push(gap);
        calls.push(referenceCallLength(random));
        gap = 0;
      }
    }
    return { id: `sim-${g}`, slmGaps, calls, slmTail: gap };
  });
}

export interface ScriptToken {
  id: number;
  text: string;
}

const FILLER: ScriptToken = { id: 97, text: 'a' };

/** What the SLM writes over the whole generation, as reference byte-level tokens (EOS last). */
export function slmScript(generation: SimulatedGeneration): ScriptToken[] {
  const tokens: ScriptToken[] = [];
  generation.calls.forEach((n, i) => {
    for (let k = 0; k < (generation.slmGaps[i] as number); k++) tokens.push(FILLER);
    tokens.push({ id: BYTE_LEVEL_TOKEN_IDS.CALL, text: '<call>' });
    for (const digit of String(n)) tokens.push({ id: digit.charCodeAt(0), text: digit });
    tokens.push({ id: BYTE_LEVEL_TOKEN_IDS.END_CALL, text: '</call>' });
  });
  for (let k = 0; k < generation.slmTail; k++) tokens.push(FILLER);
  tokens.push({ id: BYTE_LEVEL_TOKEN_IDS.EOS, text: '' });
  return tokens;
}

/** SLM segments (tokens up to and including each `</call>`, then the rest with EOS), for the lockstep schedule. */
export function slmSegments(generation: SimulatedGeneration): number[] {
  const segments = generation.calls.map((n, i) => (generation.slmGaps[i] as number) + 2 + String(n).length);
  segments.push(generation.slmTail + 1);
  return segments;
}
