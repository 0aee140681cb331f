import { EngineRequest as WireEngineRequest } from '@relayllm/proto';
import { RelayError, type EngineRequest } from '@relayllm/relay-core';
import { engineRequestFromWire, engineRequestToWire } from './engine-request-wire';

const base: EngineRequest = {
  sequenceId: 'g/slm',
  turn: 2,
  context: { text: 'Q\nab', tokens: [256, 81, 10, 97, 98] },
  appendOnly: false,
  maxTokens: 7,
  sampling: { temperature: 0, seed: 3 },
  stopTokens: [257],
  stop: ['##'],
  bannedTokens: [1],
};
const next: EngineRequest = { ...base, context: { text: 'Q\nabcd', tokens: [256, 81, 10, 97, 98, 99, 100] }, appendOnly: true, appendFrom: { text: 4, tokens: 5 } };
const overTheWire = (wire: WireEngineRequest): WireEngineRequest => WireEngineRequest.decode(WireEngineRequest.encode(wire).finish());

describe('engine request on the wire', () => {
  it('round-trips a whole-context request with its envelope (zeros kept, absent stays absent)', () => {
    const wire = overTheWire(engineRequestToWire(base, { timeoutMs: 500, traceContext: { traceparent: 'tp', tracestate: undefined } }));
    expect(wire).toMatchObject({ contextIsTail: false, contextText: 'Q\nab', contextTokens: { ids: [256, 81, 10, 97, 98] }, timeoutMs: 500, traceContext: { traceparent: 'tp' } });
    expect(engineRequestFromWire(wire)).toEqual({ request: base, timeoutMs: 500, traceContext: { traceparent: 'tp' } });
    const textOnly = engineRequestFromWire(overTheWire(engineRequestToWire({ ...base, context: { text: 'abc' }, sampling: {} }, { timeoutMs: 0 }))).request;
    expect([textOnly.context.tokens, textOnly.sampling, textOnly.appendFrom]).toEqual([undefined, {}, undefined]);
  });

  it('carries the SLM call bias to the worker; an unbiased request stays without one', () => {
    const biased = engineRequestFromWire(overTheWire(engineRequestToWire({ ...base, callBias: -2.5 }, { timeoutMs: 0 }))).request;
    expect(biased.callBias).toBe(-2.5);
    const unbiased = engineRequestFromWire(overTheWire(engineRequestToWire(base, { timeoutMs: 0 }))).request;
    expect('callBias' in unbiased).toBe(false);
  });

  it('carries reportProbabilities (a confidence floor reads them) to a worker whose engine asks for them only then', () => {
    expect(engineRequestFromWire(overTheWire(engineRequestToWire({ ...base, reportProbabilities: true }, { timeoutMs: 0 }))).request.reportProbabilities).toBe(true);
    expect('reportProbabilities' in engineRequestFromWire(overTheWire(engineRequestToWire(base, { timeoutMs: 0 }))).request).toBe(false);
  });

  it('an append-only request keeps its offsets when sent whole (any worker may take it, KV reuse is a hint)', () => {
    expect(engineRequestFromWire(overTheWire(engineRequestToWire(next, { timeoutMs: 0 }))).request).toEqual(next);
  });

  it('a tail carries only the new part; the worker joins it to the context it holds up to the offsets', () => {
    const wire = overTheWire(engineRequestToWire(next, { timeoutMs: 0, tail: true }));
    expect(wire).toMatchObject({ contextIsTail: true, contextText: 'cd', contextTokens: { ids: [99, 100] }, appendFrom: { text: 4, tokens: 5 } });
    // The worker holds a longer previous context (e.g. a replay): only its prefix up to the offsets is used.
    const held = { text: 'Q\nabXY', tokens: [256, 81, 10, 97, 98, 88, 89] };
    expect(engineRequestFromWire(wire, held).request).toEqual(next);
  });

  it('refuses a tail the held context cannot satisfy (APPEND_MISMATCH)', () => {
    const wire = engineRequestToWire(next, { timeoutMs: 0, tail: true });
    expect(() => engineRequestFromWire(wire)).toThrow(RelayError);
    expect(() => engineRequestFromWire(wire, { text: 'Q\n' })).toThrow(expect.objectContaining({ reason: 'APPEND_MISMATCH' }));
    expect(() => engineRequestFromWire(wire, { text: 'Q\nab' })).toThrow(expect.objectContaining({ kind: 'invalid_argument', field: 'appendFrom' }));
  });

  it('never sends a tail for a request that does not extend the previous one', () => {
    expect(engineRequestToWire(base, { timeoutMs: 0, tail: true })).toMatchObject({ contextIsTail: false, contextText: 'Q\nab' });
  });
});
