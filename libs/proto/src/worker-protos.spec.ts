import { EngineRequest, LlmGenerateReply, LlmGenerateRequest, WorkerErrorKind, WorkerHeartbeat, WorkerKind } from './index';

describe('@relayllm/proto worker protocols (generated)', () => {
  it('round-trips a heartbeat', () => {
    const hb = WorkerHeartbeat.fromPartial({ workerId: 'w1', kind: WorkerKind.WORKER_KIND_LLM, model: 'llm', maxSequences: 2, activeSequences: 1, sentAtMs: 1_700_000_000_000, intervalMs: 1000 });
    expect(WorkerHeartbeat.decode(WorkerHeartbeat.encode(hb).finish())).toEqual(hb);
  });

  it('keeps absent context tokens, append offsets and sampling fields distinct from empty ones and zeros', () => {
    const absent = EngineRequest.decode(EngineRequest.encode(EngineRequest.fromPartial({ contextText: 'a', maxTokens: 3 })).finish());
    expect([absent.contextTokens, absent.appendFrom, absent.sampling]).toEqual([undefined, undefined, undefined]);
    const zeros = EngineRequest.decode(
      EngineRequest.encode(EngineRequest.fromPartial({ contextTokens: { ids: [] }, appendOnly: true, appendFrom: { text: 0, tokens: 0 }, sampling: { temperature: 0, seed: 0 } })).finish(),
    );
    expect([zeros.contextTokens, zeros.appendFrom, zeros.sampling]).toEqual([{ ids: [] }, { text: 0, tokens: 0 }, { temperature: 0, topP: undefined, seed: 0 }]);
  });

  it('carries a relay call and an error reply', () => {
    const call = LlmGenerateRequest.decode(LlmGenerateRequest.encode(LlmGenerateRequest.fromPartial({ model: 'llm', attempt: 2, request: { sequenceId: 'g/llm', turn: 1 } })).finish());
    expect(call.request).toMatchObject({ sequenceId: 'g/llm', turn: 1 });
    const reply = LlmGenerateReply.fromPartial({ workerId: 'w', error: { kind: WorkerErrorKind.WORKER_ERROR_KIND_RESOURCE_EXHAUSTED, reason: 'WORKER_FULL' } });
    expect(LlmGenerateReply.decode(LlmGenerateReply.encode(reply).finish()).error?.reason).toBe('WORKER_FULL');
  });
});
