import { EngineFinish, LlmGenerateRequest, WorkerErrorKind, type EngineRequest, type LlmGenerateReply } from '@relayllm/proto';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { BlockingEngineFake } from '../testing/blocking-engine.fake';
import { LlmWorkerService } from './llm-worker.service';

/** A relay call of generation `generation` (default g1): the envelope's fields, then the engine request's. */
const wire = ({ generation = 'g1', model = 'llm', attempt = 1, send = 1, ...request }: Partial<EngineRequest> & { generation?: string; model?: string; attempt?: number; send?: number } = {}): LlmGenerateRequest =>
  LlmGenerateRequest.fromPartial({ model, attempt, send, request: { sequenceId: `${generation}/llm`, contextText: 'Compute 1+2.\n', maxTokens: 4, ...request } });

/** The reply's text and finish. */
const output = (reply: LlmGenerateReply): [string | undefined, EngineFinish | undefined] => [reply.output?.text, reply.output?.finish];

const until = async (predicate: () => boolean): Promise<void> => {
  for (let i = 0; i < 1_000 && !predicate(); i++) await new Promise((r) => setImmediate(r));
};

describe('LlmWorkerService', () => {
  it('runs the engine on sequence <generationId>/llm and replies with the whole output', async () => {
    const engine = new ScriptedEngine(['12</s>']);
    const service = new LlmWorkerService(engine, { workerId: 'w1', model: 'llm', maxSequences: 2 });
    const reply = await service.generate(wire());
    expect(reply.error).toBeUndefined();
    expect([reply.workerId, ...output(reply)]).toEqual(['w1', '12', EngineFinish.ENGINE_FINISH_EOS]);
    expect(engine.requests[0]?.sequenceId).toBe('g1/llm');
    expect(service.activeSequences).toBe(0);
  });

  it('refuses with resource_exhausted WORKER_FULL when every sequence is busy, and heartbeats the change', async () => {
    const engine = new BlockingEngineFake();
    const service = new LlmWorkerService(engine, { workerId: 'w1', model: 'llm', maxSequences: 1 });
    let capacityChanges = 0;
    service.setCapacityListener(() => (capacityChanges += 1));
    const first = service.generate(wire({ generation: 'a' }));
    await until(() => engine.requests.length === 1);
    const refused = await service.generate(wire({ generation: 'b' }));
    expect(refused.error).toMatchObject({ kind: WorkerErrorKind.WORKER_ERROR_KIND_RESOURCE_EXHAUSTED, reason: 'WORKER_FULL' });
    expect(service.activeSequences).toBe(1);
    service.cancel({ sequenceId: 'a/llm', turn: 0 });
    const aborted = await first;
    expect([...output(aborted), aborted.evaluatedTokens]).toEqual(['1', EngineFinish.ENGINE_FINISH_ABORT, 5]);
    expect(service.activeSequences).toBe(0);
    expect(capacityChanges).toBe(2);
  });

  it('a reissued attempt of the same generation replaces the one still running', async () => {
    const engine = new BlockingEngineFake();
    const service = new LlmWorkerService(engine, { workerId: 'w1', model: 'llm', maxSequences: 1 });
    const first = service.generate(wire({ attempt: 1 }));
    await until(() => engine.requests.length === 1);
    const second = service.generate(wire({ attempt: 2 }));
    expect(output(await first)[1]).toBe(EngineFinish.ENGINE_FINISH_ABORT);
    await until(() => engine.requests.length === 2);
    expect(engine.signals[0]?.aborted).toBe(true);
    service.cancel({ sequenceId: 'g1/llm', turn: 0 });
    expect((await second).attempt).toBe(2);
  });

  it('a late duplicate of an earlier send (a frozen NATS replaying its buffer) is dropped: the live run goes on', async () => {
    const engine = new BlockingEngineFake();
    const service = new LlmWorkerService(engine, { workerId: 'w1', model: 'llm', maxSequences: 1 });
    const resent = service.generate(wire({ attempt: 1, send: 2 }));
    await until(() => engine.requests.length === 1);
    const stale = await service.generate(wire({ attempt: 1, send: 1 }));
    expect(stale.error).toMatchObject({ kind: WorkerErrorKind.WORKER_ERROR_KIND_FAILED_PRECONDITION, reason: 'GENERATION_IN_USE' });
    expect([engine.requests.length, engine.signals[0]?.aborted]).toEqual([1, false]);
    const sameAgain = await service.generate(wire({ attempt: 1, send: 2 }));
    expect(sameAgain.error).toMatchObject({ reason: 'GENERATION_IN_USE' });
    service.cancel({ sequenceId: 'g1/llm', turn: 0 });
    expect(await resent).toMatchObject({ attempt: 1 });
  });

  it('a cancel stops the call it names (or an earlier one), never a later call of the generation', async () => {
    const engine = new BlockingEngineFake();
    const service = new LlmWorkerService(engine, { workerId: 'w1', model: 'llm', maxSequences: 1 });
    const next = service.generate(wire({ turn: 1 }));
    await until(() => engine.requests.length === 1);
    service.cancel({ sequenceId: 'g1/llm', turn: 0 }); // the previous call's cancel, delivered late
    expect(engine.signals[0]?.aborted).toBe(false);
    service.cancel({ sequenceId: 'g1/llm', turn: 1 });
    expect(output(await next)[1]).toBe(EngineFinish.ENGINE_FINISH_ABORT);
  });

  it('honours the time limit the call carries: passing during generation aborts the engine (DEADLINE_EXCEEDED WORKER_DEADLINE)', async () => {
    const engine = new BlockingEngineFake();
    const service = new LlmWorkerService(engine, { workerId: 'w1', model: 'llm', maxSequences: 1 });
    const expiring = await service.generate(wire({ timeoutMs: 1 }));
    expect(expiring.error).toMatchObject({ kind: WorkerErrorKind.WORKER_ERROR_KIND_DEADLINE_EXCEEDED, reason: 'WORKER_DEADLINE' });
    expect(engine.signals[0]?.aborted).toBe(true);
    expect(service.activeSequences).toBe(0);
  });

  it('answers other models, engine failures and draining with typed errors', async () => {
    const failing = new ScriptedEngine([{ text: '1', failAfterChunks: 0 }]);
    const service = new LlmWorkerService(failing, { workerId: 'w1', model: 'llm', maxSequences: 1 });
    expect((await service.generate(wire({ model: 'other' }))).error).toMatchObject({ kind: WorkerErrorKind.WORKER_ERROR_KIND_FAILED_PRECONDITION, reason: 'MODEL_MISMATCH' });
    expect((await service.generate(wire({ sequenceId: 'g1/slm' }))).error).toMatchObject({ kind: WorkerErrorKind.WORKER_ERROR_KIND_INVALID_ARGUMENT, reason: 'GENERATION_ID_INVALID' });
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
    expect(output(await running)[1]).toBe(EngineFinish.ENGINE_FINISH_ABORT);
    expect(service.activeSequences).toBe(0);
  });
});
