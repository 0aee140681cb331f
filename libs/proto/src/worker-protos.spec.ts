import { LlmGenerateReply, LlmGenerateRequest, WorkerErrorKind, WorkerHeartbeat, WorkerKind } from './index';

describe('@relayllm/proto worker protocols (generated)', () => {
  it('round-trips a heartbeat', () => {
    const hb = WorkerHeartbeat.fromPartial({ workerId: 'w1', kind: WorkerKind.WORKER_KIND_LLM, model: 'llm', maxSequences: 2, activeSequences: 1, sentAtMs: 1_700_000_000_000, intervalMs: 1000 });
    expect(WorkerHeartbeat.decode(WorkerHeartbeat.encode(hb).finish())).toEqual(hb);
  });

  it('keeps absent context tokens and append offsets distinct from empty ones', () => {
    const absent = LlmGenerateRequest.decode(LlmGenerateRequest.encode(LlmGenerateRequest.fromPartial({ contextText: 'a', maxTokens: 3 })).finish());
    expect(absent.contextTokens).toBeUndefined();
    expect(absent.appendFrom).toBeUndefined();
    const empty = LlmGenerateRequest.decode(
      LlmGenerateRequest.encode(LlmGenerateRequest.fromPartial({ contextTokens: { ids: [] }, appendOnly: true, appendFrom: { text: 0 } })).finish(),
    );
    expect(empty.contextTokens).toEqual({ ids: [] });
    expect(empty.appendFrom).toEqual({ text: 0, tokens: undefined });
  });

  it('carries an error reply', () => {
    const reply = LlmGenerateReply.fromPartial({ workerId: 'w', error: { kind: WorkerErrorKind.WORKER_ERROR_KIND_RESOURCE_EXHAUSTED, reason: 'WORKER_FULL' } });
    expect(LlmGenerateReply.decode(LlmGenerateReply.encode(reply).finish()).error?.reason).toBe('WORKER_FULL');
  });
});
