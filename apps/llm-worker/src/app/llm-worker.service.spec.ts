import { LlmFinishReason, LlmGenerateRequest, WorkerErrorKind } from '@relayllm/proto';
import { ManualClock, ScriptedEngine } from '@relayllm/relay-core/testing';
import { BlockingEngineFake } from '../testing/blocking-engine.fake';
import { LlmWorkerService } from './llm-worker.service';

const wire = (overrides: Partial<LlmGenerateRequest> = {}): LlmGenerateRequest =>
  LlmGenerateRequest.fromPartial({ generationId: 'g1', model: 'llm', contextText: 'Compute 1+2.\n', maxTokens: 4, attempt: 1, ...overrides });

const until = async (predicate: () => boolean): Promise<void> => {
  for (let i = 0; i < 1_000 && !predicate(); i++) await new Promise((r) => setImmediate(r));
};

describe('LlmWorkerService', () => {
  it('runs the engine on sequence <generationId>/llm and replies with the whole output', async () => {
    const engine = new ScriptedEngine(['12</s>']);
    const service = new LlmWorkerService(engine, { workerId: 'w1', model: 'llm', maxSequences: 2 });
    const reply = await service.generate(wire());
    expect(reply.error).toBeUndefined();
    expect([reply.workerId, reply.text, reply.finish]).toEqual(['w1', '12', LlmFinishReason.LLM_FINISH_REASON_EOS]);
    expect(engine.requests[0]?.sequenceId).toBe('g1/llm');
    expect(service.activeSequences).toBe(0);
  });

  it('refuses with resource_exhausted WORKER_FULL when every sequence is busy, and heartbeats the change', async () => {
    const engine = new BlockingEngineFake();
    const service = new LlmWorkerService(engine, { workerId: 'w1', model: 'llm', maxSequences: 1 });
    let capacityChanges = 0;
    service.setCapacityListener(() => (capacityChanges += 1));
    const first = service.generate(wire({ generationId: 'a' }));
    await until(() => engine.requests.length === 1);
    const refused = await service.generate(wire({ generationId: 'b' }));
    expect(refused.error).toMatchObject({ kind: WorkerErrorKind.WORKER_ERROR_KIND_RESOURCE_EXHAUSTED, reason: 'WORKER_FULL' });
    expect(service.activeSequences).toBe(1);
    service.cancel({ generationId: 'a', callIndex: 0 });
    const aborted = await first;
    expect([aborted.finish, aborted.text, aborted.evaluatedTokens]).toEqual([LlmFinishReason.LLM_FINISH_REASON_ABORT, '1', 5]);
    expect(service.activeSequences).toBe(0);
    expect(capacityChanges).toBe(2);
  });

  it('a reissued attempt of the same generation replaces the one still running', async () => {
    const engine = new BlockingEngineFake();
    const service = new LlmWorkerService(engine, { workerId: 'w1', model: 'llm', maxSequences: 1 });
    const first = service.generate(wire({ attempt: 1 }));
    await until(() => engine.requests.length === 1);
    const second = service.generate(wire({ attempt: 2 }));
    expect((await first).finish).toBe(LlmFinishReason.LLM_FINISH_REASON_ABORT);
    await until(() => engine.requests.length === 2);
    expect(engine.signals[0]?.aborted).toBe(true);
    service.cancel({ generationId: 'g1', callIndex: 0 });
    expect((await second).attempt).toBe(2);
  });

  it('honours the deadline: passed on arrival, or passing during generation (the engine is aborted)', async () => {
    const clock = new ManualClock(1_000_000);
    const engine = new BlockingEngineFake();
    const service = new LlmWorkerService(engine, { workerId: 'w1', model: 'llm', maxSequences: 1, clock });
    const late = await service.generate(wire({ deadlineUnixMs: 999_999 }));
    expect(late.error).toMatchObject({ kind: WorkerErrorKind.WORKER_ERROR_KIND_DEADLINE_EXCEEDED, reason: 'WORKER_DEADLINE' });
    const expiring = await service.generate(wire({ deadlineUnixMs: 1_000_001 }));
    expect(expiring.error?.kind).toBe(WorkerErrorKind.WORKER_ERROR_KIND_DEADLINE_EXCEEDED);
    expect(engine.signals[0]?.aborted).toBe(true);
    expect(service.activeSequences).toBe(0);
  });

  it('answers other models, engine failures and draining with typed errors', async () => {
    const failing = new ScriptedEngine([{ text: '1', failAfterChunks: 0 }]);
    const service = new LlmWorkerService(failing, { workerId: 'w1', model: 'llm', maxSequences: 1 });
    expect((await service.generate(wire({ model: 'other' }))).error).toMatchObject({ kind: WorkerErrorKind.WORKER_ERROR_KIND_FAILED_PRECONDITION, reason: 'MODEL_MISMATCH' });
    expect((await service.generate(wire())).error).toMatchObject({ kind: WorkerErrorKind.WORKER_ERROR_KIND_UNAVAILABLE, reason: 'ENGINE_FAILED' });
    await service.drain(0);
    expect((await service.generate(wire())).error).toMatchObject({ kind: WorkerErrorKind.WORKER_ERROR_KIND_UNAVAILABLE, reason: 'WORKER_DRAINING' });
  });

  it('drain waits for running work within the grace, then aborts what is left', async () => {
    const engine = new BlockingEngineFake();
    const service = new LlmWorkerService(engine, { workerId: 'w1', model: 'llm', maxSequences: 2 });
    const running = service.generate(wire());
    await until(() => engine.requests.length === 1);
    await service.drain(5);
    expect((await running).finish).toBe(LlmFinishReason.LLM_FINISH_REASON_ABORT);
    expect(service.activeSequences).toBe(0);
  });
});
