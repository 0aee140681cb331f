import { LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import { ResourceExhaustedReason, isRelayError, RelayError, type EngineRequest } from '@relayllm/relay-core';
import { generationOf, llmErrorReply, LlmReplyBuilder, replyToChunks, toEngineRequest, toLlmGenerateRequest } from './llm-wire';

const relayRequest = (overrides: Partial<EngineRequest> = {}): EngineRequest => ({
  sequenceId: 'g1/llm',
  turn: 2,
  context: { text: 'Hello world', tokens: [256, 72, 101] },
  appendOnly: true,
  appendFrom: { text: 5, tokens: 2 },
  maxTokens: 6,
  sampling: { temperature: 0, seed: 0 },
  stopTokens: [257],
  stop: ['\n\n'],
  bannedTokens: [258, 259],
  ...overrides,
});

const overTheWire = (wire: LlmGenerateRequest): LlmGenerateRequest => LlmGenerateRequest.decode(LlmGenerateRequest.encode(wire).finish());
const replyOverTheWire = (reply: LlmGenerateReply): LlmGenerateReply => LlmGenerateReply.decode(LlmGenerateReply.encode(reply).finish());

describe('LLM wire mapping', () => {
  it('a relay call reaches the worker as the same engine request, with its model, attempt and time limit', () => {
    const req = relayRequest();
    const wire = overTheWire(toLlmGenerateRequest(req, { model: 'llm', attempt: 3, timeoutMs: 123 }));
    expect([wire.model, wire.attempt, generationOf(wire.request ?? { sequenceId: '' }), wire.request?.turn]).toEqual(['llm', 3, 'g1', 2]);
    expect(toEngineRequest(wire)).toEqual({ request: req, timeoutMs: 123 });
  });

  it('a request without its engine request is refused (INVALID_ARGUMENT WORKER_PROTOCOL)', () => {
    expect(() => toEngineRequest(LlmGenerateRequest.fromPartial({ model: 'llm' }))).toThrow(expect.objectContaining({ reason: 'WORKER_PROTOCOL' }));
  });

  it('a reply carries the whole output (prefill note, ids, texts, probabilities) and echoes the call', () => {
    const builder = new LlmReplyBuilder();
    builder.add({ tokens: [49], text: '1', probabilities: [0.9], prefill: { reusedTokens: 10, evaluatedTokens: 3 } });
    builder.add({ tokens: [50, 51], text: '23', tokenTexts: ['2', '3'], probabilities: [0.8, 0.7] });
    builder.add({ tokens: [257], text: '', probabilities: [0.6], finish: 'eos' });
    const reply = replyOverTheWire(builder.build({ workerId: 'w', wire: toLlmGenerateRequest(relayRequest(), { model: 'llm', attempt: 3, timeoutMs: 0 }) }));
    expect([reply.workerId, reply.sequenceId, reply.turn, reply.attempt, reply.reusedPrefixTokens, reply.evaluatedTokens]).toEqual(['w', 'g1/llm', 2, 3, 10, 3]);
    expect(replyToChunks(reply)).toEqual([
      { tokens: [49, 50, 51, 257], text: '123', tokenTexts: ['1', '2', '3', ''], probabilities: [0.9, 0.8, 0.7, 0.6].map((p) => expect.closeTo(p, 10)), finish: 'eos' },
    ]);
  });

  it('a stream that ended without a finish: the worker sets the one it knows (abort when aborted, else eos)', () => {
    const aborted = new LlmReplyBuilder();
    aborted.add({ tokens: [], text: 'x' });
    aborted.finishIfUnset('abort');
    expect(replyToChunks(aborted.build({ workerId: 'w', wire: LlmGenerateRequest.fromPartial({}) })).at(-1)?.finish).toBe('abort');
    const stopped = new LlmReplyBuilder();
    stopped.add({ tokens: [], text: 'x', finish: 'stop' });
    stopped.finishIfUnset('abort');
    expect(replyToChunks(stopped.build({ workerId: 'w', wire: LlmGenerateRequest.fromPartial({}) })).at(-1)?.finish).toBe('stop');
    expect(replyToChunks(new LlmReplyBuilder().build({ workerId: 'w', wire: LlmGenerateRequest.fromPartial({}) }))).toEqual([{ tokens: [], text: '', tokenCount: 0, finish: 'eos' }]);
  });

  it('an error reply throws its RelayError by kind and reason', () => {
    const reply = replyOverTheWire(llmErrorReply(RelayError.resourceExhausted(ResourceExhaustedReason.WORKER_FULL, 'all sequences busy'), { workerId: 'w' }));
    let caught: unknown;
    try {
      replyToChunks(reply);
    } catch (error) {
      caught = error;
    }
    expect(isRelayError(caught, 'resource_exhausted') && caught.reason === 'WORKER_FULL').toBe(true);
  });
});
