import { WorkerKind } from '@relayllm/proto';
import { natsServerFixture } from '@relayllm/testing';
import { connectNats, toNatsHeaders, traceHeadersFrom, WorkerAnnouncer, WorkerRegistry, type WorkerChange } from './index';

/** Resolves when `predicate` holds for a change (bounded by the test's own timeout). */
function nextChange(registry: WorkerRegistry, predicate: (c: WorkerChange) => boolean): Promise<WorkerChange> {
  return new Promise((resolve) => {
    const off = registry.onChange((change) => {
      if (predicate(change)) {
        off();
        resolve(change);
      }
    });
  });
}

describe('nats-transport against a real nats-server', () => {
  const nats = natsServerFixture(connectNats);
  const { connect } = nats;

  it('announces a worker, tracks its load, and forgets it at once when it leaves', async () => {
    const registry = new WorkerRegistry(await connect('registry'), { sweepIntervalMs: 50 });
    registry.start();
    let active = 0;
    const announcer = new WorkerAnnouncer(await connect('worker'), {
      workerId: 'w1',
      kind: WorkerKind.WORKER_KIND_LLM,
      model: 'llm',
      maxSequences: 2,
      activeSequences: () => active,
      intervalMs: 50,
    });
    const joined = nextChange(registry, (c) => c.worker.workerId === 'w1');
    announcer.start();
    expect((await joined).type).toBe('joined');
    active = 2;
    const busy = nextChange(registry, (c) => c.worker.activeSequences === 2);
    announcer.announce();
    expect((await busy).worker.maxSequences).toBe(2);
    expect(registry.live(WorkerKind.WORKER_KIND_LLM, 'llm').map((w) => w.workerId)).toEqual(['w1']);
    const left = nextChange(registry, (c) => c.type === 'left');
    await announcer.stop();
    expect((await left).worker.workerId).toBe('w1');
    expect(registry.get('w1')).toBeUndefined();
    registry.close();
  });

  it('expires a worker whose heartbeats stop without leaving (killed)', async () => {
    const registry = new WorkerRegistry(await connect('registry2'), { sweepIntervalMs: 20 });
    registry.start();
    const workerNc = await connect('doomed');
    const announcer = new WorkerAnnouncer(workerNc, {
      workerId: 'doomed',
      kind: WorkerKind.WORKER_KIND_SLM,
      model: 'slm',
      address: () => '127.0.0.1:9',
      maxSequences: 1,
      activeSequences: () => 0,
      intervalMs: 30,
    });
    const joined = nextChange(registry, (c) => c.worker.workerId === 'doomed');
    announcer.start();
    expect((await joined).worker.address).toBe('127.0.0.1:9');
    const expired = nextChange(registry, (c) => c.type === 'expired');
    await workerNc.close(); // no leaving heartbeat: like kill -9
    expect((await expired).worker.workerId).toBe('doomed');
    await announcer.stop();
    registry.close();
  });

  it('passes trace headers through a request and its reply', async () => {
    const responder = await connect('responder');
    responder.subscribe('trace.echo', {
      callback: (_error, msg) => {
        msg.respond(msg.data, { headers: toNatsHeaders(traceHeadersFrom(msg.headers)) });
      },
    });
    await responder.flush();
    const requester = await connect('requester');
    const reply = await requester.request('trace.echo', new Uint8Array([1]), {
      timeout: 5_000,
      headers: toNatsHeaders({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'a=b' }),
    });
    expect(traceHeadersFrom(reply.headers)).toEqual({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'a=b' });
  });

  it('reconnects after nats-server restarts', async () => {
    const nc = await connect('survivor');
    await nats.server.stop();
    await nats.server.start();
    const sub = nc.subscribe('after.restart', { max: 1 });
    const got = (async () => {
      for await (const msg of sub) return msg.string();
      return undefined;
    })();
    const other = await connect('publisher');
    // The survivor's subscription is re-sent on reconnect; publish until it arrives (bounded).
    for (let i = 0; i < 200 && !sub.isClosed(); i++) {
      other.publish('after.restart', 'hello');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await got).toBe('hello');
    expect(nc.isClosed()).toBe(false);
  });
});
