import { LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import { ResourceExhaustedReason, isRelayError, RelayError, type EngineRequest } from '@relayllm/relay-core';
import { llmErrorReply, LlmReplyBuilder, replyToChunks, toEngineRequest, toLlmGenerateRequest } from './llm-wire';

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
  it('a relay request reaches the worker as the same engine request (zeros kept, absent stays absent)', () => {
    const req = relayRequest();
    const wire = overTheWire(toLlmGenerateRequest(req, { model: 'llm', attempt: 1, deadlineUnixMs: 123 }));
    expect([wire.model, wire.attempt, wire.deadlineUnixMs, wire.generationId, wire.callIndex]).toEqual(['llm', 1, 123, 'g1', 2]);
    expect(toEngineRequest(wire)).toEqual(req);

    const textOnly = relayRequest({ context: { text: 'abc' }, appendOnly: false, appendFrom: undefined, sampling: {} });
    const back = toEngineRequest(overTheWire(toLlmGenerateRequest(textOnly, { model: 'llm', attempt: 2 })));
    expect(back.sequenceId).toBe('g1/llm');
    expect(back.appendOnly).toBe(false);
    expect(back.appendFrom).toBeUndefined();
    expect(back.context.tokens).toBeUndefined();
    expect(back.sampling).toEqual({});
  });

  it('token output: one multi-token chunk with texts, probabilities, finish and the prefill counts', () => {
    const builder = new LlmReplyBuilder();
    builder.add({ tokens: [49], text: '1', probabilities: [0.9], prefill: { reusedTokens: 10, evaluatedTokens: 3 } });
    builder.add({ tokens: [50, 51], text: '23', tokenTexts: ['2', '3'], probabilities: [0.8, 0.7] });
    builder.add({ tokens: [257], text: '', probabilities: [0.6], finish: 'eos' });
    const reply = replyOverTheWire(builder.build({ workerId: 'w', wire: toLlmGenerateRequest(relayRequest(), { model: 'llm', attempt: 3 }) }));
    expect([reply.workerId, reply.generationId, reply.callIndex, reply.attempt, reply.reusedPrefixTokens, reply.evaluatedTokens]).toEqual(['w', 'g1', 2, 3, 10, 3]);
    expect(replyToChunks(reply)).toEqual([
      { tokens: [49, 50, 51, 257], text: '123', tokenTexts: ['1', '2', '3', ''], probabilities: [0.9, 0.8, 0.7, 0.6].map((p) => expect.closeTo(p, 10)), finish: 'eos' },
    ]);
  });

  it('text-only output: one chunk per token text, finish on the last', () => {
    const builder = new LlmReplyBuilder();
    builder.add({ tokens: [], text: 'ab' });
    builder.add({ tokens: [], text: 'c', finish: 'length' });
    const chunks = replyToChunks(replyOverTheWire(builder.build({ workerId: 'w', wire: LlmGenerateRequest.fromPartial({}) })));
    expect(chunks).toEqual([
      { tokens: [], text: 'ab', tokenCount: 1 },
      { tokens: [], text: 'c', tokenCount: 1, finish: 'length' },
    ]);
    const aborted = new LlmReplyBuilder();
    aborted.add({ tokens: [], text: 'x', finish: 'stop' });
    aborted.finishIfUnset('abort');
    expect(replyToChunks(aborted.build({ workerId: 'w', wire: LlmGenerateRequest.fromPartial({}) })).at(-1)?.finish).toBe('stop');
    expect(replyToChunks(new LlmReplyBuilder().build({ workerId: 'w', wire: LlmGenerateRequest.fromPartial({}) }))).toEqual([{ tokens: [], text: '', finish: 'eos' }]);
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
