import { REFERENCE_COMMAND_SYNTAX, sequenceIdOf, type CompletedEvent } from '@relayllm/relay-core';
import { ChunkRecordingEngineSpy } from '@relayllm/relay-core/testing';
import { RemoteSlmEngine, StaticSlmWorkerDirectory, type RemoteSlmEngineOptions, type SlmFailoverEvent } from '@relayllm/slm-remote';
import { SLM_WORKER_QUESTIONS, until, type AppProcessHandle } from '@relayllm/testing';
import { SlmWorkerCluster, summary } from './testing/slm-worker-cluster';

/**
 * A frozen SLM worker (SIGSTOP: its TCP connections stay open, it answers
 * nothing) and no SLM worker at all, with real worker processes: a frozen
 * worker's generations fail over like a killed worker's, found either by the
 * registry (its heartbeats stopped) or by the stream's keepalive; with no
 * worker a generate fails UNAVAILABLE after the outage grace.
 */
describe('slm-worker processes: a frozen worker, no worker (reference models, real gRPC and NATS)', () => {
  const cluster = new SlmWorkerCluster();
  beforeAll(() => cluster.start(['slm-frz-1', 'slm-frz-2']), 180_000);
  afterAll(() => cluster.stop(), 60_000);

  /** Questions whose SLM goes on after an LLM call: a freeze at the first chunk leaves SLM text to come from another worker. */
  const resuming = () =>
    SLM_WORKER_QUESTIONS.filter((q) => {
      const c = cluster.embedded.get(q) as CompletedEvent;
      return c.usage.calls > 0 && c.finishReason !== 'llm_eos';
    });

  /** Freezes the worker serving the relay at its first chunk; returns the relay's summary, the frozen worker and how long the relay took after the freeze. */
  async function relayThroughFreeze(options: Partial<RemoteSlmEngineOptions>, question: string, id: string) {
    const failovers: SlmFailoverEvent[] = [];
    const remote = new RemoteSlmEngine({ directory: cluster.directory, commandSyntax: () => REFERENCE_COMMAND_SYNTAX, onFailover: (e) => failovers.push(e), ...options });
    const state: { frozen?: AppProcessHandle; at?: number } = {};
    const freezer = new ChunkRecordingEngineSpy(remote, async (request) => {
      if (state.frozen !== undefined) return;
      state.frozen = cluster.workers.get(remote.workerOf(request.sequenceId) as string) as AppProcessHandle;
      state.frozen.kill('SIGSTOP');
      state.at = Date.now();
    });
    try {
      const completed = await cluster.relay(freezer, question, id);
      const afterFreezeMs = Date.now() - (state.at as number);
      const survivor = remote.workerOf(sequenceIdOf(id, 'slm'));
      remote.release(sequenceIdOf(id, 'slm'));
      return { completed, frozen: state.frozen as AppProcessHandle, afterFreezeMs, failovers, survivor };
    } finally {
      state.frozen?.kill('SIGCONT');
      await remote.close();
      await until(() => cluster.liveSlmWorkers().length === 2, 'the thawed worker to announce itself again');
    }
  }

  it('SIGSTOP mid-generation, the registry drops the worker: the generation completes on the other worker within ~5 s, identical', async () => {
    const question = resuming()[0] as string;
    const run = await relayThroughFreeze({ onCapacityChange: (listener) => cluster.registry.onChange(() => listener()) }, question, 'frozen-registry');
    console.log(`[slm-worker] frozen ${run.frozen.name}: completed ${run.afterFreezeMs} ms after the freeze; failovers ${run.failovers.map((f) => f.error.reason).join(', ')}`);
    expect(summary(run.completed)).toEqual(cluster.expected(question));
    expect(run.survivor).not.toBe(run.frozen.name);
    expect(run.afterFreezeMs).toBeLessThan(5_000);
  }, 120_000);

  it('SIGSTOP mid-generation, nobody tells the client: the stream keepalive notices within ~6 s and the generation completes elsewhere, identical', async () => {
    const question = resuming()[1] ?? (resuming()[0] as string);
    const run = await relayThroughFreeze({}, question, 'frozen-keepalive');
    console.log(`[slm-worker] frozen ${run.frozen.name} (keepalive only): completed ${run.afterFreezeMs} ms after the freeze; failovers ${run.failovers.map((f) => f.error.reason).join(', ')}`);
    expect(summary(run.completed)).toEqual(cluster.expected(question));
    expect(run.survivor).not.toBe(run.frozen.name);
    expect(run.afterFreezeMs).toBeLessThan(9_000);
  }, 120_000);

  it('no SLM worker at all: UNAVAILABLE NO_SLM_WORKER after the outage grace, not the whole capacity wait', async () => {
    const remote = new RemoteSlmEngine({ directory: new StaticSlmWorkerDirectory([]), commandSyntax: () => REFERENCE_COMMAND_SYNTAX, capacityWaitMs: 60_000, outageGraceMs: 1_000 });
    const startedAt = Date.now();
    try {
      await expect(cluster.relay(remote, SLM_WORKER_QUESTIONS[0] as string, 'no-worker')).rejects.toMatchObject({ kind: 'unavailable', reason: 'NO_SLM_WORKER' });
    } finally {
      await remote.close();
    }
    expect(Date.now() - startedAt).toBeLessThan(1_000 + 1_500);
  }, 30_000);
});
