/**
 * One orchestrator under 1,000 concurrent generations (`npm run bench:scale [-- --concurrency C --generations G --store redis|memory --plain]`).
 *
 * Question: how many tokens per second can one orchestrator route, and how
 * much memory does it hold, when the models cost nothing? This process is
 * the orchestrator minus its gRPC front: apps/orchestrator's
 * RelayOrchestrationService (admission, generation state in the shared store
 * at every handoff, output cache, request timeout) on its production backends
 * (createNatsBackends + createLlmPool: WorkerRegistry, RemoteSlmEngine with
 * one gRPC stream per generation, NatsLlmPool with affinity), over a
 * nats-server and a redis-server on loopback. `--plain` runs relay-core's
 * runRelay on the same backends without the service. The workers (1 SLM
 * worker, 2 LLM workers, real apps on zero-cost engines) run in another
 * process (bench/support/fake-workers.cjs), so the memory and CPU measured
 * here are the orchestrator's. C clients each run generations back to back
 * until G are done, so C generations are in flight at once.
 *
 * Prints routed tokens/s (SLM + LLM tokens of completed generations per
 * wall second) and peak RSS (process.memoryUsage().rss sampled every 25 ms,
 * and the kernel's maxRSS) against the 300 MB target; asserts nothing.
 */
import { WorkerKind } from '@relayllm/proto';
import { isRelayError, runRelay, sequenceIdOf, SystemClock, type RelayRequest, type RelayStreamEvent, REFERENCE_PAIR_PROFILE } from '@relayllm/relay-core';
import {
  IN_TASK_PROMPT,
  startAppProcess,
  startNatsServer,
  startRedisServer,
  type AppProcessHandle,
  type NatsServerHandle,
  type RedisServerHandle,
} from '@relayllm/testing';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '../apps/orchestrator/src/app/config';
import { createLlmPool } from '../apps/orchestrator/src/app/llm-pool.factory';
import { createNatsBackends } from '../apps/orchestrator/src/app/nats-backends';
import { RelayOrchestrationService } from '../apps/orchestrator/src/app/relay-orchestration.service';
import { createSharedStore, type SharedStoreHandle } from '../apps/orchestrator/src/app/shared-store';
import { cleanupOnce } from './support/cleanup';
import { p50, p99 } from './support/stats';

const { values } = parseArgs({
  options: { concurrency: { type: 'string' }, generations: { type: 'string' }, store: { type: 'string' }, plain: { type: 'boolean' }, warmup: { type: 'string' } },
});
const concurrency = Number(values.concurrency ?? 1000);
const generations = Number(values.generations ?? concurrency * 3);
const warmupGenerations = Number(values.warmup ?? 100);
const storeKind = values.store ?? 'redis';
const MB = 1024 * 1024;

interface Tally {
  completed: number;
  failed: Map<string, number>;
  slmTokens: number;
  llmTokens: number;
  calls: number;
  latencies: number[];
  inFlight: number;
  peakInFlight: number;
}

async function waitFor(what: string, ready: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Samples the RSS / heap peaks while the load runs. */
class MemorySampler {
  peakRss = 0;
  peakHeap = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, rss);
    this.peakHeap = Math.max(this.peakHeap, heapUsed);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}

/** A full GC on demand (the flag is set at run time, so `npm run bench:scale` needs no node option). */
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;

/** Memory after a full GC: what the generations in flight really hold, without garbage not yet collected. */
interface LiveProbe {
  inFlight: number;
  rss: number;
  heapUsed: number;
}

type Generate = (request: RelayRequest, signal: AbortSignal) => AsyncIterable<RelayStreamEvent>;

async function runLoad(generate: Generate, total: number, clients: number, prefix: string, onHalfway?: (inFlight: number) => void): Promise<Tally> {
  const tally: Tally = { completed: 0, failed: new Map(), slmTokens: 0, llmTokens: 0, calls: 0, latencies: [], inFlight: 0, peakInFlight: 0 };
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < total) {
      const generationId = `${prefix}-${next++}`;
      const started = performance.now();
      tally.inFlight += 1;
      tally.peakInFlight = Math.max(tally.peakInFlight, tally.inFlight);
      try {
        for await (const event of generate({ generationId, prompt: IN_TASK_PROMPT, maxTokens: 256 }, new AbortController().signal)) {
          if (event.type !== 'completed') continue;
          tally.completed += 1;
          if (tally.completed === Math.floor(total / 2)) onHalfway?.(tally.inFlight);
          tally.slmTokens += event.usage.slmTokens;
          tally.llmTokens += event.usage.llmTokens;
          tally.calls += event.usage.calls;
        }
        tally.latencies.push(performance.now() - started);
      } catch (error) {
        const reason = isRelayError(error) ? `${error.kind}/${error.reason}` : String(error);
        tally.failed.set(reason, (tally.failed.get(reason) ?? 0) + 1);
      } finally {
        tally.inFlight -= 1;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return tally;
}

/** The measured run: CPU, wall time, RSS samples and one probe at the peak of in-flight generations. */
async function measureLoad(generate: Generate, store: string): Promise<void> {
  const baselineRss = process.memoryUsage().rss;
  const sampler = new MemorySampler(25);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let probe: LiveProbe | undefined;
  const tally = await runLoad(generate, generations, concurrency, 'scale', (inFlight) => {
    fullGc();
    const { rss, heapUsed } = process.memoryUsage();
    probe = { inFlight, rss, heapUsed };
  });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  sampler.stop();
  report(tally, wallMs, (cpu.user + cpu.system) / 1000, baselineRss, sampler, probe, store);
}

async function main(): Promise<void> {
  let nats: NatsServerHandle | undefined;
  let redis: RedisServerHandle | undefined;
  let workers: AppProcessHandle | undefined;
  let shared: SharedStoreHandle | undefined;
  let closeAll: (() => Promise<void>) | undefined;
  const cleanup = cleanupOnce(async () => {
    await closeAll?.().catch(() => undefined);
    await shared?.close().catch(() => undefined);
    await workers?.stop(5_000);
    await redis?.stop();
    await nats?.stop();
  });
  try {
    nats = await startNatsServer();
    if (storeKind === 'redis') redis = await startRedisServer();
    workers = await startAppProcess({
      name: 'fake-workers',
      script: 'bench/support/fake-workers.cjs',
      args: ['--nats', nats.url, '--slm-sequences', String(Math.max(1024, concurrency)), '--llm-workers', '2', '--llm-sequences', String(Math.max(512, Math.ceil(concurrency / 2)))],
      readyLine: /^fake workers ready/,
    });
    const config = loadConfig(
      {},
      { natsUrl: nats.url, redisUrl: redis?.url ?? 'off', maxConcurrentGenerations: String(concurrency), maxQueuedRequests: String(generations), maxQueueWaitMs: '600000' },
    );
    shared = createSharedStore(config, { warn: (line) => console.error(line) });
    let registry: { live(kind: WorkerKind, model: string): unknown[] } | undefined;
    const backends = await createNatsBackends(
      config,
      shared.store,
      (deps) => {
        registry = deps.workers;
        return createLlmPool(deps);
      },
      (line) => console.error(line),
    );
    const service = new RelayOrchestrationService(config, { backends, store: shared.store, clock: new SystemClock(), replicaId: 'bench-orchestrator' });
    closeAll = async () => {
      service.dispose();
      await backends.close();
    };
    await waitFor('worker heartbeats', () => backends.slmCapacity() >= concurrency && (registry?.live(WorkerKind.WORKER_KIND_LLM, config.llmModel).length ?? 0) >= 2);
    const plain: Generate = async function* (request, signal) {
      try {
        yield* runRelay({ slm: backends.slm, llm: backends.llm, clock: new SystemClock(), pair: REFERENCE_PAIR_PROFILE }, request, signal);
      } finally {
        backends.slm.release(sequenceIdOf(request.generationId, 'slm')); // as the front door does
        backends.llm.release(sequenceIdOf(request.generationId, 'llm'));
      }
    };
    const generate: Generate = values.plain ? plain : (request, signal) => service.generate(request, signal, { protocol: 'grpc' });
    await runLoad(generate, warmupGenerations, Math.min(50, concurrency), 'warm');
    await measureLoad(generate, config.redisUrl === 'off' ? 'process memory (--store memory)' : 'redis-server');
  } finally {
    await cleanup();
  }
}

function report(tally: Tally, wallMs: number, cpuMs: number, baselineRss: number, sampler: MemorySampler, probe: LiveProbe | undefined, store: string): void {
  const tokens = tally.slmTokens + tally.llmTokens;
  const perSecond = (count: number): string => ((count / wallMs) * 1000).toFixed(0);
  const failed = [...tally.failed.entries()].map(([reason, count]) => `${count} ${reason}`).join(', ') || 'none';
  const maxRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    `${values.plain ? 'runRelay on the orchestrator backends (--plain)' : 'RelayOrchestrationService'}; store: ${store}; ` +
      `${tally.completed}/${generations} generations completed (failed: ${failed}), ${concurrency} clients (peak ${tally.peakInFlight} in flight), ` +
      `${cpus().length} cores, load average ${loadavg()[0]?.toFixed(2)}, V8 heap limit ${(getHeapStatistics().heap_size_limit / MB).toFixed(0)} MB`,
  );
  const rows: [string, string][] = [
      ['wall time', `${(wallMs / 1000).toFixed(1)} s`],
    ['orchestrator CPU', `${(cpuMs / 1000).toFixed(1)} s user+sys = ${(cpuMs / wallMs).toFixed(2)} cores (the workers run in another process)`],
      ['routed tokens/s', `${perSecond(tokens)} (${tally.slmTokens} SLM + ${tally.llmTokens} LLM tokens)`],
      ['orchestrator CPU per token', `${((cpuMs * 1000) / Math.max(1, tokens)).toFixed(1)} µs = ${((tokens / Math.max(1, cpuMs)) * 1000).toFixed(0)} routed tokens/s per busy core`],
    ['generations/s', perSecond(tally.completed)],
      ['LLM relays/s', `${perSecond(tally.calls)} (${tally.calls} calls)`],
      ['generation latency p50 / p99', `${(p50(tally.latencies) / 1000).toFixed(2)} s / ${(p99(tally.latencies) / 1000).toFixed(2)} s`],
      ['RSS before the load', `${(baselineRss / MB).toFixed(1)} MB`],
      ['peak RSS (sampled)', `${(sampler.peakRss / MB).toFixed(1)} MB (target <= 300 MB: ${sampler.peakRss <= 300 * MB ? 'met' : 'NOT met'})`],
      ['peak RSS (kernel maxRSS)', `${(maxRss / MB).toFixed(1)} MB`],
      ['peak heap used (sampled)', `${(sampler.peakHeap / MB).toFixed(1)} MB`],
    [
      'live, after a full GC',
      probe === undefined ? 'n/a' : `heap ${(probe.heapUsed / MB).toFixed(1)} MB, RSS ${(probe.rss / MB).toFixed(1)} MB with ${probe.inFlight} generations in flight (halfway)`,
    ],
  ];
  for (const [name, value] of rows) console.log(`${name.padEnd(30)} ${value}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
