import { readFile } from 'fs/promises';
import { join } from 'path';
import { greedy, nextTokenDistribution } from './evaluate';
import { createSequence, loadGgufModel, loadLlama, type LoadLlamaOptions } from './load';
import { promptTokens } from './tokens';
import type { Llama, Token } from './types';

/**
 * Parity between the PyTorch models and their GGUF export, as recorded by the
 * training export in `<dir>/parity.json` next to `<dir>/llm.gguf` and `<dir>/slm.gguf`.
 */
export const PARITY_MODELS = ['llm', 'slm'] as const;
export type ParityModel = (typeof PARITY_MODELS)[number];

export interface ParityCase {
  prompt: string;
  /** [BOS] + utf-8 bytes of `prompt`. */
  tokens: number[];
  /** PyTorch greedy continuation: up to `greedyMaxTokens` ids, ends early at EOS. */
  greedy: number[];
  /** PyTorch softmax of the token after `tokens`, one entry per vocabulary id. */
  probs: number[];
}

export interface ParityOptions {
  /** Minimum cases per model (default 20). */
  minCases?: number;
  /** Max allowed |p_llama - p_torch| over all ids (exclusive, default 1e-4). */
  probTolerance?: number;
  /** Generation cap used by the export's greedy runs (default 40). */
  greedyMaxTokens?: number;
  /** Reuse a binding (else one is loaded with `llamaOptions` and disposed). */
  llama?: Llama;
  llamaOptions?: LoadLlamaOptions;
}

export interface ModelParityReport {
  model: ParityModel;
  cases: number;
  maxProbDiff: number;
  /** One line per broken invariant; empty when the model is at parity. */
  failures: string[];
}

export interface ParityReport {
  dir: string;
  ok: boolean;
  maxProbDiff: number;
  models: ModelParityReport[];
  failures: string[];
}

const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(Number.isInteger);

function parseCases(raw: unknown, model: string, file: string): ParityCase[] {
  const list = (raw as Record<string, unknown> | null)?.[model];
  if (!Array.isArray(list)) throw new Error(`${file}: "${model}" is not a list of cases`);
  return list.map((c: Record<string, unknown>, i) => {
    const ok =
      typeof c?.['prompt'] === 'string' &&
      isIntArray(c['tokens']) &&
      isIntArray(c['greedy']) &&
      Array.isArray(c['probs']) &&
      c['probs'].every((p) => typeof p === 'number');
    if (!ok) throw new Error(`${file}: ${model}[${i}] lacks prompt/tokens/greedy/probs`);
    return c as unknown as ParityCase;
  });
}

export async function readParityFile(dir: string): Promise<Record<ParityModel, ParityCase[]>> {
  const file = join(dir, 'parity.json');
  const raw: unknown = JSON.parse(await readFile(file, 'utf8'));
  return { llm: parseCases(raw, 'llm', file), slm: parseCases(raw, 'slm', file) };
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const show = (ids: readonly number[]) => `[${ids.join(',')}]`;

async function modelParity(
  llama: Llama,
  dir: string,
  model: ParityModel,
  cases: ParityCase[],
  opts: Required<Pick<ParityOptions, 'minCases' | 'probTolerance' | 'greedyMaxTokens'>>,
): Promise<ModelParityReport> {
  const failures: string[] = [];
  if (cases.length < opts.minCases) failures.push(`${model}: ${cases.length} cases, need at least ${opts.minCases}`);
  const gguf = await loadGgufModel(llama, join(dir, `${model}.gguf`));
  const longest = Math.max(0, ...cases.map((c) => c.tokens.length));
  const { context, sequence } = await createSequence(gguf);
  let maxProbDiff = 0;
  try {
    if (longest + opts.greedyMaxTokens > context.contextSize) {
      failures.push(`${model}: ${longest}+${opts.greedyMaxTokens} tokens exceed context ${context.contextSize}`);
    }
    for (const [i, c] of cases.entries()) {
      const where = `${model}[${i}] ${JSON.stringify(c.prompt.slice(0, 60))}`;
      const tokens = promptTokens(gguf, c.prompt);
      if (!same(tokens, c.tokens)) failures.push(`${where}: tokens ${show(tokens)} != ${show(c.tokens)}`);
      const ids = c.tokens as Token[];
      const generated = await greedy(sequence, ids, opts.greedyMaxTokens);
      if (!same(generated, c.greedy)) failures.push(`${where}: greedy ${show(generated)} != ${show(c.greedy)}`);
      const dist = await nextTokenDistribution(sequence, ids);
      if (dist.length !== c.probs.length) {
        failures.push(`${where}: ${dist.length} probabilities != ${c.probs.length}`);
        continue;
      }
      let diff = 0;
      for (let id = 0; id < dist.length; id++) diff = Math.max(diff, Math.abs((dist[id] ?? 0) - (c.probs[id] ?? 0)));
      maxProbDiff = Math.max(maxProbDiff, diff);
      if (!(diff < opts.probTolerance)) failures.push(`${where}: max |dp| ${diff.toExponential(3)} >= ${opts.probTolerance}`);
    }
  } finally {
    await context.dispose();
    await gguf.dispose();
  }
  return { model, cases: cases.length, maxProbDiff, failures };
}

/**
 * Checks llm and slm of an export dir against its parity.json: per case, the
 * prompt tokenizes to `tokens`, greedy generation equals `greedy` exactly, and the
 * next-token distribution is within `probTolerance` of `probs` on every id.
 * Resolves with the report (also when it is not ok); throws only when the files
 * cannot be read or loaded (e.g. {@link ModelLoadError}).
 */
export async function checkParity(dir: string, options: ParityOptions = {}): Promise<ParityReport> {
  const opts = {
    minCases: options.minCases ?? 20,
    probTolerance: options.probTolerance ?? 1e-4,
    greedyMaxTokens: options.greedyMaxTokens ?? 40,
  };
  const parity = await readParityFile(dir);
  const llama = options.llama ?? (await loadLlama(options.llamaOptions));
  const models: ModelParityReport[] = [];
  try {
    for (const model of PARITY_MODELS) models.push(await modelParity(llama, dir, model, parity[model], opts));
  } finally {
    if (options.llama === undefined) await llama.dispose();
  }
  const failures = models.flatMap((m) => m.failures);
  return {
    dir,
    ok: failures.length === 0,
    maxProbDiff: Math.max(...models.map((m) => m.maxProbDiff)),
    models,
    failures,
  };
}
