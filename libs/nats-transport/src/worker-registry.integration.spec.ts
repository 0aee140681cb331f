import type { NatsConnection } from '@nats-io/nats-core';
import { WorkerKind } from '@relayllm/proto';
import { natsServerFixture } from '@relayllm/testing';
import { connectNats, WorkerAnnouncer, WorkerRegistry } from './index';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The registry's silence rule against a real nats-server that goes away: silence is a worker's only when this process can hear. */
describe('WorkerRegistry while its NATS link is down or frozen (real nats-server)', () => {
  const nats = natsServerFixture(connectNats);
  const announcers: WorkerAnnouncer[] = [];
  afterAll(async () => {
    await Promise.all(announcers.map((a) => a.stop().catch(() => undefined)));
  });

  async function announce(id: string): Promise<NatsConnection> {
    const nc = await nats.connect(id);
    const announcer = new WorkerAnnouncer(nc, { workerId: id, kind: WorkerKind.WORKER_KIND_SLM, model: 'slm', address: () => '127.0.0.1:9', maxSequences: 1, activeSequences: () => 0, intervalMs: 50 });
    announcer.start();
    announcers.push(announcer);
    return nc;
  }

  it('NATS down: no worker expires (the silence is ours); back: a worker heard again stays, one still silent expires', async () => {
    const registry = new WorkerRegistry(await nats.connect('registry'), { sweepIntervalMs: 20 });
    registry.start();
    await announce('w-back');
    const silentNc = await announce('w-silent');
    const live = () => registry.live(WorkerKind.WORKER_KIND_SLM, 'slm').map((w) => w.workerId);
    await until(() => live().length === 2, 'both workers to join');
    await nats.server.stop();
    await until(() => !registry.hearing, 'the registry to notice the link is down');
    await sleep(600); // 12 heartbeat intervals without a heartbeat
    expect(live()).toEqual(['w-back', 'w-silent']);
    await silentNc.close(); // this one will not be heard again
    await nats.server.start();
    await until(() => !live().includes('w-silent'), 'the silent worker to expire after the reconnect');
    expect(live()).toEqual(['w-back']);
    registry.close();
  }, 30_000);

  it('NATS frozen (SIGSTOP: the socket stays open, no disconnect yet): the unanswered ping keeps every worker', async () => {
    const registry = new WorkerRegistry(await nats.connect('registry-frozen'), { sweepIntervalMs: 20, probeTimeoutMs: 200 });
    registry.start();
    await announce('w-frozen');
    const live = () => registry.live(WorkerKind.WORKER_KIND_SLM, 'slm').map((w) => w.workerId);
    await until(() => live().includes('w-frozen'), 'the worker to join');
    const pid = nats.server.pid as number;
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(1_500); // 30 heartbeat intervals
      expect(live()).toContain('w-frozen');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await sleep(500);
    expect(live()).toContain('w-frozen');
    registry.close();
  }, 30_000);
});
