import { RelayError } from '../errors/relay-error';
import type { EngineChunk } from '../ports/engine';
import { REFERENCE_COMMAND_SYNTAX, REFERENCE_PAIR_PROFILE } from '../protocol/reference-pair';
import { BYTE_LEVEL_TOKEN_IDS } from '../protocol/vocabulary';
import { encodeScript, plainTextTokenIds } from '../testing/reference-tokenizer';
import { validateRelayRequest, type RelayRequest } from './relay-request';
import { RelaySession } from './relay-session';
import type { TextSegment } from './relay-types';

const { CALL, END_CALL, EOS } = BYTE_LEVEL_TOKEN_IDS;

function session(overrides: Partial<RelayRequest> = {}): RelaySession {
  const request: RelayRequest = { generationId: 'g', prompt: 'P:', promptTokens: plainTextTokenIds('P:'), maxTokens: 50, ...overrides };
  return new RelaySession(validateRelayRequest(request, REFERENCE_COMMAND_SYNTAX), REFERENCE_PAIR_PROFILE);
}

/** Token chunks, one per token, for a script. */
const tokenChunks = (script: string): EngineChunk[] => encodeScript(script).map((t) => ({ tokens: [t.id], text: t.text }));

/** Feeds chunks until the session says stop; returns the segments and whether it asked to stop. */
function feed(s: RelaySession, chunks: EngineChunk[]): { segments: TextSegment[]; stopped: boolean } {
  const segments: TextSegment[] = [];
  for (const chunk of chunks) {
    const outcome = s.acceptChunk(chunk);
    segments.push(...outcome.segments);
    if (outcome.stopStream) return { segments, stopped: true };
  }
  return { segments, stopped: false };
}

function expectRelayError(fn: () => unknown, kind: string, reason: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RelayError);
    expect([(error as RelayError).kind, (error as RelayError).reason]).toEqual([kind, reason]);
    return;
  }
  throw new Error('expected a RelayError');
}

describe('RelaySession', () => {
  it('walks SLM -> LLM -> SLM with stable actions, views and offsets', () => {
    const s = session();
    const first = s.nextAction();
    expect(s.nextAction()).toBe(first);
    if (first.type !== 'generate_slm') throw new Error('expected generate_slm');
    expect(first.request).toMatchObject({ sequenceId: 'g/slm', appendOnly: false, maxTokens: 50, bannedTokens: [], context: { text: 'P:', tokens: [80, 58] } });

    const slm = feed(s, tokenChunks('ab<call>3</call>cd'));
    expect(slm).toEqual({
      segments: [
        { source: 'SLM', text: 'a', tokenCount: 1 },
        { source: 'SLM', text: 'b', tokenCount: 1 },
      ],
      stopped: true,
    });
    expect(s.endStream()).toEqual({ segments: [] });

    const call = s.nextAction();
    if (call.type !== 'call_llm') throw new Error('expected call_llm');
    expect(call.call).toEqual({ callIndex: 0, origin: 'command', requestedN: 3, grantedN: 3 });
    expect(call.request).toMatchObject({
      sequenceId: 'g/llm',
      turn: 0,
      maxTokens: 3,
      appendOnly: false,
      bannedTokens: [CALL, END_CALL],
      context: { text: 'P:ab', tokens: plainTextTokenIds('P:ab') },
    });
    expect(feed(s, tokenChunks('xyz')).stopped).toBe(true);
    expect(s.endStream({ latencyMs: 7 }).call).toEqual({
      callIndex: 0,
      origin: 'command',
      requestedN: 3,
      grantedN: 3,
      tokensWritten: 3,
      responseTokenStart: 5,
      responseTokenEnd: 8,
      endedGeneration: false,
      latencyMs: 7,
    });

    const again = s.nextAction();
    if (again.type !== 'generate_slm') throw new Error('expected generate_slm');
    expect(again.request.context.text).toBe('P:ab<call>3</call>xyz');
    expect(again.request.context.tokens).toEqual([...plainTextTokenIds('P:ab'), CALL, 51, END_CALL, ...plainTextTokenIds('xyz')]);
    expect(again.request).toMatchObject({ appendOnly: true, appendFrom: { text: 2, tokens: 2 }, maxTokens: 42 });
    feed(s, [...tokenChunks('!'), { tokens: [EOS], text: '', finish: 'eos' }]);
    s.endStream();
    expect(s.nextAction()).toMatchObject({ type: 'finish', finishReason: 'eos', text: 'abxyz!' });
    expect(s.llmViewText).toBe('P:abxyz!');
    expect(s.slmViewText).toBe('P:ab<call>3</call>xyz!');
    expect(s.usage).toMatchObject({ slmTokens: 6, llmTokens: 3, responseTokens: 9, calls: 1, llmTokenRatio: 3 / 9 });
  });

  it('refuses chunks when no stream is open', () => {
    const s = session();
    expectRelayError(() => s.acceptChunk({ tokens: [97], text: 'a' }), 'failed_precondition', 'SESSION_STATE');
  });

  it('rejects an SLM that mixes token-id and text-only chunks', () => {
    const s = session();
    s.nextAction();
    s.acceptChunk({ tokens: [97], text: 'a' });
    expectRelayError(() => s.acceptChunk({ tokens: [], text: 'b' }), 'internal', 'ENGINE_PROTOCOL');
  });

  it('rejects a multi-token chunk without tokenTexts', () => {
    const s = session();
    s.nextAction();
    expectRelayError(() => s.acceptChunk({ tokens: [97, 98], text: 'ab' }), 'internal', 'ENGINE_PROTOCOL');
  });

  it('caps an LLM that ignores maxTokens and keeps banned command ids out of the views', () => {
    const s = session();
    s.nextAction();
    feed(s, tokenChunks('<call>3</call>'));
    s.endStream();
    s.nextAction();
    const outcome = s.acceptChunk({ tokens: [120, CALL, 121, 122, 123], text: 'x<call>yzw', tokenTexts: ['x', '<call>', 'y', 'z', 'w'] });
    expect(outcome).toEqual({ segments: [{ source: 'LLM', text: 'xy', tokenCount: 3 }], stopStream: true });
    expect(s.endStream().call?.tokensWritten).toBe(3);
    expect(s.llmViewText).toBe('P:xy');
    expect(s.usage.llmTokens).toBe(3);
  });

  it('cancel() during a call records the call so far and finishes cancelled', () => {
    const s = session();
    s.nextAction();
    feed(s, tokenChunks('a<call>9</call>'));
    s.endStream();
    s.nextAction();
    feed(s, tokenChunks('xy'));
    s.cancel();
    const done = s.nextAction();
    expect(done).toMatchObject({ type: 'finish', finishReason: 'cancelled', text: 'axy' });
    if (done.type === 'finish') expect(done.usage.callRecords).toMatchObject([{ grantedN: 9, tokensWritten: 2 }]);
    s.cancel();
    expect(s.nextAction()).toMatchObject({ finishReason: 'cancelled' });
  });

  it.each([
    ['length', 'length'],
    ['stop', 'stop'],
    ['abort', 'cancelled'],
    ['eos', 'eos'],
  ] as const)('maps an SLM finish %s to %s', (finish, reason) => {
    const s = session();
    s.nextAction();
    feed(s, [{ tokens: [97], text: 'a', finish }]);
    s.endStream();
    expect(s.nextAction()).toMatchObject({ type: 'finish', finishReason: reason });
  });

  it('ends with stop when the LLM hits a stop string during a call', () => {
    const s = session();
    s.nextAction();
    feed(s, tokenChunks('<call>5</call>'));
    s.endStream();
    s.nextAction();
    feed(s, [{ tokens: [120], text: 'x', finish: 'stop' }]);
    s.endStream();
    expect(s.nextAction()).toMatchObject({ finishReason: 'stop', text: 'x' });
  });

  it('text mode: counts reported tokens, attributes them to the text they produced', () => {
    const s = session({ promptTokens: undefined });
    s.nextAction();
    expect(s.acceptChunk({ tokens: [], text: 'Hello <ca', tokenCount: 3 })).toEqual({
      segments: [{ source: 'SLM', text: 'Hello ', tokenCount: 3 }],
      stopStream: false,
    });
    expect(s.acceptChunk({ tokens: [], text: 'll>2</call>', tokenCount: 3 }).stopStream).toBe(true);
    s.endStream();
    const call = s.nextAction();
    expect(call).toMatchObject({ type: 'call_llm', request: { context: { text: 'P:Hello ' } } });
    if (call.type === 'call_llm') expect(call.request.context.tokens).toBeUndefined();
    expect(s.usage.slmTokens).toBe(6);
  });

  it('an SLM with ids after a text-only LLM keeps append offsets in text only', () => {
    const s = session();
    s.nextAction();
    feed(s, tokenChunks('<call>2</call>'));
    s.endStream();
    s.nextAction();
    feed(s, [{ tokens: [], text: 'hi', tokenCount: 2 }]);
    s.endStream();
    const next = s.nextAction();
    if (next.type !== 'generate_slm') throw new Error('expected generate_slm');
    expect(next.request.context).toEqual({ text: 'P:<call>2</call>hi' });
    expect(next.request.appendFrom).toEqual({ text: 2 });
  });

  it('LLM_ONLY with no LLM budget finishes at once with length', () => {
    const s = session({ policy: 'LLM_ONLY', maxLlmTokensTotal: 0 });
    expect(s.nextAction()).toMatchObject({ type: 'finish', finishReason: 'length', text: '' });
  });

  it('empty chunks are neutral', () => {
    const s = session();
    s.nextAction();
    expect(s.acceptChunk({ tokens: [], text: '' })).toEqual({ segments: [], stopStream: false });
    expect(s.acceptChunk({ tokens: [], text: 'a' }).segments).toEqual([{ source: 'SLM', text: 'a', tokenCount: 1 }]);
  });
});
