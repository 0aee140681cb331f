import { RelayError } from '../errors/relay-error';
import type { Clock } from '../ports/clock';
import type { Engine, EngineChunk, EngineRequest } from '../ports/engine';
import { REFERENCE_PAIR_PROFILE } from '../protocol/reference-pair';
import { ManualClock } from '../testing/manual-clock';
import { ScriptedEngine } from '../testing/scripted-engine';
import type { RelayStreamEvent } from './relay-events';
import type { RelayRequest } from './relay-request';
import { runRelay, type RelayDeps } from './run-relay';

const request: RelayRequest = { generationId: 'gen-7', prompt: 'Q:', maxTokens: 40 };

async function collect(deps: RelayDeps, req: RelayRequest = request, signal = new AbortController().signal): Promise<RelayStreamEvent[]> {
  const events: RelayStreamEvent[] = [];
  for await (const event of runRelay(deps, req, signal)) events.push(event);
  return events;
}

/** A clock that moves 10 ms each time it is read. */
class TickingClock implements Clock {
  private t = 0;
  now(): number {
    this.t += 10;
    return this.t;
  }
}

describe('runRelay', () => {
  it('streams text, relayStarted / relayFinished and completed in order', async () => {
    const slm = new ScriptedEngine(['ab<call>2</call>', 'c</s>'], { mode: 'text', tokensPerChunk: 4 });
    const llm = new ScriptedEngine(['XYZ'], { mode: 'text' });
    const events = await collect({ slm, llm, clock: new TickingClock(), pair: REFERENCE_PAIR_PROFILE });
    expect(events.map((e) => (e.type === 'text' ? `${e.source}:${e.text}` : e.type))).toEqual([
      'SLM:ab',
      'relayStarted',
      'LLM:X',
      'LLM:Y',
      'relayFinished',
      'SLM:c',
      'completed',
    ]);
    expect(events[1]).toEqual({ type: 'relayStarted', callIndex: 0, origin: 'command', requestedN: 2, grantedN: 2 });
    expect(events[4]).toEqual({ type: 'relayFinished', callIndex: 0, tokensWritten: 2, latencyMs: 10 });
    expect(events[6]).toMatchObject({ type: 'completed', finishReason: 'eos', text: 'abXYc', usage: { calls: 1 } });
    const completed = events[6];
    if (completed.type === 'completed') expect(completed.usage.callRecords[0].latencyMs).toBe(10);
  });

  it('aborts the SLM stream once a command is granted, and every stream when done', async () => {
    const slm = new ScriptedEngine(['a<call>1</call>never read', 'b</s>']);
    const llm = new ScriptedEngine(['x']);
    await collect({ slm, llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE });
    expect(slm.signals.map((s) => s.aborted)).toEqual([true, true]);
    expect(llm.signals.map((s) => s.aborted)).toEqual([true]);
  });

  it("sends LLM calls on the generation's llm sequence with the call index as turn, SLM segments with their own turns", async () => {
    const seen: EngineRequest[] = [];
    const llm: Engine = {
      start: async () => undefined,
      close: async () => undefined,
      release: () => undefined,
      async *generate(req: EngineRequest): AsyncIterable<EngineChunk> {
        seen.push(req);
        yield { tokens: [], text: 'ok', tokenCount: 2 };
      },
    };
    const slm = new ScriptedEngine(['<call>2</call>', '<call>2</call>', '.</s>'], { mode: 'text' });
    const events = await collect({ slm, llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE });
    expect(seen.map((r) => [r.sequenceId, r.turn, r.maxTokens, r.context.text])).toEqual([
      ['gen-7/llm', 0, 2, 'Q:'],
      ['gen-7/llm', 1, 2, 'Q:ok'],
    ]);
    expect(slm.requests.map((r) => [r.sequenceId, r.turn])).toEqual([
      ['gen-7/slm', 0],
      ['gen-7/slm', 1],
      ['gen-7/slm', 2],
    ]);
    expect(seen[1]).toMatchObject({ appendOnly: true, appendFrom: { text: 2 } });
    expect(events[events.length - 1]).toMatchObject({ text: 'okok.', usage: { calls: 2, llmTokens: 4 } });
  });

  it('validates the request before any engine is used', async () => {
    const slm = new ScriptedEngine([]);
    await expect(collect({ slm, llm: slm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, { ...request, maxTokens: 0 })).rejects.toMatchObject({
      kind: 'invalid_argument',
      reason: 'MAX_TOKENS_RANGE',
      field: 'maxTokens',
    });
    expect(slm.requests).toHaveLength(0);
  });

  it('wraps an engine failure into RelayError unavailable / ENGINE_FAILED', async () => {
    const cause = new Error('connection reset');
    const slm = new ScriptedEngine(['<call>3</call>']);
    const llm = new ScriptedEngine([{ text: 'abc', failAfterChunks: 1, error: cause }]);
    const failure = await collect({ slm, llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RelayError);
    expect(failure).toMatchObject({ kind: 'unavailable', reason: 'ENGINE_FAILED', cause });
    expect(llm.signals[0].aborted).toBe(true);
  });

  it('wraps a synchronous throw from generate() too', async () => {
    const slm = new ScriptedEngine([]);
    await expect(collect({ slm, llm: slm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE })).rejects.toMatchObject({ reason: 'ENGINE_FAILED' });
  });

  it('finishes cancelled without calling an engine when already aborted', async () => {
    const slm = new ScriptedEngine(['a</s>']);
    const controller = new AbortController();
    controller.abort();
    const events = await collect({ slm, llm: slm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, request, controller.signal);
    expect(events).toEqual([expect.objectContaining({ type: 'completed', finishReason: 'cancelled', text: '' })]);
    expect(slm.requests).toHaveLength(0);
  });

  it.each([
    ['honours', false],
    ['ignores', true],
  ])('cancellation reaches the engine and ends promptly when the engine %s the signal', async (_how, ignoreAbort) => {
    const slm = new ScriptedEngine(['<call>5</call>']);
    const llm = new ScriptedEngine([{ text: 'abcdef', hangAfterChunks: 2, ignoreAbort }]);
    const controller = new AbortController();
    const events: RelayStreamEvent[] = [];
    for await (const event of runRelay({ slm, llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, request, controller.signal)) {
      events.push(event);
      if (event.type === 'text' && event.text === 'b') controller.abort();
    }
    expect(llm.signals[0].aborted).toBe(true);
    const completed = events[events.length - 1];
    expect(completed).toMatchObject({ type: 'completed', finishReason: 'cancelled', text: 'ab' });
    if (completed.type === 'completed') expect(completed.usage.callRecords).toMatchObject([{ grantedN: 5, tokensWritten: 2 }]);
  });

  it('aborts the engine stream when the consumer stops iterating', async () => {
    const slm = new ScriptedEngine([{ text: 'abcdef</s>', hangAfterChunks: 3 }]);
    for await (const event of runRelay({ slm, llm: slm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal)) {
      if (event.type === 'text') break;
    }
    expect(slm.signals[0].aborted).toBe(true);
  });

  it('passes sampling and stop strings to both engines', async () => {
    const slm = new ScriptedEngine(['<call>1</call>', '</s>']);
    const llm = new ScriptedEngine(['z']);
    await collect({ slm, llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, { ...request, sampling: { temperature: 0.5, seed: 3 }, stop: ['###'] });
    for (const r of [...slm.requests, ...llm.requests] as EngineRequest[]) {
      expect(r.sampling).toEqual({ temperature: 0.5, seed: 3 });
      expect(r.stop).toEqual(['###']);
    }
  });

  it("puts a request's callBias on every SLM request and on no LLM request; an unbiased request carries none", async () => {
    const run = async (callBias: number | undefined) => {
      const slm = new ScriptedEngine(['<call>1</call>', '</s>']);
      const llm = new ScriptedEngine(['z']);
      await collect({ slm, llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, { ...request, callBias });
      return { slm: slm.requests.map((r) => r.callBias), llm: llm.requests.map((r) => 'callBias' in r) };
    };
    expect(await run(-2.5)).toEqual({ slm: [-2.5, -2.5], llm: [false] });
    expect(await run(0)).toEqual({ slm: [undefined, undefined], llm: [false] });
    expect(await run(undefined)).toEqual({ slm: [undefined, undefined], llm: [false] });
  });

  it("puts the run's deadline on every SLM and LLM request (LLM_ONLY too); a run without one sends none", async () => {
    const deadlines = async (policy: string, run?: { deadlineAtMs?: number }) => {
      const slm = new ScriptedEngine(['<call>1</call>', '</s>']);
      const llm = new ScriptedEngine(['z']);
      for await (const event of runRelay({ slm, llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, { ...request, policy }, new AbortController().signal, run)) void event;
      return [...slm.requests, ...llm.requests].map((r) => ('deadlineAtMs' in r ? r.deadlineAtMs : 'absent'));
    };
    expect(await deadlines('RELAY', { deadlineAtMs: 1_700_000_003_000 })).toEqual([1_700_000_003_000, 1_700_000_003_000, 1_700_000_003_000]);
    expect(await deadlines('LLM_ONLY', { deadlineAtMs: 1_700_000_003_000 })).toEqual([1_700_000_003_000]);
    expect(await deadlines('RELAY')).toEqual(['absent', 'absent', 'absent']);
  });

  it('refuses a deadline that is not a finite time before any engine is used', async () => {
    const slm = new ScriptedEngine(['</s>']);
    const run = runRelay({ slm, llm: slm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal, { deadlineAtMs: Number.NaN });
    await expect(run.next()).rejects.toThrow(RangeError);
    expect(slm.requests).toHaveLength(0);
  });
});
