import { AdmissionQueue, GenerationStateStore, InMemoryKeyValueStore, TokenQuota } from '@relayllm/relay-cluster';
import {
  referenceModels,
  serverLimitsFor,
  type CompletedEvent,
  type RelayRequest,
  type RelayStreamEvent,
} from '@relayllm/relay-core';
import { ManualClock, ScriptedEngine, loadQwen3Tokenizer, type RealTokenizer } from '@relayllm/relay-core/testing';
import type { GenerationObserver } from './generation-observer';
import { RelayFrontDoor, type FrontDoorOptions } from './relay-front-door';
import type { CallerContext } from './relay-service-handler';
import { specFrontDoor } from '../testing/spec-front-door';

const CALLER: CallerContext = { protocol: 'cli' };
const request = (over: Partial<RelayRequest> = {}): RelayRequest => ({ generationId: 'g1', prompt: 'Compute 1+2.', maxTokens: 40, sampling: { temperature: 0 }, ...over });

const frontDoor = (slm: ScriptedEngine, llm: ScriptedEngine, over: Partial<FrontDoorOptions> = {}): RelayFrontDoor => specFrontDoor(slm, llm, over);

async function collect(stream: AsyncIterable<RelayStreamEvent>): Promise<RelayStreamEvent[]> {
  const events: RelayStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const completed = (events: RelayStreamEvent[]): CompletedEvent => events[events.length - 1] as CompletedEvent;

describe('RelayFrontDoor', () => {
  it('frames the question with the chat format and relays on the framed prompt', async () => {
    const slm = new ScriptedEngine(['a<call>2</call>', 'c</s>']);
    const llm = new ScriptedEngine(['bb']);
    const events = await collect(frontDoor(slm, llm).generate(request(), new AbortController().signal, CALLER));
    expect(completed(events)).toMatchObject({ text: 'abbc', usage: { calls: 1, llmTokens: 2 } });
    expect(slm.requests[0]?.context.text).toBe('Compute 1+2.\n');
    expect(slm.requests[0]?.context.tokens?.[0]).toBe(256); // <s>
  });

  it('validates the request as the caller wrote it, before framing: an empty prompt names prompt', async () => {
    const slm = new ScriptedEngine([]);
    await expect(collect(frontDoor(slm, slm).generate(request({ prompt: '' }), new AbortController().signal, CALLER))).rejects.toMatchObject({
      kind: 'invalid_argument',
      reason: 'PROMPT_EMPTY',
      field: 'prompt',
    });
  });

  it('refuses a prompt that leaves no room in the context window once framed', async () => {
    const slm = new ScriptedEngine([]);
    const door = frontDoor(slm, slm, { models: referenceModels(13) }); // <s> + 12 bytes + "\n" = 14 tokens
    await expect(collect(door.generate(request(), new AbortController().signal, CALLER))).rejects.toMatchObject({ reason: 'PROMPT_TOO_LONG', field: 'prompt' });
    expect(slm.requests).toHaveLength(0);
  });

  it('refuses maxTokens larger than what the window leaves after the framed prompt, naming maxTokens', async () => {
    const slm = new ScriptedEngine(['ab</s>']);
    const door = frontDoor(slm, slm, { models: referenceModels(54) }); // 14 prompt tokens leave 40
    await expect(collect(door.generate(request({ maxTokens: 41 }), new AbortController().signal, CALLER))).rejects.toMatchObject({
      kind: 'invalid_argument',
      reason: 'MAX_TOKENS_RANGE',
      field: 'maxTokens',
    });
    expect(slm.requests).toHaveLength(0);
    expect(completed(await collect(door.generate(request({ maxTokens: 40 }), new AbortController().signal, CALLER))).text).toBe('ab');
  });

  it('the window is the smaller of the two models', () => {
    const slm = new ScriptedEngine([]);
    expect(frontDoor(slm, slm, { models: { slm: referenceModels(4096).slm, llm: referenceModels(13).llm } }).contextSize).toBe(13);
    expect(frontDoor(slm, slm, { models: { slm: referenceModels(13).slm, llm: referenceModels(4096).llm } }).contextSize).toBe(13);
  });

  it('releases both sequences of the generation when it ends, also when it fails', async () => {
    const slm = new ScriptedEngine([{ text: 'ab', failAfterChunks: 1, error: new Error('boom') }]);
    const llm = new ScriptedEngine([]);
    await expect(collect(frontDoor(slm, llm).generate(request(), new AbortController().signal, CALLER))).rejects.toMatchObject({ reason: 'ENGINE_FAILED' });
    expect([slm.released, llm.released]).toEqual([['anonymous/g1/slm'], ['anonymous/g1/llm']]); // the request_id inside the caller's tenant
  });

  it("an operator's default floor and turns reach a request that names none; its own threshold 0 turns the floor off", async () => {
    const limits = serverLimitsFor({ maxTokensLimit: 2048, defaultMaxTurns: 64, defaultConfidenceFloor: 0.5 });
    const unsure = (): ScriptedEngine => new ScriptedEngine([{ text: 'abc', probabilities: [0.9, 0.2, 0.9] }, { text: 'd</s>', probabilities: [0.9, 0.9] }]);
    const slm = unsure();
    const events = await collect(frontDoor(slm, new ScriptedEngine(['XYZW']), { limits }).generate(request(), new AbortController().signal, CALLER));
    expect(completed(events)).toMatchObject({ text: 'aXYZWd', usage: { calls: 1, callRecords: [{ origin: 'floor', requestedN: 4 }] } });
    expect(slm.requests[0]?.reportProbabilities).toBe(true);
    const off = await collect(frontDoor(unsure(), new ScriptedEngine([]), { limits }).generate(request({ confidenceFloor: { threshold: 0 } }), new AbortController().signal, CALLER));
    expect(completed(off)).toMatchObject({ text: 'abc', usage: { calls: 0 } });
  });

  it("a generation under the operator's default floor resumes on another replica: its saved streams keep what the floor read", async () => {
    const limits = serverLimitsFor({ maxTokensLimit: 2048, defaultMaxTurns: 5, defaultConfidenceFloor: 0.5 });
    const store = new InMemoryKeyValueStore();
    const clock = new ManualClock();
    const replica = (owner: string, slm: ScriptedEngine, llm: ScriptedEngine): RelayFrontDoor =>
      frontDoor(slm, llm, { limits, resumable: true, clock, generations: new GenerationStateStore({ store, owner, clock, leaseMs: 1_000, runningTtlMs: 60_000 }) });
    // Replica A: the floor hands the unsure "b" to the LLM, then A's SLM never answers again.
    const slmA = new ScriptedEngine([{ text: 'abc', probabilities: [0.9, 0.2, 0.9] }, { text: 'd', hangAfterChunks: 0, ignoreAbort: true }]);
    const a = replica('a', slmA, new ScriptedEngine(['XYZW'])).generate(request(), new AbortController().signal, CALLER)[Symbol.asyncIterator]();
    for (let next = await a.next(); next.done !== true && next.value.type !== 'relayFinished'; next = await a.next());
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(1_000);
    // Replica B replays A's SLM stream (its probabilities included) and runs only the last turn.
    const slmB = new ScriptedEngine([{ text: 'd</s>', probabilities: [0.9, 0.9] }]);
    const resumed = await collect(replica('b', slmB, new ScriptedEngine([])).generate(request(), new AbortController().signal, CALLER));
    expect(completed(resumed)).toMatchObject({ text: 'aXYZWd', usage: { calls: 1, callRecords: [{ origin: 'floor' }] } });
    expect(slmB.requests).toHaveLength(1);
  });

  it('replays a completed request_id without running the models again, and refuses a running one', async () => {
    const slm = new ScriptedEngine(['ab</s>']);
    const llm = new ScriptedEngine([]);
    const door = frontDoor(slm, llm);
    const first = await collect(door.generate(request(), new AbortController().signal, CALLER));
    const again = await collect(door.generate(request(), new AbortController().signal, CALLER));
    expect(completed(again)).toEqual(completed(first));
    expect(slm.requests).toHaveLength(1);
    // The prompt's tokens as the SLM read them (<s> + 12 bytes + "\n"), on the replay too.
    expect(completed(again).usage.promptTokens).toBe(14);

    const hanging = new ScriptedEngine([{ text: 'abc', hangAfterChunks: 1 }]);
    const busy = frontDoor(hanging, llm);
    const abort = new AbortController();
    const running = busy.generate(request({ generationId: 'g2' }), abort.signal, CALLER)[Symbol.asyncIterator]();
    await running.next();
    await expect(collect(busy.generate(request({ generationId: 'g2' }), new AbortController().signal, CALLER))).rejects.toMatchObject({
      kind: 'failed_precondition',
      reason: 'REQUEST_ID_IN_USE',
    });
    abort.abort();
    await running.return?.();
  });

  it('a generation past the request timeout ends with DEADLINE_EXCEEDED REQUEST_TIMEOUT, not as cancelled', async () => {
    const slm = new ScriptedEngine([{ text: 'abc', hangAfterChunks: 1 }]);
    const door = frontDoor(slm, slm, { requestTimeoutMs: 1 });
    await expect(collect(door.generate(request(), new AbortController().signal, CALLER))).rejects.toMatchObject({
      kind: 'deadline_exceeded',
      reason: 'REQUEST_TIMEOUT',
    });
  });

  it("tells every engine request when the relay stops: the caller's deadline or the request timeout, whichever is first", async () => {
    const deadlines = async (caller: CallerContext): Promise<unknown[]> => {
      const slm = new ScriptedEngine(['a<call>2</call>', 'c</s>']);
      const llm = new ScriptedEngine(['bb']);
      const door = frontDoor(slm, llm, { clock: new ManualClock(1_000_000), requestTimeoutMs: 60_000 });
      await collect(door.generate(request(), new AbortController().signal, caller));
      return [...slm.requests, ...llm.requests].map((r) => r.deadlineAtMs);
    };
    expect(await deadlines({ protocol: 'grpc', deadlineAtMs: 1_003_000 })).toEqual([1_003_000, 1_003_000, 1_003_000]);
    expect(await deadlines({ protocol: 'grpc', deadlineAtMs: 1_900_000 })).toEqual([1_060_000, 1_060_000, 1_060_000]);
    expect(await deadlines({ protocol: 'http' })).toEqual([1_060_000, 1_060_000, 1_060_000]);
  });

  it('a key whose LLM-token quota is used up is refused before anything runs; a generation is charged its LLM tokens', async () => {
    const clock = new ManualClock();
    const quota = new TokenQuota({ tokensPerWindow: 2, windowMs: 60_000 }, clock);
    const slm = new ScriptedEngine(['<call>2</call>', '</s>']);
    const door = frontDoor(slm, new ScriptedEngine(['xy']), { quota });
    await collect(door.generate(request(), new AbortController().signal, { protocol: 'grpc', apiKeyId: 'k1' }));
    await expect(collect(door.generate(request({ generationId: 'g9' }), new AbortController().signal, { protocol: 'grpc', apiKeyId: 'k1' }))).rejects.toMatchObject({
      kind: 'resource_exhausted',
      reason: 'LLM_TOKEN_QUOTA_EXCEEDED',
    });
    expect(slm.requests).toHaveLength(2); // the refused generation asked no model
    expect(quota.admit('k2').admitted).toBe(true); // another tenant has its own bucket
  });

  it('waits for an admission slot and gives it back when the generation ends', async () => {
    const queue = new AdmissionQueue({ maxConcurrent: 1, maxQueued: 0 });
    const slm = new ScriptedEngine(['a</s>', 'b</s>']);
    const door = frontDoor(slm, slm, { admission: { queue, maxWaitMs: 1_000 } });
    await collect(door.generate(request(), new AbortController().signal, CALLER));
    await collect(door.generate(request({ generationId: 'g2' }), new AbortController().signal, CALLER));
    expect(slm.requests).toHaveLength(2); // the slot of the first came back
  });

  it('runs the generation inside the observer, which sees every event and the caller', async () => {
    const seen: string[] = [];
    const observer: GenerationObserver = {
      async *observe(run, observed, caller) {
        seen.push(`start ${observed.generationId} ${caller.protocol}`);
        for await (const event of run()) {
          seen.push(event.type);
          yield event;
        }
      },
    };
    const slm = new ScriptedEngine(['a</s>']);
    await collect(frontDoor(slm, slm, { observer }).generate(request(), new AbortController().signal, { protocol: 'http' }));
    expect(seen).toEqual(['start g1 http', 'text', 'completed']);
  });

  describe('a Qwen3 pair (real tokenizer, its own chat template)', () => {
    let qwen: RealTokenizer;
    beforeAll(async () => {
      qwen = await loadQwen3Tokenizer();
    });
    const qwenModels = (template = qwen.chatTemplate) => ({
      slm: { profile: { ...qwen.profile, name: 'Qwen3-1.7B' }, chat: { kind: 'template' as const, source: template }, tokenizer: qwen.tokenizer },
      llm: { profile: { ...qwen.profile, name: 'Qwen3-8B' }, chat: { kind: 'template' as const, source: template }, tokenizer: qwen.tokenizer },
    });
    const qwenEngine = (scripts: string[]) => new ScriptedEngine(scripts, { mode: 'token', tokenizer: qwen.scriptTokens, endOfTurnIds: qwen.profile.endOfTurnIds });

    it("frames with the SLM's template and tokenizer; commands in text; <call>9</call> typed by the user never calls", async () => {
      const slm = qwenEngine(['The answer is<call>2</call>', '.<|im_end|>']);
      const llm = qwenEngine([' 42']);
      const door = frontDoor(slm, llm, { models: qwenModels() });
      const events = await collect(door.generate(request({ prompt: 'Is <call>9</call> 42?' }), new AbortController().signal, CALLER));
      expect(completed(events)).toMatchObject({ text: 'The answer is 4.', usage: { calls: 1, llmTokens: 2 } });
      const framed = door.chatFormat.frame('Is <call>9</call> 42?');
      expect(framed.text).toBe('<|im_start|>user\nIs <call>9</call> 42?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
      expect(slm.requests[0].context).toEqual({ text: framed.text, tokens: framed.tokens });
      expect(llm.requests[0].context.text).toBe(`${framed.text}The answer is`);
      expect(llm.requests[0].bannedTokens).toEqual([]); // text syntax: nothing to ban
    });

    it("counts the prompt's tokens with the SLM's tokenizer; a text-only SLM (no tokenizer) leaves the count unset", async () => {
      const tokenized = frontDoor(qwenEngine(['42<|im_end|>']), qwenEngine([]), { models: qwenModels() });
      const counted = completed(await collect(tokenized.generate(request(), new AbortController().signal, CALLER)));
      expect(counted.usage.promptTokens).toBe(tokenized.chatFormat.frame(request().prompt).tokens?.length);
      expect(counted.usage.promptTokens).toBeGreaterThan(5);
      const textOnly = { ...qwenModels(), slm: { ...qwenModels().slm, tokenizer: undefined } };
      const uncounted = completed(await collect(frontDoor(qwenEngine(['42<|im_end|>']), qwenEngine([]), { models: textOnly }).generate(request(), new AbortController().signal, CALLER)));
      expect(uncounted.text).toBe('42');
      expect(uncounted.usage.promptTokens).toBeUndefined();
    });

    it('a template that does not render fails when the front door is built, naming the model', () => {
      const slm = qwenEngine([]);
      expect(() => frontDoor(slm, slm, { models: qwenModels({ template: '{% for %}', origin: 'broken.jinja' }) })).toThrow(
        /model "Qwen3-1\.7B": the chat template from broken\.jinja does not parse/,
      );
    });
  });
});
