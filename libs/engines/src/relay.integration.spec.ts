import { BOS } from '@relayllm/llama-cpp';
import {
  pairProfile,
  REFERENCE_PAIR_PROFILE,
  runRelay,
  SystemClock,
  type CompletedEvent,
  type RelayRequest,
  type RelayStreamEvent,
} from '@relayllm/relay-core';
import { IN_TASK_PROMPT } from '@relayllm/testing';
import { startReferenceLlamaPair, type ReferenceLlamaPair } from './testing/reference-llama-pair';
import { LlamaCppEngine } from './lib/llama/llama-cpp-engine';
import { OpenAiCompletionsEngine } from './lib/openai/openai-completions-engine';
import { FakeVllmServer } from './testing/vllm-server.fake';

/** The engines under relay-core's real driver (runRelay), as a host would wire them. */

async function drain(stream: AsyncIterable<RelayStreamEvent>): Promise<{ events: RelayStreamEvent[]; completed: CompletedEvent }> {
  const events: RelayStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  const completed = events[events.length - 1];
  if (completed?.type !== 'completed') throw new Error('relay did not complete');
  return { events, completed };
}

describe('runRelay over OpenAI-compatible engines (text mode, fake vLLM)', () => {
  let slmServer: FakeVllmServer;
  let llmServer: FakeVllmServer;
  beforeEach(async () => {
    [slmServer, llmServer] = await Promise.all([FakeVllmServer.start('slm'), FakeVllmServer.start('llm')]);
  });
  afterEach(async () => {
    await Promise.all([slmServer.close(), llmServer.close()]);
  });

  it('the SLM calls the LLM with <call>n</call>; each model sees its own view', async () => {
    const slm = new OpenAiCompletionsEngine({ baseUrl: slmServer.url, model: 'slm' });
    const llm = new OpenAiCompletionsEngine({ baseUrl: llmServer.url, model: 'llm' });
    await Promise.all([slm.start(), llm.start()]);
    const unread = Array.from({ length: 100 }, () => 'never read');
    slmServer.script({ tokens: ['37*48', '<call>', '2', '</call>', ...unread], delayMs: 5 }, { tokens: ['\n', '=1785'] });
    llmServer.script({ tokens: ['=17', '76', 'more'] });
    const request: RelayRequest = { generationId: 'g-text', prompt: 'Compute 37*48+15-6.\n', maxTokens: 64, sampling: { temperature: 0 } };
    // Text-only engines: the text parser reads the commands, whatever the profile's syntax.
    const deps = { slm, llm, clock: new SystemClock(), pair: REFERENCE_PAIR_PROFILE };
    const { events, completed } = await drain(runRelay(deps, request, new AbortController().signal));
    expect(events.filter((e) => e.type === 'relayStarted')).toHaveLength(1);
    expect(completed.usage.calls).toBe(1);
    expect(completed.text).toBe('37*48=1776\n=1785');
    // The LLM got the command-free text and max_tokens = the granted n.
    expect(llmServer.requests[0]?.body).toMatchObject({ prompt: 'Compute 37*48+15-6.\n37*48', max_tokens: 2 });
    // The SLM resumes on its own view (command kept) plus the LLM's text.
    expect(slmServer.requests[1]?.body['prompt']).toBe('Compute 37*48+15-6.\n37*48<call>2</call>=1776');
    // The first SLM stream was abandoned right after the command: its connection was closed.
    await slmServer.requests[0]?.closedEarly;
    await Promise.all([slm.close(), llm.close()]);
  });

  // A confidence floor: the SLM's server is asked for logprobs.
  it("the SLM's unsure token goes to the LLM; the SLM is asked for logprobs, the LLM is not", async () => {
    const slm = new OpenAiCompletionsEngine({ baseUrl: slmServer.url, model: 'slm' });
    const llm = new OpenAiCompletionsEngine({ baseUrl: llmServer.url, model: 'llm' });
    await Promise.all([slm.start(), llm.start()]);
    slmServer.script({ tokens: ['37*48', '=', '1777', 'never read'], probabilities: [0.99, 0.98, 0.4, 0.9] }, { tokens: ['\n'], probabilities: [0.97] });
    llmServer.script({ tokens: ['17', '76'] });
    const request: RelayRequest = { generationId: 'g-floor', prompt: 'Compute 37*48.\n', maxTokens: 64, sampling: { temperature: 0 }, confidenceFloor: { threshold: 0.5, callTokens: 2 } };
    const deps = { slm, llm, clock: new SystemClock(), pair: REFERENCE_PAIR_PROFILE };
    const { completed } = await drain(runRelay(deps, request, new AbortController().signal));
    expect(completed.text).toBe('37*48=1776\n');
    expect(completed.usage.callRecords.map((c) => [c.origin, c.requestedN, c.responseTokenStart])).toEqual([['floor', 2, 2]]);
    expect(slmServer.requests.map((r) => [r.body['logprobs'], r.body['prompt']])).toEqual([
      [1, 'Compute 37*48.\n'],
      [1, 'Compute 37*48.\n37*48=1776'],
    ]);
    expect('logprobs' in (llmServer.requests[0]?.body ?? {})).toBe(false);
    await Promise.all([slm.close(), llm.close()]);
  });

  it('a server that ignores logprobs is refused at its first token: FAILED_PRECONDITION CONFIDENCE_FLOOR_UNSUPPORTED', async () => {
    const slm = new OpenAiCompletionsEngine({ baseUrl: slmServer.url, model: 'slm' });
    await slm.start();
    slmServer.script({ tokens: ['37'] });
    const request: RelayRequest = { generationId: 'g-floor-2', prompt: 'Q', maxTokens: 8, confidenceFloor: { threshold: 0.5 } };
    const deps = { slm, llm: slm, clock: new SystemClock(), pair: REFERENCE_PAIR_PROFILE };
    await expect(drain(runRelay(deps, request, new AbortController().signal))).rejects.toMatchObject({ kind: 'failed_precondition', reason: 'CONFIDENCE_FLOOR_UNSUPPORTED' });
    await slm.close();
  });
});

describe('runRelay over llama.cpp engines (token mode, real models)', () => {
  let pair: ReferenceLlamaPair;
  let slm: LlamaCppEngine;
  let llm: LlamaCppEngine;
  beforeAll(async () => {
    pair = await startReferenceLlamaPair({ slm: 2, llm: 2 });
    ({ slm, llm } = pair);
  }, 60_000);
  afterAll(async () => {
    await pair?.close();
  });

  it('completes, leaves no sequence busy, and never re-evaluates a context from scratch', async () => {
    const prompt = `${IN_TASK_PROMPT}\n`;
    // What llama-cpp's promptTokens() gives for the byte-level vocabulary: BOS + UTF-8 bytes.
    const tokens = [BOS, ...Buffer.from(prompt, 'utf8')];
    const before = { slm: slm.evaluatedTokens, llm: llm.evaluatedTokens };
    const request: RelayRequest = { generationId: 'g-tok', prompt, promptTokens: tokens, maxTokens: 120, sampling: { temperature: 0 } };
    // The pair as the engines describe it (the GGUF files), not the reference constants.
    const pair = pairProfile((await slm.describe()).profile, (await llm.describe()).profile);
    expect(pair.idsTravel).toBe(true);
    const { completed } = await drain(runRelay({ slm, llm, clock: new SystemClock(), pair }, request, new AbortController().signal));
    const { usage } = completed;
    expect(usage.responseTokens).toBeLessThanOrEqual(120);
    // runRelay calls an abandoned stream's return() without awaiting it: the
    // lease is given back a moment after `completed`.
    await until(() => slm.busySequences() === 0 && llm.busySequences() === 0, 200);
    // With KV reuse the SLM feeds the prompt once, then each token of the response at most once,
    // plus one late id per turn; re-evaluating from scratch on each turn would exceed this.
    const turns = usage.calls + 1;
    expect(slm.evaluatedTokens - before.slm).toBeLessThanOrEqual(tokens.length + usage.responseTokens + turns);
    console.log(
      `[relay] ${usage.calls} calls, slm ${usage.slmTokens} + llm ${usage.llmTokens} tokens, finish ${completed.finishReason}; ` +
        `evaluated slm ${slm.evaluatedTokens - before.slm}, llm ${llm.evaluatedTokens - before.llm}`,
    );
  });
});

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
