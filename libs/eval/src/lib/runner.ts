import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset, EvalItem } from './dataset';
import { grade } from './graders';
import { corePolicyFor, policyLabel, policyParams, type CorePolicy, type PolicySpec } from './policies';
import { ProgressBar, type ProgressStream } from './progress';
import { readResults, ResultsLog, SUMMARY_FILE, type CallResult, type ItemResult, type UsageResult } from './results';
import { claimRunDir, datasetDigest, type RunSetup } from './run-setup';
import type { DatasetSample } from './sample';
import { summarise, type EvalSummary, type SampleRecord } from './summary';

/** What one item is run as. */
export interface ItemPlan {
  generationId: string;
  policy: CorePolicy;
  maxTokens: number;
  temperature: number;
  seed: number;
}

/** What a generation produced (the transport-neutral part of a per-item result). */
export interface ItemOutcome {
  text: string;
  /** relay-core's finish reason: eos, llm_eos, length, stop, cancelled. */
  finishReason: string;
  usage: UsageResult;
  calls: CallResult[];
  llmPrefillTokens: number | null;
}

/** Runs one item: embedded engines or a server (the app provides it). */
export type ItemRunner = (item: EvalItem, plan: ItemPlan, signal: AbortSignal) => Promise<ItemOutcome>;

export interface RunEvalOptions {
  dataset: Dataset;
  spec: PolicySpec;
  run: ItemRunner;
  outDir: string;
  /**
   * What answers the questions, for `<outDir>/run.json` (e.g. each model file's sha256, or the
   * server's address): with the policy, the dataset and the limits, the setup a resume must match.
   */
  engines: RunSetup;
  /** Keep `<outDir>/results.jsonl` and skip the indices already there (only of the same setup: ResumeMismatchError). */
  resume: boolean;
  /** Items in flight at once (default 1). */
  concurrency?: number;
  /**
   * The items to run when not all of them (`--limit`: see sampleItems); its
   * provenance goes into summary.json as `sample`. Default: every item.
   */
  sample?: DatasetSample;
  maxTokens: number;
  temperature: number;
  /** Stops taking new items (those in flight finish unless the runner honours the signal). */
  signal?: AbortSignal;
  progress?: ProgressStream;
  /** How the dataset is named in summary.json (default: the file as given). */
  datasetLabel?: string;
  /**
   * Names the model pair / checkpoint the run used (e.g. `warm-up`): summary.json
   * gets `model`, and the label becomes `<model>:<policy label>`, so that runs of
   * one policy on different checkpoints stay apart in reports.
   */
  modelLabel?: string;
}

export interface RunEvalResult {
  summary: EvalSummary;
  /** Items run by this call (not counting those resumed from the file). */
  ran: number;
  /** true when the signal stopped the run before every item was done (no summary written then). */
  interrupted: boolean;
}

/** The per-item line: dataset fields first (extras top-level, never overriding a result field), then the outcome. */
export function itemResult(item: EvalItem, plan: ItemPlan, outcome: ItemOutcome, latencyMs: number): ItemResult {
  const graded = grade(outcome.text, item.gold);
  const result: ItemResult = {
    index: item.index,
    question: item.question,
    answer: item.answer,
    gold: item.gold,
    text: outcome.text,
    predicted: graded.predicted,
    correct: graded.correct,
    finish_reason: outcome.finishReason,
    usage: outcome.usage,
    calls: outcome.calls,
    latency_ms: Math.round(latencyMs * 10) / 10,
    llm_prefill_tokens: outcome.llmPrefillTokens,
    routed: plan.policy,
  };
  for (const [key, value] of Object.entries(item.extra)) if (!(key in result)) result[key] = value;
  return result;
}

/** What summary.json says about a `--limit` sample (nothing when every item ran). */
function sampleMeta(sample: DatasetSample | undefined): { sample?: SampleRecord } {
  if (sample === undefined || sample.limit === null) return {};
  return { sample: { limit: sample.limit, of: sample.of, seed: sample.seed, by_level: sample.byLevel } };
}

/** The run's setup (run.json): a sample is not part of it, so a `--limit` run can be resumed whole. */
function runSetup(options: RunEvalOptions): RunSetup {
  const engines = Object.fromEntries(Object.entries(options.engines).map(([key, value]) => [`engines.${key}`, value]));
  return {
    ...engines,
    dataset_sha256: datasetDigest(options.dataset.items),
    policy: options.spec.name,
    params: JSON.stringify(policyParams(options.spec)),
    max_tokens: options.maxTokens,
    temperature: options.temperature,
    seed: options.spec.seed,
  };
}

/** What one item is asked with: a fresh generation id, the policy for this item, the run's limits. */
function itemPlan(index: number, spec: PolicySpec, options: RunEvalOptions): ItemPlan {
  return {
    generationId: `eval-${index}-${randomUUID()}`,
    policy: corePolicyFor(spec, index),
    maxTokens: options.maxTokens,
    temperature: options.temperature,
    seed: spec.seed,
  };
}

/**
 * Runs a policy over a dataset: items not yet in results.jsonl are run with
 * `concurrency` in flight, each appended to results.jsonl as it finishes; when
 * every item is done, summary.json is written from the whole file.
 */
export async function runEval(options: RunEvalOptions): Promise<RunEvalResult> {
  const { dataset, spec, outDir } = options;
  const items = options.sample?.items ?? dataset.items;
  await mkdir(outDir, { recursive: true });
  await claimRunDir(outDir, runSetup(options), options.resume);
  const log = await ResultsLog.open(outDir, options.resume);
  const previous = options.resume ? await readResults(outDir) : [];
  const wanted = new Set(items.map((i) => i.index));
  const done = new Set(previous.filter((r) => wanted.has(r.index)).map((r) => r.index));
  const todo = items.filter((i) => !done.has(i.index));
  const label = options.modelLabel === undefined ? policyLabel(spec) : `${options.modelLabel}:${policyLabel(spec)}`;
  const bar = options.progress === undefined ? undefined : new ProgressBar(options.progress, items.length, done.size, label);
  bar?.draw(true);
  const signal = options.signal ?? new AbortController().signal;

  let next = 0;
  let ran = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!signal.aborted && !failed) {
      const item = todo[next++];
      if (item === undefined) return;
      const plan = itemPlan(item.index, spec, options);
      const started = performance.now();
      let outcome: ItemOutcome;
      try {
        outcome = await options.run(item, plan, signal);
      } catch (error) {
        failed = true; // the other workers take no new item; the results so far stay for --resume
        throw error;
      }
      if (outcome.finishReason === 'cancelled') return; // interrupted: not a result
      const result = itemResult(item, plan, outcome, performance.now() - started);
      await log.append(result);
      ran++;
      bar?.tick(result.correct);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 1, todo.length || 1)) }, () => worker());
  const settled = await Promise.allSettled(workers);
  bar?.finish();
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure !== undefined) throw failure.reason;

  const all = (await readResults(outDir)).filter((r) => wanted.has(r.index));
  const summary = summarise(all, {
    policy: spec.name,
    params: policyParams(spec),
    label,
    dataset: options.datasetLabel ?? dataset.file,
    ...(options.modelLabel === undefined ? {} : { model: options.modelLabel }),
    ...sampleMeta(options.sample),
  });
  const interrupted = all.length < items.length;
  if (!interrupted) await writeFile(join(outDir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
  return { summary, ran, interrupted };
}
