import { BYTE_LEVEL_TOKEN_IDS } from '@relayllm/relay-core';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { collectChunks, completeRelay, relayRequestOf, slmEngineRequest } from '../testing';
import { BannedCommandsEngine, FixedGrantEngine, HiddenCommandsEngine, PrefillMeterEngine } from './engine-wrappers';

const BOS = BYTE_LEVEL_TOKEN_IDS.BOS;

describe('FixedGrantEngine', () => {
  it('every well-formed command becomes <call>K</call>: the LLM writes exactly K tokens whatever n was asked', async () => {
    const slm = new FixedGrantEngine(new ScriptedEngine(['ab<call>2</call>', 'c</s>']), 5);
    const llm = new ScriptedEngine(['VWXYZ-more']);
    const done = await completeRelay(slm, llm, relayRequestOf('q'));
    expect(done.text).toBe('abVWXYZc');
    expect(done.usage.callRecords).toEqual([expect.objectContaining({ requestedN: 5, grantedN: 5, tokensWritten: 5 })]);
  });

  it('passes malformed commands through unchanged (they never call)', async () => {
    const slm = new FixedGrantEngine(new ScriptedEngine(['a<call>x</call>b</s>']), 5);
    const done = await completeRelay(slm, new ScriptedEngine([]), relayRequestOf('q'));
    expect(done.usage.calls).toBe(0);
    expect(done.usage.malformedCommands).toBe(1);
    expect(done.text).toBe('ab'); // relay-core strips the malformed command span
  });

  it('a <call> inside an open command (nested) starts the next candidate: its well-formed command is rewritten too', async () => {
    const slm = new FixedGrantEngine(new ScriptedEngine(['a<call><call>50</call>', 'b</s>']), 3);
    const done = await completeRelay(slm, new ScriptedEngine(['XYZ-more']), relayRequestOf('q'));
    expect(done.usage.malformedCommands).toBe(1);
    expect(done.usage.callRecords).toEqual([expect.objectContaining({ requestedN: 3, grantedN: 3, tokensWritten: 3 })]);
    expect(done.text).toBe('aXYZb');
  });
});

describe('BannedCommandsEngine', () => {
  it('adds the command ids to the SLM request bans', async () => {
    const inner = new ScriptedEngine(['ab</s>']);
    await collectChunks(new BannedCommandsEngine(inner).generate(slmEngineRequest({ bannedTokens: [7] }), new AbortController().signal));
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
    const req = slmEngineRequest({
      context: { text: 'q\na<call>12</call>XYb', tokens: [...before, ...ids('b')] },
      appendOnly: true,
      appendFrom: { text: 'q\na<call>12</call>XY'.length, tokens: before.length },
    });
    await collectChunks(new HiddenCommandsEngine(inner).generate(req, new AbortController().signal));
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
    const req = slmEngineRequest({ context, appendOnly: true, appendFrom: { text: 3, tokens: 1 } });
    await collectChunks(new HiddenCommandsEngine(inner).generate(req, new AbortController().signal));
    expect(inner.requests[0]).toEqual(req);
  });

  it('in the relay: the SLM writes and calls as usual, but never sees its commands again', async () => {
    const inner = new ScriptedEngine(['ab<call>2</call>', 'c</s>']);
    const done = await completeRelay(new HiddenCommandsEngine(inner), new ScriptedEngine(['XY']), relayRequestOf('q'));
    expect(done.usage.callRecords).toEqual([expect.objectContaining({ requestedN: 2, tokensWritten: 2 })]);
    expect(done.text).toBe('abXYc');
    const second = inner.requests[1]?.context.tokens ?? [];
    expect(second.includes(CALL) || second.includes(END_CALL)).toBe(false);
    expect(second.slice(-4)).toEqual(ids('abXY'));
  });
});

describe('PrefillMeterEngine', () => {
  it('sums the new context the LLM evaluates per call (whole prompt + SLM text first, then only what is new)', async () => {
    const llm = new PrefillMeterEngine(new ScriptedEngine(['XY', 'ZW']));
    const slm = new ScriptedEngine(['ab<call>2</call>', 'cd<call>2</call>', 'e</s>']);
    const done = await completeRelay(slm, llm, relayRequestOf('q'));
    expect(done.usage.calls).toBe(2);
    const first = 1 + 1 + 2; // <s> q, then 'ab' (the LLM's view has no commands)
    expect(llm.take('g1')).toBeGreaterThanOrEqual(first + 2); // + 'cd' at least (+ late ids)
    expect(llm.take('g1')).toBe(0);
  });
});
