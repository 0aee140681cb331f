/**
 * Handoff overhead of the distributed path (`npm run bench:handoff [-- --handoffs N --warmup W --store redis|memory --n N]`).
 *
 * Question: what does one SLM → LLM → SLM handoff cost in the deployment's
 * own machinery, with models that cost nothing? Everything but the models is
 * real and on loopback: a nats-server child process (startNatsServer), Redis
 * (startRedisServer; `--store memory` = the orchestrator's `off` mode), the
 * apps/slm-worker Nest module serving Decode streams over gRPC, the
 * apps/llm-worker Nest microservice on NATS, and the orchestrator's own
 * backends (apps/orchestrator createNatsBackends: WorkerRegistry,
 * RemoteSlmEngine behind CapacityRetryingSlmEngine, NatsLlmPool with
 * LlmAffinity on the shared store) driven by relay-core's runRelay. Workers
 * and orchestrator share this process (one clock for every mark); NATS and
 * Redis are their own processes. Generations run one at a time, so a handoff
 * never waits for another.
 *
 * Stages of each handoff (performance.now() marks):
 *   route        the SLM frame with `</call>` reaches the relay → the pool publishes the
 *                request (relay session, affinity lookup in the store, worker choice, encoding)
 *   publish      → the LLM worker's subscription receives it (NATS hop)
 *   queue wait   → the worker's engine starts (decode, Nest handler, admission, ack)
 *   first token  → the first LLM chunk reaches the relay (engine, reply built and sent whole
 *                  over NATS, decoded; the zero-cost LLM writes all n tokens at once)
 *   resume       → the first SLM tokens after the call reach the relay (append over the
 *                  gRPC stream, worker generates, first frame back)
 * Prints p50/p99 per stage and in total against the targets
 * (p50 <= 1 ms, p99 <= 5 ms); asserts nothing.
 */
import type { NatsConnection } from '@nats-io/nats-core';
import { NatsLlmPool } from '@relayllm/llm-pool';
import { WorkerKind } from '@relayllm/proto';
import { LlmAffinity } from '@relayllm/relay-cluster';
import { runRelay, sequenceIdOf, SystemClock, type RelayDeps, REFERENCE_PAIR_PROFILE } from '@relayllm/relay-core';
import { startNatsServer, startRedisServer, type NatsServerHandle, type RedisServerHandle } from '@relayllm/testing';
import { cpus, loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig, type OrchestratorConfig } from '../apps/orchestrator/src/app/config';
import { createNatsBackends, type LlmPoolDeps } from '../apps/orchestrator/src/app/nats-backends';
import { createSharedStore, type SharedStoreHandle } from '../apps/orchestrator/src/app/shared-store';
import { startFakeWorkers, type FakeWorkers } from './support/fake-workers';
import {
  HandoffMarks,
  tapPublish,
  tapSubscriptions,
  timedPool,
  timedSlm,
  type HandoffMark,
  type HandoffRecord,
} from './support/handoff-marks';
import { cleanupOnce } from './support/cleanup';
import { mean, p50, p99, printTable } from './support/stats';
import { ZeroCostLlmEngine, ZeroCostSlmEngine } from './support/zero-cost-engines.fake';

const { values } = parseArgs({ options: { handoffs: { type: 'string' }, warmup: { type: 'string' }, store: { type: 'string' }, n: { type: 'string' } } });
const handoffs = Number(values.handoffs ?? 2000);
const warmup = Number(values.warmup ?? 200);
const storeKind = values.store ?? 'redis';
const CALLS_PER_GENERATION = 4; // default maxTurns 5 grants 4 calls
const SCRIPT = { gap: 20, n: Number(values.n ?? 8), calls: CALLS_PER_GENERATION, tail: 4 };

const STAGES: [string, HandoffMark, HandoffMark][] = [
  ['route', 'callSeen', 'routed'],
  ['publish', 'routed', 'workerReceived'],
  ['queue wait', 'workerReceived', 'engineStart'],
  ['first token', 'engineStart', 'firstLlmToken'],
  ['resume', 'firstLlmToken', 'slmResumed'],
  ['</call> → first LLM token', 'callSeen', 'firstLlmToken'],
  ['total (</call> → SLM resumes)', 'callSeen', 'slmResumed'],
];

interface GcPause {
  start: number;
  ms: number;
}

async function waitFor(what: string, ready: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs the generations one at a time, counting GC pauses and preemptions (they explain the tail). */
async function runGenerations(deps: RelayDeps, release: (generationId: string) => void): Promise<{ wallMs: number; gcPauses: GcPause[]; preempted: number }> {
  const generations = Math.ceil((handoffs + warmup) / CALLS_PER_GENERATION);
  const gcPauses: GcPause[] = [];
  const gcObserver = new PerformanceObserver((list) => gcPauses.push(...list.getEntries().map((e) => ({ start: e.startTime, ms: e.duration }))));
  gcObserver.observe({ entryTypes: ['gc'] });
  const preemptedBefore = process.resourceUsage().involuntaryContextSwitches;
  const started = performance.now();
  for (let g = 0; g < generations; g++) {
    const generationId = `handoff-${g}`;
    for await (const event of runRelay(deps, { generationId, prompt: 'Q: bench\n', maxTokens: 512 }, new AbortController().signal)) {
      if (event.type === 'completed' && event.usage.calls !== CALLS_PER_GENERATION) throw new Error(`${generationId}: ${event.usage.calls} calls (${event.finishReason})`);
    }
    release(generationId);
  }
  const wallMs = performance.now() - started;
  gcObserver.disconnect();
  return { wallMs, gcPauses, preempted: process.resourceUsage().involuntaryContextSwitches - preemptedBefore };
}

/** As apps/orchestrator's createLlmPool, on a connection whose relay publishes are marked. */
function markedLlmPool(deps: LlmPoolDeps, config: OrchestratorConfig, marks: HandoffMarks): NatsLlmPool {
  return new NatsLlmPool({
    nc: tapPublish(deps.nc as NatsConnection, marks),
    model: config.llmModel,
    workers: deps.workers,
    affinity: new LlmAffinity({ store: deps.store, model: config.llmModel, ttlMs: config.affinityTtlMs }),
    maxAttempts: config.maxAttempts,
    attemptTimeoutMs: config.llmRequestTimeoutMs,
  });
}

async function main(): Promise<void> {
  let nats: NatsServerHandle | undefined;
  let redis: RedisServerHandle | undefined;
  let workers: FakeWorkers | undefined;
  let shared: SharedStoreHandle | undefined;
  let closeBackends: (() => Promise<void>) | undefined;
  const marks = new HandoffMarks();
  const cleanup = cleanupOnce(async () => {
    await closeBackends?.().catch(() => undefined);
    await shared?.close().catch(() => undefined);
    await workers?.close();
    await redis?.stop();
    await nats?.stop();
  });
  try {
    nats = await startNatsServer();
    if (storeKind === 'redis') redis = await startRedisServer();
    const llmEngine = new ZeroCostLlmEngine();
    llmEngine.onGenerate = () => marks.mark('engineStart');
    workers = await startFakeWorkers({
      natsUrl: nats.url,
      slmEngines: [new ZeroCostSlmEngine(SCRIPT)],
      slmMaxSequences: 4,
      llmEngines: [llmEngine],
      llmMaxSequences: 4,
      tapLlmConnection: (nc) => tapSubscriptions(nc, marks),
    });
    const config = loadConfig({}, { natsUrl: nats.url, redisUrl: redis?.url ?? 'off' });
    shared = createSharedStore(config, { warn: (line) => console.error(line) });
    let registry: { live(kind: WorkerKind, model: string): unknown[] } | undefined;
    let pool: NatsLlmPool | undefined;
    const backends = await createNatsBackends(
      config,
      shared.store,
      (deps) => {
        registry = deps.workers;
        pool = markedLlmPool(deps, config, marks);
        return pool;
      },
      (line) => console.error(line),
    );
    closeBackends = () => backends.close();
    await waitFor('worker heartbeats', () => backends.slmCapacity() > 0 && (registry?.live(WorkerKind.WORKER_KIND_LLM, config.llmModel).length ?? 0) > 0);
    const deps = { slm: timedSlm(backends.slm, marks), llm: timedPool(pool as NatsLlmPool, marks), clock: new SystemClock(), pair: REFERENCE_PAIR_PROFILE };
    // Both sequences released at the end of each generation, as the front door does.
    const release = (generationId: string): void => {
      deps.slm.release(sequenceIdOf(generationId, 'slm'));
      deps.llm.release(sequenceIdOf(generationId, 'llm'));
    };
    const { wallMs, gcPauses, preempted } = await runGenerations(deps, release);
    report(marks.records.slice(warmup), wallMs, gcPauses, preempted, config.redisUrl === 'off' ? 'process memory (--store memory)' : `redis-server ${config.redisUrl}`);
  } finally {
    await cleanup();
  }
}

function report(records: HandoffRecord[], wallMs: number, gcPauses: GcPause[], preempted: number, store: string): void {
  console.log(
    `${records.length} handoffs measured after ${warmup} warm-up (${CALLS_PER_GENERATION} per generation, n = ${SCRIPT.n}, one generation at a time, ${(wallMs / 1000).toFixed(1)} s); ` +
      `store: ${store}; ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(2)}`,
  );
  const rows = STAGES.map(([name, from, to]) => {
    const d = records.map((r) => r[to] - r[from]);
    return [name, p50(d).toFixed(3), p99(d).toFixed(3), mean(d).toFixed(3)];
  });
  printTable(['stage (ms)', 'p50', 'p99', 'mean'], rows);
  const total = records.map((r) => r.slmResumed - r.callSeen);
  const verdict = (value: number, target: number): string => `${value.toFixed(3)} ms (target <= ${target} ms: ${value <= target ? 'met' : 'NOT met'})`;
  const gcTotal = gcPauses.reduce((sum, pause) => sum + pause.ms, 0);
  const hitByGc = (r: HandoffRecord): boolean => gcPauses.some((pause) => pause.start < r.slmResumed && pause.start + pause.ms > r.callSeen);
  const clean = records.filter((r) => !hitByGc(r)).map((r) => r.slmResumed - r.callSeen);
  console.log(
    `GC during the run: ${gcPauses.length} pauses, ${gcTotal.toFixed(1)} ms in all, longest ${Math.max(0, ...gcPauses.map((p) => p.ms)).toFixed(2)} ms; ` +
      `${records.length - clean.length} handoffs had a pause inside, the other ${clean.length}: total p50 ${p50(clean).toFixed(3)} ms, p99 ${p99(clean).toFixed(3)} ms`,
  );
  console.log(`involuntary context switches of this process during the run (the OS gave its core to another process): ${preempted}`);
  console.log(`total p50 ${verdict(p50(total), 1)}, p99 ${verdict(p99(total), 5)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
