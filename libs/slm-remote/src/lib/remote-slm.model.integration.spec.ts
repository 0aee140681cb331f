import { LlamaCppEngine } from '@relayllm/engines';
import { loadLlama, type Llama } from '@relayllm/llama-cpp';
import {
  REFERENCE_CHAT_FORMAT,
  runRelay,
  SystemClock,
  type CompletedEvent,
  type Engine,
  type RelayRequest,
  type RelayStreamEvent,
  REFERENCE_COMMAND_SYNTAX,
  REFERENCE_PAIR_PROFILE,
} from '@relayllm/relay-core';
import { referenceModelDir, REMOTE_SLM_QUESTIONS, until } from '@relayllm/testing';
import { join } from 'path';
import { RemoteSlmEngine, StaticSlmWorkerDirectory } from '../index';
import { startInProcessWorker, type InProcessWorker } from '../testing';

/** The real reference SLM behind an in-process worker: the stream keeps the generation's KV cache across turns. */

describe('RemoteSlmEngine over a worker with the reference SLM (llama.cpp)', () => {
  let llama: Llama;
  let workerSlm: LlamaCppEngine;
  let localSlm: LlamaCppEngine;
  let llm: LlamaCppEngine;
  let worker: InProcessWorker;

  beforeAll(async () => {
    llama = await loadLlama();
    const slm = (): LlamaCppEngine => new LlamaCppEngine({ modelPath: join(referenceModelDir(), 'slm.gguf'), llama, sequences: 2 });
    workerSlm = slm();
    localSlm = slm();
    llm = new LlamaCppEngine({ modelPath: join(referenceModelDir(), 'llm.gguf'), llama, sequences: 2 });
    await Promise.all([workerSlm.start(), localSlm.start(), llm.start()]);
    worker = await startInProcessWorker('w', workerSlm, { maxStreams: 2 });
  }, 60_000);

  // Disposing llama.cpp can outlast jest's 5 s hook default on a loaded machine.
  afterAll(async () => {
    worker?.kill();
    await Promise.all([workerSlm?.close(), localSlm?.close(), llm?.close()]);
    await llama?.dispose();
  }, 30_000);

  async function relay(slm: Engine, question: string, generationId: string, extra: Partial<RelayRequest> = {}): Promise<CompletedEvent> {
    const framed = REFERENCE_CHAT_FORMAT.frame(question);
    const request = { generationId, prompt: framed.text, promptTokens: framed.tokens, maxTokens: 200, sampling: { temperature: 0 }, maxLlmTokensPerCall: 8, ...extra };
    let last: RelayStreamEvent | undefined;
    for await (const event of runRelay({ slm, llm, clock: new SystemClock(), pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal)) last = event;
    if (last?.type !== 'completed') throw new Error('the relay did not complete');
    return last;
  }

  it('evaluates the prompt once and each later token at most once per turn (no re-evaluation from scratch), same output as in process', async () => {
    const remote = new RemoteSlmEngine({ directory: new StaticSlmWorkerDirectory([worker.info]), commandSyntax: () => REFERENCE_COMMAND_SYNTAX });
    let calls = 0;
    try {
      for (const [i, question] of REMOTE_SLM_QUESTIONS.entries()) {
        const local = await relay(localSlm, question, `local-${i}`);
        const before = workerSlm.evaluatedTokens;
        const completed = await relay(remote, question, `remote-${i}`);
        remote.release(`remote-${i}/slm`);
        expect(completed.text).toBe(local.text);
        expect(completed.usage).toMatchObject({ slmTokens: local.usage.slmTokens, llmTokens: local.usage.llmTokens, calls: local.usage.calls });
        const prompt = REFERENCE_CHAT_FORMAT.frame(question).tokens.length;
        const turns = completed.usage.calls + 1;
        calls += completed.usage.calls;
        // As in libs/engines' relay spec: prompt once, then each response token at most once, plus one late id per turn.
        expect(workerSlm.evaluatedTokens - before).toBeLessThanOrEqual(prompt + completed.usage.responseTokens + turns);
      }
    } finally {
      await remote.close();
    }
    expect(calls).toBeGreaterThan(0); // several turns on one stream: the appends were incremental
    // The abandoned stream of the last turn gives its sequence back a moment after `completed`.
    await until(() => workerSlm.busySequences() === 0, "the worker's sequences to be released", 2_000);
    expect(workerSlm.busySequences()).toBe(0);
  }, 120_000);

  it('a confidence floor works through the worker: the token probabilities travel, the same calls as in process', async () => {
    const remote = new RemoteSlmEngine({ directory: new StaticSlmWorkerDirectory([worker.info]), commandSyntax: () => REFERENCE_COMMAND_SYNTAX });
    const floor = { confidenceFloor: { threshold: 0.95, callTokens: 2 }, maxTurns: 64 };
    let floorCalls = 0;
    try {
      for (const [i, question] of REMOTE_SLM_QUESTIONS.entries()) {
        const local = await relay(localSlm, question, `floor-local-${i}`, floor);
        const completed = await relay(remote, question, `floor-remote-${i}`, floor);
        remote.release(`floor-remote-${i}/slm`);
        expect(completed.text).toBe(local.text);
        expect(completed.usage.callRecords.map((c) => [c.origin, c.responseTokenStart])).toEqual(local.usage.callRecords.map((c) => [c.origin, c.responseTokenStart]));
        floorCalls += completed.usage.callRecords.filter((c) => c.origin === 'floor').length;
      }
    } finally {
      await remote.close();
    }
    expect(floorCalls).toBeGreaterThan(0);
  }, 120_000);
});
