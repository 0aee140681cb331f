import { BYTE_LEVEL_TOKEN_IDS } from '@relayllm/relay-core';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { collectChunks, completeRelay, outcomeOf, relayRequestOf, ScriptedDistributionEngine, slmEngineRequest } from '../testing';
import { commandChunk, withoutCommandSpans, withoutInjectedCommands } from './engine-wrappers';
import { entropyOf, topProbability, UncertaintyTriggerEngine } from './uncertainty-trigger';

const BOS = BYTE_LEVEL_TOKEN_IDS.BOS;

describe('UncertaintyTriggerEngine', () => {
  it('injects <call>K</call> before an uncertain token (top probability < T), bans the SLM commands', async () => {
    const inner = ScriptedDistributionEngine.ofText('abc', [0.9, 0.3, 0.9]);
    const engine = new UncertaintyTriggerEngine(inner, { threshold: 0.5, k: 2, entropy: false, maxCalls: 10 });
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
    });
    const chunks = await collectChunks(engine.generate(slmEngineRequest(), new AbortController().signal));
    expect(chunks.map((c) => c.text)).toEqual(['<call>3</call>', 'a', '<call>3</call>', 'b', 'c', 'd']);
  });

  it('in the relay: the LLM writes K tokens in place of the uncertain one, then the SLM goes on', async () => {
    const slm = new UncertaintyTriggerEngine(ScriptedDistributionEngine.ofText('ab', [0.9, 0.1]), { threshold: 0.5, k: 2, entropy: false, maxCalls: 1 });
    // After the call the SLM is asked again; ScriptedDistributionEngine replays 'ab' (confident 'a', then 'b' untriggered: maxCalls reached).
    const done = await completeRelay(slm, new ScriptedEngine(['XY']), relayRequestOf('q', { maxTokens: 9 }));
    expect(done.text.startsWith('aXY')).toBe(true);
    expect(done.usage.callRecords[0]).toMatchObject({ grantedN: 2, tokensWritten: 2, responseTokenStart: 4 });
    const fixed = withoutInjectedCommands(outcomeOf(done), slm.injected('g1/slm'), 2);
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
    const engine = new UncertaintyTriggerEngine(inner, { threshold: 0.5, k: 2, entropy: false, maxCalls: 1 });
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
    const engine = new UncertaintyTriggerEngine(ScriptedDistributionEngine.ofText('a', [0.9], false), { threshold: 0.5, k: 2, entropy: false, maxCalls: 1 });
    await expect(collectChunks(engine.generate(slmEngineRequest(), new AbortController().signal))).rejects.toThrow(/full next-token distributions/);
  });

  it('entropy and top probability', () => {
    expect(entropyOf([0.5, 0.5])).toBeCloseTo(Math.log(2), 12);
    expect(entropyOf([1, 0])).toBe(0);
    expect(topProbability([0.2, 0.7, 0.1])).toBe(0.7);
    expect(commandChunk(16)).toEqual({ tokens: [258, 0x31, 0x36, 259], text: '<call>16</call>', tokenTexts: ['<call>', '1', '6', '</call>'] });
  });
});
