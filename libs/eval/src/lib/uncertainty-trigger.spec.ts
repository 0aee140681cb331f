import { BYTE_LEVEL_TOKEN_IDS } from '@relayllm/relay-core';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { collectChunks, completeRelay, outcomeOf, relayRequestOf, ScriptedDistributionEngine, slmEngineRequest } from '../testing';
import { commandChunk, withoutCommandSpans, withoutInjectedCommands } from './engine-wrappers';
import { entropyOf, topProbability, UncertaintyTriggerEngine } from './uncertainty-trigger';

const BOS = BYTE_LEVEL_TOKEN_IDS.BOS;

describe('UncertaintyTriggerEngine', () => {
  it('injects <call>K</call> before an uncertain token (top probability < T), bans the SLM commands', async () => {
    const inner = ScriptedDistributionEngine.ofText('abc', [0.9, 0.3, 0.9]);
    const engine = new UncertaintyTriggerEngine(inner, { threshold: 0.5, k: 2, entropy: false, maxCalls: 10, ownCommands: 'banned' });
    const chunks = await collectChunks(engine.generate(slmEngineRequest(), new AbortController().signal));
    expect(chunks.map((c) => c.text)).toEqual(['a', '<call>2</call>', 'b', 'c']);
    expect(chunks[1]?.tokens).toEqual([BYTE_LEVEL_TOKEN_IDS.CALL, 0x32, BYTE_LEVEL_TOKEN_IDS.END_CALL]);
    expect(inner.requests[0]?.bannedTokens).toEqual([BYTE_LEVEL_TOKEN_IDS.CALL, BYTE_LEVEL_TOKEN_IDS.END_CALL]);
    expect(engine.injected('g/slm')).toBe(1);
  });

  it('entropy mode triggers above T; maxCalls bounds the injections per generation', async () => {
    const engine = new UncertaintyTriggerEngine(ScriptedDistributionEngine.ofText('abcd', [0.2, 0.2, 0.2, 0.99]), {
      threshold: 1,
      k: 3,
      entropy: true,
      maxCalls: 2,
      ownCommands: 'banned',
    });
    const chunks = await collectChunks(engine.generate(slmEngineRequest(), new AbortController().signal));
    expect(chunks.map((c) => c.text)).toEqual(['<call>3</call>', 'a', '<call>3</call>', 'b', 'c', 'd']);
  });

  it('in the relay: the LLM writes K tokens in place of the uncertain one, then the SLM goes on', async () => {
    const slm = new UncertaintyTriggerEngine(ScriptedDistributionEngine.ofText('ab', [0.9, 0.1]), { threshold: 0.5, k: 2, entropy: false, maxCalls: 1, ownCommands: 'banned' });
    // After the call the SLM is asked again; ScriptedDistributionEngine replays 'ab' (confident 'a', then 'b' untriggered: maxCalls reached).
    const done = await completeRelay(slm, new ScriptedEngine(['XY']), relayRequestOf('q', { maxTokens: 9 }));
    expect(done.text.startsWith('aXY')).toBe(true);
    expect(done.usage.callRecords[0]).toMatchObject({ grantedN: 2, tokensWritten: 2, responseTokenStart: 4 });
    const fixed = withoutInjectedCommands(outcomeOf(done), slm.injectedCommands('g1/slm', done.usage.calls), 2);
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
    const inner = ScriptedDistributionEngine.ofText('c', [0.9]);
    const engine = new UncertaintyTriggerEngine(inner, { threshold: 0.5, k: 2, entropy: false, maxCalls: 1, ownCommands: 'banned' });
    const req = slmEngineRequest({
      context: { text: 'é?\na<call>2</call>XYb', tokens },
      appendOnly: true,
      appendFrom: { text: 'é?\na<call>2</call>XY'.length, tokens: before.length },
    });
    await collectChunks(engine.generate(req, new AbortController().signal));
    const seen = inner.requests[0];
    expect(seen?.context).toEqual({ text: 'é?\naXYb', tokens: [BOS, ...ids('é?\n'), ...ids('aXYb')] });
    expect(seen?.appendFrom).toEqual({ text: 'é?\naXY'.length, tokens: before.length - 3 });
    expect(seen?.appendOnly).toBe(true);
    // Typed command text is bytes, never a span: it stays; a request without spans is passed as is.
    const typed = slmEngineRequest({ context: { text: '<call>5</call>', tokens: [BOS, ...ids('<call>5</call>')] } });
    expect(withoutCommandSpans(typed)).toBe(typed);
  });

  it('without full distributions it fails with a clear error', async () => {
    const engine = new UncertaintyTriggerEngine(ScriptedDistributionEngine.ofText('a', [0.9], false), { threshold: 0.5, k: 2, entropy: false, maxCalls: 1, ownCommands: 'banned' });
    await expect(collectChunks(engine.generate(slmEngineRequest(), new AbortController().signal))).rejects.toThrow(/full next-token distributions/);
  });

  it('entropy and top probability', () => {
    expect(entropyOf([0.5, 0.5])).toBeCloseTo(Math.log(2), 12);
    expect(entropyOf([1, 0])).toBe(0);
    expect(topProbability([0.2, 0.7, 0.1])).toBe(0.7);
    expect(commandChunk(16)).toEqual({ tokens: [258, 0x31, 0x36, 259], text: '<call>16</call>', tokenTexts: ['<call>', '1', '6', '</call>'] });
  });
});

describe('UncertaintyTriggerEngine, relay-floor (own commands kept)', () => {
  const { CALL, END_CALL, EOS } = BYTE_LEVEL_TOKEN_IDS;
  const ch = (s: string): number => s.charCodeAt(0);
  const floor = { threshold: 0.5, k: 2, entropy: false, maxCalls: 10, ownCommands: 'kept' } as const;

  it("passes the SLM's own command through untouched (no trigger inside it, nothing banned) and triggers on its unsure text", async () => {
    // a, then the SLM's own <call>2</call> (its digit unsure: not a trigger), then an unsure b: a trigger
    const inner = new ScriptedDistributionEngine([[[ch('a'), 0.9], [CALL, 0.3], [ch('2'), 0.2], [END_CALL, 0.4], [ch('b'), 0.3]]]);
    const engine = new UncertaintyTriggerEngine(inner, floor);
    const chunks = await collectChunks(engine.generate(slmEngineRequest(), new AbortController().signal));
    expect(chunks.map((c) => c.text)).toEqual(['a', '<call>', '2', '</call>', '<call>2</call>', 'b']);
    expect(inner.requests[0]?.bannedTokens).toEqual([]);
    expect(engine.injected('g/slm')).toBe(1);
    // the relay would have stopped at the SLM's command: its calls are the own command, then the injected one
    expect(engine.injectedCommands('g/slm', 2)).toEqual({ count: 1, throughCall: [0, 1] });
  });

  it('in the relay: the SLM keeps its own command in its context, the injected one leaves it, ρ counts only what each wrote', async () => {
    const slm = new ScriptedDistributionEngine([
      [[ch('a'), 0.9], [CALL, 0.6], [ch('2'), 0.9], [END_CALL, 0.9]], // its own call for 2 tokens
      [[ch('b'), 0.3]], // unsure: the floor calls for 2
      [[ch('c'), 0.9], [EOS, 0.2]], // an unsure EOS ends the text, no call
    ]);
    const engine = new UncertaintyTriggerEngine(slm, floor);
    const done = await completeRelay(engine, new ScriptedEngine(['XY', 'ZW']), relayRequestOf('q', { maxTokens: 32 }));
    expect(done.text).toBe('aXYZWc');
    const seen = slm.requests.map((r) => Buffer.from((r.context.tokens ?? []).filter((t) => t < 256)).toString() + `|${(r.context.tokens ?? []).filter((t) => t === CALL).length}`);
    // second request: its own command kept (1 span); third: the injected span gone, its own still there
    expect(seen).toEqual(['q|0', 'qa2XY|1', 'qa2XYZW|1']);
    expect(slm.requests[2]?.context.text).toBe('qa<call>2</call>XYZW');
    const injected = engine.injectedCommands('g1/slm', done.usage.calls);
    expect(injected).toEqual({ count: 1, throughCall: [0, 1] });
    const fixed = withoutInjectedCommands(outcomeOf(done), injected, 2);
    // the SLM wrote a, its command (3 tokens) and c: 5; the LLM XYZW: 4
    expect([fixed.usage.slm_tokens, fixed.usage.llm_tokens, fixed.usage.response_tokens]).toEqual([5, 4, 9]);
    // the own call's offsets stay; the triggered call's move back by the injected command only
    expect(fixed.calls).toEqual([
      { response_token_start: done.usage.callRecords[0]?.responseTokenStart, response_token_end: done.usage.callRecords[0]?.responseTokenEnd },
      { response_token_start: (done.usage.callRecords[1]?.responseTokenStart ?? 0) - 3, response_token_end: (done.usage.callRecords[1]?.responseTokenEnd ?? 0) - 3 },
    ]);
  });

  it('withoutCommandSpans with ordinals removes just those spans; a stray </call> stays (it is the SLM\'s writing)', () => {
    const ids = [BOS, ch('a'), CALL, ch('4'), END_CALL, ch('b'), CALL, ch('2'), END_CALL, ch('c'), END_CALL];
    const req = slmEngineRequest({ context: { text: 'a<call>4</call>b<call>2</call>c</call>', tokens: ids } });
    expect(withoutCommandSpans(req, new Set([1])).context).toEqual({ text: 'a<call>4</call>bc</call>', tokens: [BOS, ch('a'), CALL, ch('4'), END_CALL, ch('b'), ch('c'), END_CALL] });
    expect(withoutCommandSpans(req).context).toEqual({ text: 'abc', tokens: [BOS, ch('a'), ch('b'), ch('c')] });
    expect(withoutCommandSpans(req, new Set())).toBe(req);
  });
});
