import { sequenceIdOf, type CompletedEvent, REFERENCE_COMMAND_SYNTAX } from '@relayllm/relay-core';
import { ChunkRecordingEngineSpy } from '@relayllm/relay-core/testing';
import { RemoteSlmEngine, type SlmFailoverEvent } from '@relayllm/slm-remote';
import { healthCheckClient, SLM_WORKER_QUESTIONS, until, type AppProcessHandle } from '@relayllm/testing';
import { SlmWorkerCluster, summary } from './testing/slm-worker-cluster';

/**
 * Real slm-worker processes (reference SLM, real gRPC, heartbeats over a
 * private nats-server, found through the NATS WorkerRegistry) driven by
 * relay-core's runRelay through RemoteSlmEngine, with the LLM in this process;
 * compared with the same relay on in-process engines (the embedded mode).
 */

describe('slm-worker processes + RemoteSlmEngine (reference models, real gRPC and NATS)', () => {
  const cluster = new SlmWorkerCluster();
  const { workers, embedded } = cluster;
  const directory = cluster.directory;
  const liveSlmWorkers = () => cluster.liveSlmWorkers();
  const startWorker = (id: string) => cluster.startWorker(id);
  const relay = cluster.relay.bind(cluster);

  beforeAll(() => cluster.start(['slm-it-1', 'slm-it-2']), 180_000);
  afterAll(() => cluster.stop(), 60_000);

  it('returns exactly what the embedded relay returns, with several tokens per frame', async () => {
    const remote = new RemoteSlmEngine({ directory, commandSyntax: () => REFERENCE_COMMAND_SYNTAX });
    const observed = new ChunkRecordingEngineSpy(remote);
    try {
      for (const [i, q] of SLM_WORKER_QUESTIONS.entries()) {
        const completed = await relay(observed, q, `rem-${i}`);
        remote.release(sequenceIdOf(`rem-${i}`, 'slm'));
        expect(summary(completed)).toEqual(summary(embedded.get(q) as CompletedEvent));
      }
    } finally {
      await remote.close();
    }
    const calls = [...embedded.values()].reduce((n, c) => n + c.usage.calls, 0);
    const sizes = observed.chunkSizes;
    console.log(`[slm-worker] ${SLM_WORKER_QUESTIONS.length} relays identical; ${calls} LLM calls; ${sizes.reduce((a, b) => a + b, 0)} SLM tokens in ${sizes.length} frames (max ${Math.max(...sizes)})`);
    expect(calls).toBeGreaterThan(0); // the pause at </call> and the append path were exercised
    // Batched: frames carry several tokens (they flush at 16 tokens, a command's </call> or the finish).
    expect(sizes.length).toBeLessThan(sizes.reduce((a, b) => a + b, 0) / 2);
  }, 180_000);

  it('cancel and deadline leave no busy sequence on the workers', async () => {
    const remote = new RemoteSlmEngine({ directory, commandSyntax: () => REFERENCE_COMMAND_SYNTAX });
    const cancel = new AbortController();
    const cancelling = new ChunkRecordingEngineSpy(remote, async () => cancel.abort());
    const tight = new RemoteSlmEngine({ directory, commandSyntax: () => REFERENCE_COMMAND_SYNTAX, generateDeadlineMs: 1 });
    try {
      const cancelled = await relay(cancelling, SLM_WORKER_QUESTIONS[7] as string, 'cancel-1', cancel.signal);
      expect(cancelled.finishReason).toBe('cancelled');
      await expect(relay(tight, SLM_WORKER_QUESTIONS[6] as string, 'deadline-1')).rejects.toMatchObject({ kind: 'deadline_exceeded', reason: 'WORKER_DEADLINE' });
      remote.release(sequenceIdOf('cancel-1', 'slm'));
      tight.release(sequenceIdOf('deadline-1', 'slm'));
      const releasedAt = Date.now();
      // Heartbeats sent after the release announce max(open streams, leased llama.cpp sequences): 0 on both workers.
      await until(
        () => liveSlmWorkers().length === 2 && liveSlmWorkers().every((w) => w.lastSeenMs > releasedAt + 250 && w.activeSequences === 0),
        'idle workers',
      );
      // And every sequence is usable again: 8 generations on both workers at once (4 per worker, decoded
      // in shared llama.cpp batches), each identical to its solo embedded run.
      const again = await Promise.all(SLM_WORKER_QUESTIONS.slice(0, 8).map((q, i) => relay(remote, q, `after-${i}`)));
      expect(again.map(summary)).toEqual(SLM_WORKER_QUESTIONS.slice(0, 8).map((q) => summary(embedded.get(q) as CompletedEvent)));
      for (let i = 0; i < 8; i += 1) remote.release(sequenceIdOf(`after-${i}`, 'slm'));
    } finally {
      await Promise.all([remote.close(), tight.close()]);
    }
  }, 120_000);

  it('kill -9 of the worker mid-stream: the generation completes on the other worker with identical output', async () => {
    const failovers: SlmFailoverEvent[] = [];
    const remote = new RemoteSlmEngine({ directory, commandSyntax: () => REFERENCE_COMMAND_SYNTAX, onFailover: (e) => failovers.push(e) });
    const state: { killed?: string } = {};
    const lastKilled = (): string | undefined => state.killed;
    const killer = new ChunkRecordingEngineSpy(remote, async (request, index) => {
      if (state.killed !== undefined || index !== 0) return;
      state.killed = remote.workerOf(request.sequenceId) as string;
      const worker = workers.get(state.killed) as AppProcessHandle;
      worker.kill('SIGKILL');
      await worker.exited;
    });
    try {
      // Generations where the SLM resumes after an LLM call: the worker pauses at the first command's
      // </call>, so when the kill lands (at the first chunk) the rest of the SLM's text must come from
      // another worker, whatever the machine's speed.
      const resuming = SLM_WORKER_QUESTIONS.filter((q) => {
        const c = embedded.get(q) as CompletedEvent;
        return c.usage.calls > 0 && c.finishReason !== 'llm_eos';
      }).slice(0, 2);
      expect(resuming.length).toBeGreaterThan(0);
      for (const q of resuming) {
        state.killed = undefined;
        const completed = await relay(killer, q, `kill-${q}`);
        expect(summary(completed)).toEqual(summary(embedded.get(q) as CompletedEvent));
        const survivor = remote.workerOf(sequenceIdOf(`kill-${q}`, 'slm'));
        expect(survivor).toBeDefined();
        expect(survivor).not.toBe(lastKilled());
        remote.release(sequenceIdOf(`kill-${q}`, 'slm'));
        // Bring the killed worker back for the next round.
        const killed = lastKilled() as string;
        workers.delete(killed);
        await startWorker(killed);
        await until(() => liveSlmWorkers().length === 2, 'the restarted worker to announce itself');
      }
    } finally {
      await remote.close();
    }
    // In-generate failovers (a kill noticed between turns opens the next turn's stream elsewhere instead).
    console.log(`[slm-worker] failovers: ${failovers.map((f) => `${f.fromWorkerId} after ${f.yieldedTokens} tokens (${f.error.reason})`).join('; ')}`);
  }, 180_000);

  // Concurrent streams on one worker are decoded in shared llama.cpp batches; outputs are batch-invariant
  // (llama-cpp's serializeSampling), so every generation, including the displaced ones, equals its solo embedded run.
  it('concurrent generations, kill -9 of one worker: every generation completes on the survivor with identical output', async () => {
    const failovers: SlmFailoverEvent[] = [];
    const remote = new RemoteSlmEngine({ directory, commandSyntax: () => REFERENCE_COMMAND_SYNTAX, onFailover: (e) => failovers.push(e) });
    const state: { chunks: number; killed?: string } = { chunks: 0 };
    const killer = new ChunkRecordingEngineSpy(remote, async (request) => {
      state.chunks += 1;
      if (state.killed !== undefined || state.chunks < 6) return;
      state.killed = remote.workerOf(request.sequenceId) as string;
      (workers.get(state.killed) as AppProcessHandle).kill('SIGKILL');
    });
    // 4 at once: 2 streams per worker (this client balances by its own open streams), so the survivor has room for the displaced ones.
    const batch = SLM_WORKER_QUESTIONS.slice(4, 8);
    try {
      const results = await Promise.all(batch.map((q, i) => relay(killer, q, `many-${i}`)));
      for (const c of results) expect(c.usage.responseTokens).toBe(c.usage.slmTokens + c.usage.llmTokens);
      expect(results.map(summary)).toEqual(batch.map((q) => summary(embedded.get(q) as CompletedEvent)));
      for (const [i] of batch.entries()) expect(remote.workerOf(sequenceIdOf(`many-${i}`, 'slm'))).not.toBe(state.killed);
      batch.forEach((_, i) => remote.release(sequenceIdOf(`many-${i}`, 'slm')));
    } finally {
      await remote.close();
    }
    const killed = state.killed as string;
    expect(killed).toBeDefined();
    console.log(`[slm-worker] concurrent: killed ${killed}; failovers ${failovers.map((f) => `${f.sequenceId} after ${f.yieldedTokens}`).join(', ')}`);
    const exited = (workers.get(killed) as AppProcessHandle).exited;
    await exited;
    workers.delete(killed);
    await startWorker(killed);
    const releasedAt = Date.now();
    await until(
      () => liveSlmWorkers().length === 2 && liveSlmWorkers().every((w) => w.lastSeenMs > releasedAt + 250 && w.activeSequences === 0),
      'the restarted worker and idle workers',
    );
  }, 180_000);

  it('answers grpc.health.v1.Health: SERVING for the worker and its service', async () => {
    const health = healthCheckClient((workers.get('slm-it-2') as AppProcessHandle).ready[2] as string);
    try {
      await expect(health.check('')).resolves.toBe('SERVING');
      await expect(health.check('relayllm.v1.SlmWorkerService')).resolves.toBe('SERVING');
    } finally {
      health.close();
    }
  });

  it('SIGTERM mid-stream: the worker leaves and exits 0; the generation completes on the other worker with identical output', async () => {
    const remote = new RemoteSlmEngine({ directory, commandSyntax: () => REFERENCE_COMMAND_SYNTAX });
    const state: { stopped?: AppProcessHandle } = {};
    const stopper = new ChunkRecordingEngineSpy(remote, async (request) => {
      if (state.stopped !== undefined) return;
      const id = remote.workerOf(request.sequenceId) as string;
      state.stopped = workers.get(id) as AppProcessHandle;
      state.stopped.kill('SIGTERM');
    });
    try {
      const q = SLM_WORKER_QUESTIONS[6] as string;
      const completed = await relay(stopper, q, 'sigterm-1');
      expect(summary(completed)).toEqual(summary(embedded.get(q) as CompletedEvent));
      const stopped = state.stopped as AppProcessHandle;
      expect(await stopped.exited).toEqual({ code: 0, signal: null });
      expect(remote.workerOf('sigterm-1/slm')).not.toBe(stopped.name);
      // Its `leaving` heartbeat removed it from the registry at once.
      await until(() => liveSlmWorkers().every((w) => w.workerId !== stopped.name), 'the stopped worker to leave the registry');
    } finally {
      await remote.close();
    }
  }, 120_000);
});
