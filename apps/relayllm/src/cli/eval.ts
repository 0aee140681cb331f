import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRelayClient } from '@relayllm/grpc-api';
import {
  describeSample,
  loadDataset,
  needsEmbeddedEngines,
  parsePolicy,
  runEval,
  needsFullDistributions,
  sampleItems,
  sweepParameter,
  SWEEP_NAMES,
  type EvalSummary,
  type ItemRunner,
  type PolicyOptions,
  type PolicySpec,
} from '@relayllm/eval';
import type { RelayllmConfig } from '../app/config';
import { startEmbeddedEngines, type EmbeddedEngines } from '../app/embedded-engines';
import { evalEngineSetup } from '../app/eval-engine-setup';
import { embeddedItemRunner, targetItemRunner } from '../app/eval-runners';
import { UsageError, type EvalArgs } from './args';
import { log, type CliIo } from './io';

function intFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (value.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(`--${flag} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return v;
}

/** The policy, or one spec per --sweep value (each validated like a single run). */
export function evalSpecs(args: EvalArgs): { specs: PolicySpec[]; dirs: string[]; sweep: boolean } {
  const options: PolicyOptions = {
    p: args.p,
    seed: args.seed,
    threshold: args.threshold,
    k: args.k,
    entropy: args.entropy,
    callBias: args.callBias,
    hideCommands: args.hideCommands,
    maxTurns: args.maxTurns,
    maxLlmTokensPerCall: args.maxLlmTokensPerCall,
  };
  if (args.sweep === undefined) {
    // Sweep-only parameters may be missing from a swept run, not from a single one.
    return { specs: [parsePolicy(args.policy, options)], dirs: [args.out], sweep: false };
  }
  const name = args.policy;
  const param = sweepParameter(name as PolicySpec['name']);
  if (param === undefined) {
    throw new UsageError(`--sweep works with random-router (P values), uncertainty (T values) or relay (call_bias values), not ${name}`);
  }
  const { flag, param: key } = SWEEP_NAMES[param];
  const values = args.sweep.split(',').map((v) => v.trim());
  if (values.length === 0 || values.some((v) => v === '')) throw new UsageError(`--sweep needs a comma-separated list of values, got ${args.sweep}`);
  if (options[param] !== undefined) throw new UsageError(`--${flag} and --sweep are exclusive (the sweep sets ${key})`);
  const specs = values.map((v) => parsePolicy(name, { ...options, [param]: v }));
  return { specs, dirs: values.map((v) => join(args.out, `${key}=${v}`)), sweep: true };
}

const fmt = (x: number): string => x.toFixed(3);

export function summaryLine(summary: EvalSummary, dir: string): string {
  const [lo, hi] = summary.accuracy_ci95;
  const sampled = summary.sample === undefined ? '' : ` (SAMPLE of ${summary.sample.of})`;
  return (
    `${summary.label}: accuracy ${fmt(summary.accuracy)} [${fmt(lo)}, ${fmt(hi)}] n=${summary.n}${sampled}, ` +
    `ρ ${fmt(summary.llm_token_ratio)}, calls/answer ${summary.calls_per_answer.toFixed(2)}, ` +
    `p50 ${summary.latency_ms_p50.toFixed(0)} ms -> ${join(dir, 'summary.json')}`
  );
}

/**
 * `relayllm eval`: runs a policy (or a sweep of one) over a dataset, embedded
 * or against --target. Exit 0 when done, 130 when interrupted (resume with
 * --resume), 2 for a bad command line or dataset.
 */
export async function runEvalCommand(args: EvalArgs, config: RelayllmConfig, io: CliIo, signal: AbortSignal): Promise<number> {
  const { limit, concurrency, maxTokens, temperature } = evalFlags(args, config);
  const { specs, dirs, sweep } = evalSpecs(args);
  const first = specs[0] as PolicySpec;
  if (args.target !== undefined && needsEmbeddedEngines(first)) {
    const policy = first.hideCommands === true ? `${first.name} --hide-commands` : first.name;
    throw new UsageError(`policy ${policy} changes how the SLM decodes or what it sees; it runs on embedded engines only, not with --target`);
  }
  const dataset = await loadDataset(args.dataset);
  for (const problem of dataset.problems) log(io, `${args.dataset}:${problem.line}: skipped: ${problem.message}`);
  const sample = sampleItems(dataset.items, limit);
  if (sample.limit !== null) log(io, describeSample(sample, args.dataset));

  const engines = await evalEngineSetup(config, args.target);
  const runners = await openRunners(args, config, first, concurrency);
  const summaries: EvalSummary[] = [];
  let interrupted = false;
  try {
    for (const [i, spec] of specs.entries()) {
      const dir = dirs[i] as string;
      const result = await runEval({
        dataset,
        spec,
        run: runners.runnerFor(spec),
        outDir: dir,
        engines,
        resume: args.resume,
        concurrency,
        sample,
        maxTokens,
        temperature,
        signal,
        progress: { write: (text) => io.stderr.write(text), isTTY: (io.stderr as { isTTY?: boolean }).isTTY === true },
        datasetLabel: args.dataset,
        modelLabel: args.modelLabel,
      });
      if (result.interrupted) {
        interrupted = true;
        log(io, `interrupted: ${result.summary.n} items in ${join(dir, 'results.jsonl')}; run again with --resume to finish`);
        break;
      }
      summaries.push(result.summary);
      io.stdout.write(`${summaryLine(result.summary, dir)}\n`);
    }
    if (sweep && !interrupted) await writeFile(join(args.out, 'sweep.json'), `${JSON.stringify(summaries, null, 2)}\n`);
  } finally {
    await runners.close();
  }
  return interrupted ? 130 : 0;
}

/** The numeric flags, checked (UsageError naming the flag). */
function evalFlags(args: EvalArgs, config: RelayllmConfig): { limit?: number; concurrency: number; maxTokens: number; temperature: number } {
  const limit = intFlag(args.limit, 'limit', 1, Number.MAX_SAFE_INTEGER);
  const concurrency = intFlag(args.concurrency, 'concurrency', 1, 64) ?? 1;
  const maxTokens = intFlag(args.maxTokens, 'max-tokens', 1, config.maxTokensLimit) ?? config.defaultMaxTokens;
  const temperature = args.temperature === undefined ? 0 : Number(args.temperature);
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2) {
    throw new UsageError(`--temperature must be in [0, 2], got ${String(args.temperature)}`);
  }
  if (args.target !== undefined && !/^(\[[^\]]+\]|[^:]+):\d+$/.test(args.target)) {
    throw new UsageError(`--target must be host:port, got ${args.target}`);
  }
  return { limit, concurrency, maxTokens, temperature };
}

interface EvalRunners {
  runnerFor(spec: PolicySpec): ItemRunner;
  close(): Promise<void>;
}

/** Item runners on embedded engines, or on the RelayService at --target. */
async function openRunners(args: EvalArgs, config: RelayllmConfig, first: PolicySpec, concurrency: number): Promise<EvalRunners> {
  if (args.target === undefined) {
    const engines: EmbeddedEngines = await startEmbeddedEngines({
      ...config,
      sequences: Math.max(config.sequences, concurrency),
      slmProbabilities: needsFullDistributions(first.name) ? 'full' : 'sampled',
    });
    return { runnerFor: (spec) => embeddedItemRunner(engines, config, spec), close: () => engines.close() };
  }
  const client = createRelayClient(args.target);
  try {
    await client.waitForReady(10_000);
  } catch {
    client.close();
    throw new UsageError(`cannot reach a RelayService at --target ${args.target}`);
  }
  return { runnerFor: (spec) => targetItemRunner(client, spec), close: async () => client.close() };
}
