import { SlmFinish } from '@relayllm/proto';
import { InvalidArgumentReason, RelayError, type EngineRequest } from '@relayllm/relay-core';
import { chunkFromWire, errorFromWire, errorToWire, requestFromWire, requestToWire } from './wire';

const base: EngineRequest = {
  sequenceId: 'g/slm',
  turn: 0,
  context: { text: 'Q\nab', tokens: [256, 81, 10, 97, 98] },
  appendOnly: false,
  maxTokens: 7,
  sampling: { temperature: 0, seed: 3 },
  stopTokens: [257],
  stop: ['##'],
  bannedTokens: [1],
};
const opts = { generateSeq: 1, pauseTokens: [259], pauseArmTokens: [258], deadlineMs: 500 };

describe('wire mapping', () => {
  it('round-trips a whole-context request', () => {
    const wire = requestToWire(base, opts);
    expect(wire).toMatchObject({ appendOnly: false, contextText: 'Q\nab', contextTokens: { ids: [256, 81, 10, 97, 98] }, pauseTokens: [259], deadlineMs: 500 });
    const back = requestFromWire(wire, 'g/slm', undefined);
    expect(back.request).toEqual(base);
    expect(back).toMatchObject({ pauseTokens: [259], pauseArmTokens: [258], deadlineMs: 500 });
  });

  it('sends only the new part of an append-only request and rebuilds the whole context on the worker', () => {
    const next: EngineRequest = { ...base, context: { text: 'Q\nabcd', tokens: [256, 81, 10, 97, 98, 99, 100] }, appendOnly: true, appendFrom: { text: 4, tokens: 5 } };
    const wire = requestToWire(next, { ...opts, appendFrom: next.appendFrom });
    expect(wire).toMatchObject({ appendOnly: true, contextText: 'cd', contextTokens: { ids: [99, 100] }, appendFromText: 4, appendFromTokens: 5 });
    // The worker holds a longer previous context (e.g. a replay): only its prefix up to the offsets is used.
    const held = { text: 'Q\nabXY', tokens: [256, 81, 10, 97, 98, 88, 89] };
    expect(requestFromWire(wire, 'g/slm', held).request).toEqual(next);
  });

  it('rejects append offsets the held context cannot satisfy', () => {
    const wire = requestToWire({ ...base, appendOnly: true, appendFrom: { text: 4, tokens: 5 } }, { ...opts, appendFrom: { text: 4, tokens: 5 } });
    expect(() => requestFromWire(wire, 'g', undefined)).toThrow(RelayError);
    expect(() => requestFromWire(wire, 'g', { text: 'Q\n' })).toThrow(expect.objectContaining({ reason: 'APPEND_MISMATCH' }));
    expect(() => requestFromWire(wire, 'g', { text: 'Q\nab' })).toThrow(expect.objectContaining({ kind: 'invalid_argument' }));
  });

  it('maps frames to engine chunks (tokenTexts for several ids, finish, probabilities)', () => {
    const chunk = chunkFromWire({ generateSeq: 1, tokens: [97, 259], tokenTexts: ['a', '</call>'], text: 'a</call>', probabilities: [0.9, 0.8], finish: SlmFinish.SLM_FINISH_STOP, paused: false });
    expect(chunk).toEqual({ tokens: [97, 259], tokenTexts: ['a', '</call>'], text: 'a</call>', probabilities: [0.9, 0.8], finish: 'stop' });
    expect(chunkFromWire({ generateSeq: 1, tokens: [], tokenTexts: [], text: 'hi', probabilities: [], tokenCount: 2, finish: 0, paused: false })).toEqual({ tokens: [], text: 'hi', tokenCount: 2 });
    expect(chunkFromWire({ generateSeq: 1, tokens: [], tokenTexts: [], text: '', probabilities: [], finish: 99 as SlmFinish, paused: false }).finish).toBe('eos');
  });

  it('round-trips errors; an unknown kind degrades to internal', () => {
    const error = RelayError.invalidArgument(InvalidArgumentReason.CONTEXT_TOO_LONG, 'too long', 'context');
    expect(errorFromWire(errorToWire(error, 3))).toMatchObject({ kind: 'invalid_argument', reason: 'CONTEXT_TOO_LONG', field: 'context' });
    expect(errorFromWire({ generateSeq: 1, kind: 'weird', reason: 'X', message: '', field: '' })).toMatchObject({ kind: 'internal', field: undefined });
  });
});
