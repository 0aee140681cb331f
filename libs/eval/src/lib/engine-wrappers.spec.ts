import {
  BYTE_LEVEL_TOKEN_IDS,
  runRelay,
  type CompletedEvent,
  type Engine,
  type EngineChunk,
  type EngineRequest,
  type RelayRequest,
  REFERENCE_PAIR_PROFILE,
} from '@relayllm/relay-core';
import { ManualClock, ScriptedEngine } from '@relayllm/relay-core/testing';
import {
  BannedCommandsEngine,
  commandChunk,
  FixedGrantEngine,
  HiddenCommandsEngine,
  PrefillMeterEngine,
  withoutCommandSpans,
  withoutInjectedCommands,
} from './engine-wrappers';
import { entropyOf, topProbability, UncertaintyTriggerEngine } from './uncertainty-trigger';

const BOS = BYTE_LEVEL_TOKEN_IDS.BOS;

function request(prompt: string, extra: Partial<RelayRequest> = {}): RelayRequest {
  return { generationId: 'g1', prompt, promptTokens: [BOS, ...Buffer.from(prompt)], maxTokens: 64, ...extra };
}

async function complete(slm: Engine, llm: Engine, req: RelayRequest): Promise<CompletedEvent> {
  for await (const event of runRelay({ slm, llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, req, new AbortController().signal)) {
    if (event.type === 'completed') return event;
  }
  throw new Error('no completion');
}

async function collect(chunks: AsyncIterable<EngineChunk>): Promise<EngineChunk[]> {
  const out: EngineChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

const engineRequest = (over: Partial<EngineRequest> = {}): EngineRequest => ({
  sequenceId: 'g/slm',
  turn: 0,
  context: { text: 'q\n' },
  appendOnly: false,
  maxTokens: 16,
  sampling: {},
  stopTokens: [],
  stop: [],
  bannedTokens: [],
  ...over,
});

/** An SLM that writes `text` one byte id per chunk, each with the given top probability (rest spread evenly over 260 ids). */
class DistributionEngine implements Engine {
  readonly requests: EngineRequest[] = [];
  constructor(
    private readonly text: string,
    private readonly tops: number[],
    private readonly withDistributions = true,
  ) {}
  start(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  release(): void {
    // keeps nothing per sequence
  }
  async *generate(req: EngineRequest): AsyncGenerator<EngineChunk & { distributions?: Float64Array[] }> {
    this.requests.push(req);
    const bytes = [...Buffer.from(this.text)];
    for (const [i, id] of bytes.entries()) {
      const top = this.tops[i] ?? 1;
      const dist = new Float64Array(260).fill((1 - top) / 259);
      dist[id] = top;
      yield { tokens: [id], text: String.fromCharCode(id), ...(this.withDistributions ? { distributions: [dist] } : {}) };
    }
  }
}

describe('FixedGrantEngine', () => {
  it('every well-formed command becomes <call>K</call>: the LLM writes exactly K tokens whatever n was asked', async () => {
    const slm = new FixedGrantEngine(new ScriptedEngine(['ab<call>2</call>', 'c</s>']), 5);
    const llm = new ScriptedEngine(['VWXYZ-more']);
    const done = await complete(slm, llm, request('q'));
    expect(done.text).toBe('abVWXYZc');
    expect(done.usage.callRecords).toEqual([expect.objectContaining({ requestedN: 5, grantedN: 5, tokensWritten: 5 })]);
  });

  it('passes malformed commands through unchanged (they never call)', async () => {
    const slm = new FixedGrantEngine(new ScriptedEngine(['a<call>x</call>b</s>']), 5);
    const done = await complete(slm, new ScriptedEngine([]), request('q'));
    expect(done.usage.calls).toBe(0);
    expect(done.usage.malformedCommands).toBe(1);
    expect(done.text).toBe('ab'); // relay-core strips the malformed command span
  });

  it('a <call> inside an open command (nested) starts the next candidate: its well-formed command is rewritten too', async () => {
    const slm = new FixedGrantEngine(new ScriptedEngine(['a<call><call>50</call>', 'b</s>']), 3);
    const done = await complete(slm, new ScriptedEngine(['XYZ-more']), request('q'));
    expect(done.usage.malformedCommands).toBe(1);
    expect(done.usage.callRecords).toEqual([expect.objectContaining({ requestedN: 3, grantedN: 3, tokensWritten: 3 })]);
    expect(done.text).toBe('aXYZb');
  });
});

describe('BannedCommandsEngine', () => {
  it('adds the command ids to the SLM request bans', async () => {
    const inner = new ScriptedEngine(['ab</s>']);
    await collect(new BannedCommandsEngine(inner).generate(engineRequest({ bannedTokens: [7] }), new AbortController().signal));
    expect(inner.requests[0]?.bannedTokens).toEqual([7, BYTE_LEVEL_TOKEN_IDS.CALL, BYTE_LEVEL_TOKEN_IDS.END_CALL]);
  });
});

describe('HiddenCommandsEngine', () => {
  const ids = (s: string): number[] => [...Buffer.from(s)];
  const { CALL, END_CALL } = BYTE_LEVEL_TOKEN_IDS;

  it('the SLM gets its context without its own command spans; bans and append offsets follow', async () => {
    // <s> "q\n" "a" <call>12</call> "XY" | "b" — the previous request ended after "XY".
    const before = [BOS, ...ids('q\na'), CALL, 0x31, 0x32, END_CALL, ...ids('XY')];
    const inner = new ScriptedEngine(['c</s>']);
    const req = engineRequest({
      context: { text: 'q\na<call>12</call>XYb', tokens: [...before, ...ids('b')] },
      appendOnly: true,
      appendFrom: { text: 'q\na<call>12</call>XY'.length, tokens: before.length },
    });
    await collect(new HiddenCommandsEngine(inner).generate(req, new AbortController().signal));
    const seen = inner.requests[0];
    expect(seen?.context).toEqual({ text: 'q\naXYb', tokens: [BOS, ...ids('q\naXYb')] });
    expect(seen?.appendFrom).toEqual({ text: 'q\naXY'.length, tokens: before.length - 4 });
    // The SLM may still write commands: hiding them is not banning them.
    expect(seen?.bannedTokens).toEqual([]);
  });

  it('passes a command-free request to the inner engine as it is', async () => {
    const inner = new ScriptedEngine(['c</s>']);
    // Text the ids would not rebuild (a rewrite would drop the literal "<s>"), typed command text, append offsets.
    const context = { text: '<s>q <call>5</call>\n', tokens: [BOS, ...ids('q <call>5</call>\n')] };
    const req = engineRequest({ context, appendOnly: true, appendFrom: { text: 3, tokens: 1 } });
    await collect(new HiddenCommandsEngine(inner).generate(req, new AbortController().signal));
    expect(inner.requests[0]).toEqual(req);
  });

  it('in the relay: the SLM writes and calls as usual, but never sees its commands again', async () => {
    const inner = new ScriptedEngine(['ab<call>2</call>', 'c</s>']);
    const done = await complete(new HiddenCommandsEngine(inner), new ScriptedEngine(['XY']), request('q'));
    expect(done.usage.callRecords).toEqual([expect.objectContaining({ requestedN: 2, tokensWritten: 2 })]);
    expect(done.text).toBe('abXYc');
    const second = inner.requests[1]?.context.tokens ?? [];
    expect(second.includes(CALL) || second.includes(END_CALL)).toBe(false);
    expect(second.slice(-4)).toEqual(ids('abXY'));
  });
});

describe('UncertaintyTriggerEngine', () => {
  it('injects <call>K</call> before an uncertain token (top probability < T), bans the SLM commands', async () => {
    const inner = new DistributionEngine('abc', [0.9, 0.3, 0.9]);
    const engine = new UncertaintyTriggerEngine(inner, { threshold: 0.5, k: 2, entropy: false, maxCalls: 10 });
    const chunks = await collect(engine.generate(engineRequest(), new AbortController().signal));
    expect(chunks.map((c) => c.text)).toEqual(['a', '<call>2</call>', 'b', 'c']);
    expect(chunks[1]?.tokens).toEqual([BYTE_LEVEL_TOKEN_IDS.CALL, 0x32, BYTE_LEVEL_TOKEN_IDS.END_CALL]);
    expect(inner.requests[0]?.bannedTokens).toEqual([BYTE_LEVEL_TOKEN_IDS.CALL, BYTE_LEVEL_TOKEN_IDS.END_CALL]);
    expect(engine.injected('g/slm')).toBe(1);
  });

  it('entropy mode triggers above T; maxCalls bounds the injections per generation', async () => {
    const engine = new UncertaintyTriggerEngine(new DistributionEngine('abcd', [0.2, 0.2, 0.2, 0.99]), {
      threshold: 1,
      k: 3,
      entropy: true,
      maxCalls: 2,
    });
    const chunks = await collect(engine.generate(engineRequest(), new AbortController().signal));
    expect(chunks.map((c) => c.text)).toEqual(['<call>3</call>', 'a', '<call>3</call>', 'b', 'c', 'd']);
  });

  it('in the relay: the LLM writes K tokens in place of the uncertain one, then the SLM goes on', async () => {
    const slm = new UncertaintyTriggerEngine(new DistributionEngine('ab', [0.9, 0.1]), { threshold: 0.5, k: 2, entropy: false, maxCalls: 1 });
    // After the call the SLM is asked again; DistributionEngine replays 'ab' (confident 'a', then 'b' untriggered: maxCalls reached).
    const done = await complete(slm, new ScriptedEngine(['XY']), request('q', { maxTokens: 9 }));
    expect(done.text.startsWith('aXY')).toBe(true);
    expect(done.usage.callRecords[0]).toMatchObject({ grantedN: 2, tokensWritten: 2, responseTokenStart: 4 });
    const fixed = withoutInjectedCommands(
      {
        usage: {
          slm_tokens: done.usage.slmTokens,
          llm_tokens: done.usage.llmTokens,
          response_tokens: done.usage.responseTokens,
          llm_token_ratio: done.usage.llmTokenRatio,
          no_call_commands: done.usage.noCallCommands,
        },
        calls: [{ response_token_start: 4, response_token_end: 6 }],
      },
      slm.injected('g1/slm'),
      2,
    );
    expect(fixed.usage.slm_tokens).toBe(done.usage.slmTokens - 3);
    expect(fixed.usage.response_tokens).toBe(done.usage.responseTokens - 3);
    expect(fixed.calls).toEqual([{ response_token_start: 1, response_token_end: 3 }]);
  });

  it('the SLM never sees the injected commands: they leave its context, append offsets move with them', async () => {
    const { CALL, END_CALL } = BYTE_LEVEL_TOKEN_IDS;
    const ids = (s: string): number[] => [...Buffer.from(s)];
    // <s> "é?\n" "a" <call>2</call> "XY" | "b" — the previous request ended after "XY".
    const before = [BOS, ...ids('é?\n'), ...ids('a'), CALL, 0x32, END_CALL, ...ids('XY')];
    const tokens = [...before, ...ids('b')];
    const inner = new DistributionEngine('c', [0.9]);
    const engine = new UncertaintyTriggerEngine(inner, { threshold: 0.5, k: 2, entropy: false, maxCalls: 1 });
    const req = engineRequest({
      context: { text: 'é?\na<call>2</call>XYb', tokens },
      appendOnly: true,
      appendFrom: { text: 'é?\na<call>2</call>XY'.length, tokens: before.length },
    });
    await collect(engine.generate(req, new AbortController().signal));
    const seen = inner.requests[0];
    expect(seen?.context).toEqual({ text: 'é?\naXYb', tokens: [BOS, ...ids('é?\n'), ...ids('aXYb')] });
    expect(seen?.appendFrom).toEqual({ text: 'é?\naXY'.length, tokens: before.length - 3 });
    expect(seen?.appendOnly).toBe(true);
    // Typed command text is bytes, never a span: it stays; a request without spans is passed as is.
    const typed = engineRequest({ context: { text: '<call>5</call>', tokens: [BOS, ...ids('<call>5</call>')] } });
    expect(withoutCommandSpans(typed)).toBe(typed);
  });

  it('without full distributions it fails with a clear error', async () => {
    const engine = new UncertaintyTriggerEngine(new DistributionEngine('a', [0.9], false), { threshold: 0.5, k: 2, entropy: false, maxCalls: 1 });
    await expect(collect(engine.generate(engineRequest(), new AbortController().signal))).rejects.toThrow(/full next-token distributions/);
  });

  it('entropy and top probability', () => {
    expect(entropyOf([0.5, 0.5])).toBeCloseTo(Math.log(2), 12);
    expect(entropyOf([1, 0])).toBe(0);
    expect(topProbability([0.2, 0.7, 0.1])).toBe(0.7);
    expect(commandChunk(16)).toEqual({ tokens: [258, 0x31, 0x36, 259], text: '<call>16</call>', tokenTexts: ['<call>', '1', '6', '</call>'] });
  });
});

describe('PrefillMeterEngine', () => {
  it('sums the new context the LLM evaluates per call (whole prompt + SLM text first, then only what is new)', async () => {
    const llm = new PrefillMeterEngine(new ScriptedEngine(['XY', 'ZW']));
    const slm = new ScriptedEngine(['ab<call>2</call>', 'cd<call>2</call>', 'e</s>']);
    const done = await complete(slm, llm, request('q'));
    expect(done.usage.calls).toBe(2);
    const first = 1 + 1 + 2; // <s> q, then 'ab' (the LLM's view has no commands)
    expect(llm.take('g1')).toBeGreaterThanOrEqual(first + 2); // + 'cd' at least (+ late ids)
    expect(llm.take('g1')).toBe(0);
  });
});
