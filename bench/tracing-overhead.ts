/**
 * Tracing overhead (`npm run bench:tracing [-- --models DIR --generations N --rounds R]`).
 *
 * The tracing target: relay throughput with tracing at 100% sampling is at
 * least 0.9 of tracing off. "On" is the full production setup: the relay
 * instrumentation (relay.generate / slm.segment / relay.call / llm.generate /
 * engine.generate spans, relay metrics), an always_on sampler, and the
 * batching OTLP/HTTP protobuf exporter posting to a local sink (a tiny HTTP
 * server in this process that discards the body), so export cost is counted.
 * "Off" is the plain relay (no SDK, what an unconfigured app runs).
 *
 * Two workloads, interleaved off/on per round so background load hits both:
 *  1. the embedded relay on the reference models (what a user runs), 4 in flight;
 *  2. zero-cost scripted engines (two calls per generation): no model time at
 *     all, so this is the worst case, the relay's own cost plus tracing's.
 * Prints generations/s and the on/off ratio of each; asserts nothing.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RelayServiceHandler } from '@relayllm/front-door';
import { createMetricsRegistry, observabilityConfigFromEnv, RelayMetrics, startTracing, type Tracing } from '@relayllm/observability';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { type RelayRequest, referenceModels } from '@relayllm/relay-core';
import { BENCH_FALLBACK_PROMPTS } from '@relayllm/testing';
import { loadConfig } from '../apps/relayllm/src/app/config';
import { startEmbeddedEngines } from '../apps/relayllm/src/app/embedded-engines';
import { createObservedEmbeddedRelay } from '../apps/relayllm/src/app/embedded-observability';

const { values } = parseArgs({ options: { models: { type: 'string' }, generations: { type: 'string' }, rounds: { type: 'string' } } });
const config = loadConfig({ flags: values.models === undefined ? {} : { modelsDir: values.models } });
const GENERATIONS = Number(values.generations ?? 48);
const ROUNDS = Number(values.rounds ?? 3);
const FAKE_GENERATIONS = 2_000;
const CONCURRENCY = 4;

function prompts(count: number): string[] {
  const file = join(config.modelsDir, 'data/test.jsonl');
  const questions = existsSync(file)
    ? readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => String((JSON.parse(l) as { question: string }).question))
    : BENCH_FALLBACK_PROMPTS;
  return Array.from({ length: count }, (_, i) => questions[i % questions.length] as string);
}

/** Runs `requests` through `relay`, `CONCURRENCY` at a time; resolves with the wall time in ms. */
async function run(relay: RelayServiceHandler, requests: RelayRequest[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < requests.length) {
      const request = requests[next++] as RelayRequest;
      for await (const event of relay.generate(request, new AbortController().signal, { protocol: 'cli' })) void event;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return performance.now() - started;
}

/** A local OTLP/HTTP sink: accepts and discards every export. */
async function startSink(): Promise<{ url: string; exports: () => number; close(): Promise<void> }> {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const ratioLine = (name: string, offMs: number, onMs: number, generations: number): string => {
  const off = (generations * 1000) / offMs;
  const on = (generations * 1000) / onMs;
  return `${name.padEnd(34)} off ${off.toFixed(1).padStart(8)} gen/s   on ${on.toFixed(1).padStart(8)} gen/s   ratio ${(on / off).toFixed(3)}`;
};

async function main(): Promise<void> {
  const sink = await startSink();
  const otel = observabilityConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'bench' });
  const tracing: Tracing = startTracing(otel.tracing, { defaultServiceName: 'bench', registerGlobal: false });
  const metrics = new RelayMetrics(createMetricsRegistry({ service: 'bench', defaultMetrics: false }));
  const limits = { ...config, requestTimeoutMs: 600_000 };
  let id = 0;
  const requests = (list: string[], maxTokens: number): RelayRequest[] =>
    list.map((prompt) => ({ generationId: `bench-${id++}`, prompt, maxTokens, sampling: { temperature: 0 } }));

  // 1. Reference models, embedded.
  const engines = await startEmbeddedEngines({ ...config, sequences: CONCURRENCY });
  const real = { off: createObservedEmbeddedRelay(engines, limits, undefined), on: createObservedEmbeddedRelay(engines, limits, { tracing, metrics }) };
  const list = prompts(GENERATIONS);
  await run(real.off, requests(list.slice(0, CONCURRENCY), 128)); // warm-up
  let realOff = 0;
  let realOn = 0;
  for (let round = 0; round < ROUNDS; round++) {
    realOff += await run(real.off, requests(list, 128));
    realOn += await run(real.on, requests(list, 128));
  }
  await engines.close();

  // 2. Zero-cost scripted engines: two calls per generation, nothing else.
  const fake = (observed: boolean): RelayServiceHandler => {
    const slm = new ScriptedEngine(Array.from({ length: FAKE_GENERATIONS }, () => ['ab<call>2</call>', 'c<call>3</call>', 'd</s>']).flat(), { mode: 'text' });
    const llm = new ScriptedEngine(Array.from({ length: FAKE_GENERATIONS }, () => ['XY', 'UVW']).flat(), { mode: 'text' });
    return createObservedEmbeddedRelay({ slm, llm, models: referenceModels(4096) }, limits, observed ? { tracing, metrics } : undefined);
  };
  const fakePrompts = Array.from({ length: FAKE_GENERATIONS }, () => 'Q:');
  let fakeOff = 0;
  let fakeOn = 0;
  for (let round = 0; round < ROUNDS; round++) {
    fakeOff += await run(fake(false), requests(fakePrompts, 40));
    fakeOn += await run(fake(true), requests(fakePrompts, 40));
  }
  await tracing.forceFlush();

  const lines = [
    `tracing overhead: ${ROUNDS} rounds, interleaved off/on; ${CONCURRENCY} generations in flight; on = always_on sampler + batching OTLP/HTTP protobuf export to a local sink`,
    ratioLine(`reference models (${GENERATIONS} prompts)`, realOff, realOn, GENERATIONS * ROUNDS),
    ratioLine(`zero-cost engines (${FAKE_GENERATIONS} gens)`, fakeOff, fakeOn, FAKE_GENERATIONS * ROUNDS),
    `OTLP exports received by the sink: ${sink.exports()}   target: ratio >= 0.9 on the reference models`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await tracing.shutdown();
  await sink.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:tracing failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
