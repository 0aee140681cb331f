import type { NatsConnection } from '@nats-io/nats-core';
import { LlamaCppEngine } from '@relayllm/engines';
import { CALL_CLOSE, CALL_OPEN, EOS, loadLlama, type Llama } from '@relayllm/llama-cpp';
import { connectNats, WorkerRegistry } from '@relayllm/nats-transport';
import { WorkerKind } from '@relayllm/proto';
import { InMemoryKeyValueStore, LlmAffinity } from '@relayllm/relay-cluster';
import {
  REFERENCE_CHAT_FORMAT,
  runRelay,
  sequenceIdOf,
  SystemClock,
  type CompletedEvent,
  type Engine,
  type EngineRequest,
  REFERENCE_PAIR_PROFILE,
} from '@relayllm/relay-core';
import { IN_TASK_PROMPT, referenceModelDir, startAppProcess, startNatsServer, type AppProcessHandle, type NatsServerHandle } from '@relayllm/testing';
import { readFileSync } from 'fs';
import { join } from 'path';
import { NatsLlmPool } from './lib/nats-llm-pool';
import type { LlmRelayOutcome } from './lib/nats-request-transport';

/**
 * The NATS LLM pool against REAL llm-worker processes (apps/llm-worker, the
 * reference llm.gguf) and a private nats-server; the SLM runs in this process.
 * Workers: w1 holds 1 sequence, w2 and w3 hold 2.
 */
const MODELS = referenceModelDir();
const TEST_SET = readFileSync(join(MODELS, 'data/test.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as { question: string; level: number });
/** Longer questions (4 operands) first: the student calls the teacher more often on them. */
const QUESTIONS = [...TEST_SET.filter((q) => q.level === 4).slice(0, 16), ...TEST_SET.filter((q) => q.level === 3).slice(0, 8)].map((q) => q.question);

const waitFor = async (what: string, predicate: () => boolean, limit = 3_000): Promise<void> => {
  for (let i = 0; i < limit && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!predicate()) throw new Error(`still waiting for: ${what}`);
};

async function generate(slm: Engine, llm: Engine, generationId: string, question: string): Promise<CompletedEvent> {
  const framed = REFERENCE_CHAT_FORMAT.frame(question);
  const request = { generationId, prompt: framed.text, promptTokens: framed.tokens, maxTokens: 160, sampling: { temperature: 0 } };
  let completed: CompletedEvent | undefined;
  for await (const event of runRelay({ slm, llm, clock: new SystemClock(), pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal)) {
    if (event.type === 'completed') completed = event;
  }
  if (completed === undefined) throw new Error(`${generationId} did not complete`);
  return completed;
}

async function collectText(stream: AsyncIterable<{ text: string; tokens: readonly number[] }>): Promise<{ text: string; tokens: number[] }> {
  const out = { text: '', tokens: [] as number[] };
  for await (const chunk of stream) {
    out.text += chunk.text;
    out.tokens.push(...chunk.tokens);
  }
  return out;
}

/** Chained relay calls: n per call, and the bytes appended after each LLM output (as if the SLM wrote them). */
const CHAIN_N = 6;
const CHAIN_APPENDED = [...Buffer.from('\n', 'utf8')];

/** An LLM call that cannot end early (EOS and the command ids banned): it runs to the end of the context window. */
const longCall = (generationId: string): EngineRequest => {
  const framed = REFERENCE_CHAT_FORMAT.frame(IN_TASK_PROMPT);
  return {
    turn: 0,
    sequenceId: sequenceIdOf(generationId, 'llm'),
    context: framed,
    appendOnly: false,
    maxTokens: 480,
    sampling: { temperature: 0 },
    stop: [],
    stopTokens: [],
    bannedTokens: [EOS, CALL_OPEN, CALL_CLOSE],
  };
};

describe('NatsLlmPool with real llm-worker processes (reference model)', () => {
  let nats: NatsServerHandle;
  const workers = new Map<string, AppProcessHandle>();
  let nc: NatsConnection;
  let registry: WorkerRegistry;
  let llama: Llama;
  let slm: LlamaCppEngine;
  let localLlm: LlamaCppEngine;
  const store = new InMemoryKeyValueStore();
  const outcomes: LlmRelayOutcome[] = [];
  const sentTo: string[] = [];
  let pool: NatsLlmPool;
  const embedded = new Map<string, CompletedEvent>();

  const liveIds = (): string[] => registry.live(WorkerKind.WORKER_KIND_LLM, 'llm').map((w) => w.workerId);

  /**
   * `calls` relay calls of one generation straight to the pool, each append-only
   * on the previous context + the LLM's output + CHAIN_APPENDED; each output must
   * equal the local (undisturbed) engine's on the same request.
   */
  async function relayChain(generationId: string, question: string, calls: number, afterFirstSent?: () => Promise<void>): Promise<void> {
    const framed = REFERENCE_CHAT_FORMAT.frame(question);
    let context = { text: framed.text, tokens: [...framed.tokens] };
    let previous: typeof context | undefined;
    for (let call = 0; call < calls; call++) {
      const request: EngineRequest = {
        turn: call,
        sequenceId: sequenceIdOf(generationId, 'llm'),
        context,
        appendOnly: previous !== undefined,
        appendFrom: previous === undefined ? undefined : { text: previous.text.length, tokens: previous.tokens.length },
        maxTokens: CHAIN_N,
        sampling: { temperature: 0 },
        stop: [],
        stopTokens: [],
        bannedTokens: [EOS, CALL_OPEN, CALL_CLOSE],
      };
      const running = collectText(pool.generate(request, new AbortController().signal));
      if (call === 0) await afterFirstSent?.();
      const distributed = await running;
      const undisturbed = await collectText(localLlm.generate({ ...request, sequenceId: `local-${generationId}` }, new AbortController().signal));
      expect(distributed).toEqual(undisturbed);
      previous = context;
      context = { text: context.text + distributed.text + '\n', tokens: [...context.tokens, ...distributed.tokens, ...CHAIN_APPENDED] };
    }
  }

  beforeAll(async () => {
    nats = await startNatsServer();
    const spawnWorker = async (id: string, sequences: number): Promise<void> => {
      const handle = await startAppProcess({
        name: id,
        script: 'apps/llm-worker/bin/llm-worker.cjs',
        env: {
          RELAYLLM_NATS_URL: nats.url,
          RELAYLLM_WORKER_ID: id,
          RELAYLLM_LLM_MAX_SEQUENCES: String(sequences),
          RELAYLLM_LLM_THREADS: '1',
          RELAYLLM_GPU: 'off',
          RELAYLLM_HEARTBEAT_INTERVAL_MS: '200',
          RELAYLLM_SHUTDOWN_GRACE_MS: '2000',
          // Plain NATS, on purpose: this spec is about the pool, not the channel's security.
          RELAYLLM_INSECURE: 'true',
        },
        readyLine: /^llm-worker ready id=(\S+)/,
        startTimeoutMs: 90_000,
      });
      workers.set(id, handle);
    };
    await Promise.all([spawnWorker('w1', 1), spawnWorker('w2', 2), spawnWorker('w3', 2)]);
    nc = await connectNats({ servers: nats.url, name: 'llm-pool-spec' });
    registry = new WorkerRegistry(nc, { sweepIntervalMs: 50 });
    registry.start();
    pool = new NatsLlmPool({
      nc,
      model: 'llm',
      workers: registry,
      affinity: new LlmAffinity({ store, model: 'llm' }),
      attemptTimeoutMs: 60_000,
      onRelay: (outcome) => outcomes.push(outcome),
      onAttempt: ({ route }) => sentTo.push(route.kind === 'worker' ? route.workerId : 'queue'),
    });
    llama = await loadLlama({ gpu: false });
    slm = new LlamaCppEngine({ modelPath: join(MODELS, 'slm.gguf'), llama, sequences: 2, threads: 1 });
    localLlm = new LlamaCppEngine({ modelPath: join(MODELS, 'llm.gguf'), llama, sequences: 2, threads: 1 });
    await Promise.all([slm.start(), localLlm.start()]);
    for (const [i, question] of QUESTIONS.entries()) embedded.set(question, await generate(slm, localLlm, `embedded-${i}`, question));
    await waitFor('3 live workers', () => liveIds().length === 3);
  }, 180_000);

  // Disposing llama.cpp can outlast jest's 5 s hook default on a loaded machine.
  afterAll(async () => {
    await Promise.all([...workers.values()].map((w) => w.stop(5_000)));
    registry?.close();
    await nc?.close().catch(() => undefined);
    await nats?.stop();
    await slm?.close();
    await localLlm?.close();
    await llama?.dispose();
  }, 30_000);

  it('relay generations over the pool return exactly what the embedded mode returns', async () => {
    const questions = QUESTIONS.slice(0, 12);
    for (const [i, question] of questions.entries()) {
      const completed = await generate(slm, pool, `seq-${i}`, question);
      expect({ text: completed.text, llmTokens: completed.usage.llmTokens }).toEqual({
        text: embedded.get(question)?.text,
        llmTokens: embedded.get(question)?.usage.llmTokens,
      });
    }
  }, 120_000);

  it("a generation's consecutive relays stay on one worker, which evaluates only the new tokens (+1)", async () => {
    outcomes.length = 0;
    for (let g = 0; g < 3; g++) await relayChain(`chain-${g}`, QUESTIONS[g], 5);
    const byGeneration = new Map<string, LlmRelayOutcome[]>();
    for (const o of outcomes) byGeneration.set(o.generationId, [...(byGeneration.get(o.generationId) ?? []), o]);
    for (const calls of byGeneration.values()) {
      expect(new Set(calls.map((o) => o.workerId)).size).toBe(1);
      for (const o of calls.slice(1)) {
        expect(o.route).toEqual({ kind: 'worker', workerId: calls[0].workerId });
        expect(o.reusedPrefixTokens).toBeGreaterThan(0);
        // New per call: the 6 tokens the LLM wrote + 1 appended; its last token was sampled but never fed, so +1.
        expect(o.evaluatedTokens).toBeLessThanOrEqual(CHAIN_N + CHAIN_APPENDED.length + 1);
      }
    }
    console.log(`[llm-pool] follow-up relays evaluated/reused: ${outcomes.filter((o) => o.callIndex > 0).map((o) => `${o.evaluatedTokens}/${o.reusedPrefixTokens}`).join(' ')}`);
  }, 120_000);

  it('a full worker (1 sequence, busy with another generation) → another worker answers; an aborted relay leaves no busy sequence', async () => {
    outcomes.length = 0;
    await store.set('relay:affinity:gen:llm:long-1', 'w1', 60_000);
    await store.set('relay:affinity:gen:llm:short-1', 'w1', 60_000);
    const controller = new AbortController();
    const longChunks: unknown[] = [];
    const long = (async () => {
      for await (const chunk of pool.generate(longCall('long-1'), controller.signal)) longChunks.push(chunk);
    })();
    await waitFor('w1 busy (its heartbeat says full)', () => registry.get('w1')?.activeSequences === 1);
    const short: EngineRequest = { ...longCall('short-1'), maxTokens: 8, bannedTokens: [CALL_OPEN, CALL_CLOSE] };
    const distributed = await collectText(pool.generate(short, new AbortController().signal));
    const undisturbed = await collectText(localLlm.generate({ ...short, sequenceId: 'local-short' }, new AbortController().signal));
    expect(distributed).toEqual(undisturbed);
    const shortOutcome = outcomes.find((o) => o.generationId === 'short-1');
    expect(shortOutcome?.workerId).not.toBe('w1');

    controller.abort();
    await long;
    expect(longChunks).toEqual([]);
    await waitFor('w1 idle', () => registry.get('w1')?.activeSequences === 0);
    await waitFor('no busy sequence anywhere', () => registry.live(WorkerKind.WORKER_KIND_LLM, 'llm').every((w) => w.activeSequences === 0));
  }, 60_000);

  it('kill -9 of the worker holding a relay: reissued on another worker, outputs equal an undisturbed run', async () => {
    outcomes.length = 0;
    sentTo.length = 0;
    const victim = workers.get('w2');
    expect(victim?.pid).toBeDefined();
    await store.set('relay:affinity:gen:llm:kill-0', 'w2', 60_000);
    // Frozen first, so that the relay sent to it is delivered and never answered; killed once it holds it.
    process.kill(victim?.pid as number, 'SIGSTOP');
    await relayChain('kill-0', QUESTIONS[12], 4, async () => {
      await waitFor('the first relay sent to w2', () => sentTo.includes('w2'));
      victim?.kill('SIGKILL');
    });
    expect(outcomes.every((o) => o.workerId !== 'w2')).toBe(true);
    expect(outcomes[0]?.attempts).toBeGreaterThanOrEqual(2);
    // The generation then stays on the worker that took over.
    expect(new Set(outcomes.map((o) => o.workerId)).size).toBe(1);
    await waitFor('w2 expired', () => !liveIds().includes('w2'));
    // Whole relay generations still equal the embedded mode on the remaining workers.
    for (const [i, question] of QUESTIONS.slice(13, 17).entries()) {
      expect((await generate(slm, pool, `after-kill-${i}`, question)).text).toBe(embedded.get(question)?.text);
    }
  }, 120_000);

  it('SIGTERM: the worker drains, says it is leaving, and exits 0; the pool keeps answering', async () => {
    const leaving = workers.get('w3');
    const left = new Promise<string>((resolve) => registry.onChange((c) => c.type === 'left' && resolve(c.worker.workerId)));
    await leaving?.stop(10_000);
    expect(await left).toBe('w3');
    expect((await leaving?.exited)?.code).toBe(0);
    const completed = await generate(slm, pool, 'after-leave', QUESTIONS[20]);
    expect(completed.text).toBe(embedded.get(QUESTIONS[20])?.text);
  }, 60_000);
});
