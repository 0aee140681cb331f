/**
 * `npm run chaos`: the fault matrix against the local cluster (3 LLM + 2 SLM
 * workers, orchestrator, NATS, Redis; libs/testing startLocalCluster, as
 * `npm run cluster` and the e2e tests). For each fault, on a fresh cluster: a
 * fault-free baseline of N generations (reference prompts, temperature 0),
 * then the same load with the fault struck at a seeded time; prints one
 * Markdown row per fault (failures by gRPC status and reason, outputs
 * identical to the baseline, latency quantiles) and, with --json, JSON.
 * Everything it starts is stopped at the end, on an error and on Ctrl-C.
 * docs/chaos.md has the options and the latest table.
 */
import { writeFileSync } from 'fs';
import { Policy } from '@relayllm/proto';
import { referencePrompts } from '../tests/e2e/prompts';
import { runFaultCase } from './chaos/fault-case';
import { ChaosUsageError } from './chaos/fault-spec';
import { ProcessJanitor } from './chaos/janitor';
import { CHAOS_USAGE, parseChaosArgs, type ChaosOptions } from './chaos/options';
import { jsonRows, markdownTable, type ChaosRow } from './chaos/report';
import { CLUSTER_SHAPE, CHAOS_ORCHESTRATOR_ENV } from './chaos/rig';
import { scheduleFault } from './chaos/schedule';

const log = (line: string): void => void process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

function parseOrExit(): ChaosOptions {
  try {
    return parseChaosArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ChaosUsageError)) throw error;
    process.stderr.write(`chaos: ${error.message}\n${CHAOS_USAGE}\n`);
    process.exit(2);
  }
}

function report(options: ChaosOptions, rows: readonly ChaosRow[]): void {
  const meta = {
    date: new Date().toISOString(),
    command: `npm run chaos -- ${process.argv.slice(2).join(' ')}`.trim(),
    n: options.n,
    concurrency: options.concurrency,
    seed: options.seed,
    max_tokens: options.maxTokens,
    deadline_ms: options.deadlineMs,
    policy: Policy[options.policy],
    security: options.insecure ? 'plain (--insecure)' : 'generated: NATS users, Redis password, SLM mTLS',
    cluster: { ...CLUSTER_SHAPE, orchestrator_env: CHAOS_ORCHESTRATOR_ENV },
  };
  const json = `${JSON.stringify({ ...meta, faults: jsonRows(rows) }, null, 2)}\n`;
  if (options.json?.to === 'stdout') {
    process.stdout.write(json);
    return;
  }
  process.stdout.write(`${markdownTable(rows)}\n`);
  if (options.json?.to === 'file') {
    writeFileSync(options.json.path, json);
    log(`JSON written to ${options.json.path}`);
  }
}

async function main(): Promise<number> {
  const options = parseOrExit();
  if (options.help) {
    process.stdout.write(`${CHAOS_USAGE}\n`);
    return 0;
  }
  const janitor = new ProcessJanitor(log);
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return; // a second Ctrl-C must not cut the clean-up short
    interrupted = true;
    log(`${signal}: cleaning up`);
    void janitor.cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const prompts = referencePrompts(options.n);
  const rows: ChaosRow[] = [];
  try {
    for (const fault of options.faults) {
      const schedule = scheduleFault(fault, options.seed, CLUSTER_SHAPE);
      rows.push(await runFaultCase(schedule, janitor, { ...options, prompts }, log));
    }
    report(options, rows);
    return 0;
  } catch (error) {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (rows.length > 0) report(options, rows);
    return 1;
  } finally {
    await janitor.cleanUp();
  }
}

void main().then((code) => process.exit(code));
