import {
  CancelledReason,
  InvalidArgumentReason,
  RelayError,
  ResourceExhaustedReason,
  UnavailableReason,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';
import { ManualClock } from '@relayllm/relay-core/testing';
import { ScriptedTransportFake } from '../testing';
import { RemoteEngine, type RemoteEngineObserver } from './remote-engine';
import type { WorkerRoute } from './worker-choice';

const request: EngineRequest = {
  sequenceId: 'g/slm',
  turn: 0,
  context: { text: 'Q:' },
  appendOnly: true,
  appendFrom: { text: 1 },
  maxTokens: 10,
  sampling: {},
  stopTokens: [],
  stop: [],
  bannedTokens: [],
};
const w = (workerId: string, activeSequences = 0) => ({ workerId, activeSequences, maxSequences: 2 });
const full = RelayError.resourceExhausted(ResourceExhaustedReason.WORKER_FULL, 'full');
const gone = RelayError.unavailable(UnavailableReason.SLM_STREAM_FAILED, 'gone');

async function text(stream: AsyncIterable<EngineChunk>): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.text;
  return out;
}
const routes = (t: ScriptedTransportFake): WorkerRoute[] => t.attempts.map((a) => a.route);

describe('RemoteEngine', () => {
  it('streams one attempt on the chosen worker, reporting the route first', async () => {
    const transport = new ScriptedTransportFake([w('a', 1), w('b')], [{ texts: ['x', 'y'] }]);
    const routed: number[] = [];
    const observer: RemoteEngineObserver = { routed: (e) => routed.push(e.attempt), failedOver: () => undefined };
    expect(await text(new RemoteEngine(transport, { observer }).generate(request, new AbortController().signal))).toBe('xy');
    expect(routes(transport)).toEqual([{ kind: 'worker', workerId: 'b' }]);
    expect(transport.attempts[0]?.request).toBe(request);
    expect(routed).toEqual([1]);
  });

  it('a failure mid-stream continues on another worker from the context plus what was yielded: each token once', async () => {
    const transport = new ScriptedTransportFake([w('a'), w('b', 1)], [{ texts: ['x', 'y'], error: gone }, { texts: ['z'] }]);
    const failovers: unknown[] = [];
    const engine = new RemoteEngine(transport, { observer: { routed: () => undefined, failedOver: (e) => failovers.push([e.workerId, e.yieldedTokens, e.error.reason]) } });
    expect(await text(engine.generate(request, new AbortController().signal))).toBe('xyz');
    expect(routes(transport)).toEqual([{ kind: 'worker', workerId: 'a' }, { kind: 'worker', workerId: 'b' }]);
    expect(transport.attempts[1]?.request).toMatchObject({ context: { text: 'Q:xy' }, maxTokens: 8, appendOnly: false });
    expect(transport.attempts[1]?.request.appendFrom).toBeUndefined();
    expect(failovers).toEqual([['a', 2, 'SLM_STREAM_FAILED']]);
    // 'a' failed as unavailable: the next generate tries it after 'b' although 'a' is less loaded.
    await text(engine.generate(request, new AbortController().signal));
    expect(routes(transport)[2]).toEqual({ kind: 'worker', workerId: 'b' });
  });

  it('a failure another worker cannot fix is thrown as it is, without a reissue', async () => {
    const bad = RelayError.invalidArgument(InvalidArgumentReason.CONTEXT_TOO_LONG, 'too long');
    const transport = new ScriptedTransportFake([w('a'), w('b')], [{ error: bad }]);
    await expect(text(new RemoteEngine(transport).generate(request, new AbortController().signal))).rejects.toBe(bad);
    expect(transport.attempts).toHaveLength(1);
  });

  it('attempts run out: the transport names the error (all full, or the last failure)', async () => {
    const transport = new ScriptedTransportFake([w('a'), w('b'), w('c')], [{ error: full }, { error: full }, { error: full }]);
    const error = await text(new RemoteEngine(transport, { policy: { maxAttempts: 2, capacityWaitMs: 0, retryDelayMs: 10 } }).generate(request, new AbortController().signal)).catch((e: Error) => e);
    expect(error).toMatchObject({ kind: 'resource_exhausted', message: 'attempts ran out (all full: true)', cause: full });
    expect(transport.attempts).toHaveLength(2);
  });

  it('no worker left: the transport names it; with a capacity wait the generate waits for a worker to appear', async () => {
    const none = new ScriptedTransportFake([], []);
    await expect(text(new RemoteEngine(none).generate(request, new AbortController().signal))).rejects.toMatchObject({ kind: 'unavailable', message: 'no worker left (all full: false)' });
    const later = new ScriptedTransportFake([], [{ texts: ['ok'] }]);
    const waiting = text(new RemoteEngine(later, { policy: { maxAttempts: 3, capacityWaitMs: 60_000, retryDelayMs: 60_000 } }).generate(request, new AbortController().signal));
    await new Promise((resolve) => setImmediate(resolve));
    later.workers = [w('late')];
    later.capacityChanged();
    expect(await waiting).toBe('ok');
  });

  it('a broker-routed attempt that fails excludes the worker that took it', async () => {
    const transport = new ScriptedTransportFake([w('a'), w('b')], [{ takenBy: 'a', error: gone }, { texts: ['ok'] }], true, false);
    expect(await text(new RemoteEngine(transport).generate(request, new AbortController().signal))).toBe('ok');
    expect(routes(transport)).toEqual([{ kind: 'any' }, { kind: 'worker', workerId: 'b' }]);
  });

  it('no attempt starts after the call deadline (CALL_DEADLINE); an aborted generate just ends', async () => {
    const clock = new ManualClock(1_000);
    const transport = new ScriptedTransportFake([w('a'), w('b')], [{ error: gone }]);
    const engine = new RemoteEngine(transport, { clock });
    await expect(text(engine.generate({ ...request, deadlineAtMs: 1_000 }, new AbortController().signal))).rejects.toMatchObject({ kind: 'deadline_exceeded', reason: 'CALL_DEADLINE' });
    expect(transport.attempts).toHaveLength(0);
    const aborted = new AbortController();
    aborted.abort(RelayError.cancelled(CancelledReason.CLIENT_CANCELLED, 'x'));
    expect(await text(new RemoteEngine(new ScriptedTransportFake([w('a')], [{ texts: ['x'] }])).generate(request, aborted.signal))).toBe('');
  });

  it("each attempt carries the time left until the request's deadline (the worker is told no more); none without one", async () => {
    const clock = new ManualClock(1_000);
    const transport = new ScriptedTransportFake([w('a'), w('b')], [{ error: gone }, { texts: ['ok'] }]);
    const engine = new RemoteEngine(transport, { clock });
    expect(await text(engine.generate({ ...request, deadlineAtMs: 4_000 }, new AbortController().signal))).toBe('ok');
    expect(transport.attempts.map((a) => a.timeLeftMs)).toEqual([3_000, 3_000]);
    const unbounded = new ScriptedTransportFake([w('a')], [{ texts: ['ok'] }]);
    await text(new RemoteEngine(unbounded, { clock }).generate(request, new AbortController().signal));
    expect(unbounded.attempts.map((a) => a.timeLeftMs)).toEqual([undefined]);
  });

  it('start, release and close are the transport\'s', async () => {
    const transport = new ScriptedTransportFake([], []);
    const engine = new RemoteEngine(transport);
    engine.release('g/slm');
    expect(transport.released).toEqual(['g/slm']);
  });

  describe('overload vs outage', () => {
    const own = (workerId: string, ownSequences: number) => ({ workerId, activeSequences: ownSequences, maxSequences: 2, ownSequences });
    const waiting = { maxAttempts: 3, capacityWaitMs: 60_000, retryDelayMs: 60_000 };

    it('every worker full by this client\'s own streams: no stream is opened there; the generate waits and one freed slot wakes one generate', async () => {
      const transport = new ScriptedTransportFake([own('a', 2)], [{ texts: ['first'] }, { texts: ['second'] }]);
      const engine = new RemoteEngine(transport, { policy: waiting });
      const done: string[] = [];
      const first = text(engine.generate({ ...request, sequenceId: 'g1/slm' }, new AbortController().signal)).then((t) => done.push(t));
      const second = text(engine.generate({ ...request, sequenceId: 'g2/slm' }, new AbortController().signal)).then((t) => done.push(t));
      await new Promise((resolve) => setImmediate(resolve));
      expect(transport.attempts).toHaveLength(0);
      transport.workers = [own('a', 1)];
      transport.capacityChanged(1);
      await first;
      await new Promise((resolve) => setImmediate(resolve));
      expect(done).toEqual(['first']);
      expect(transport.attempts).toHaveLength(1);
      transport.capacityChanged(1);
      await second;
      expect(done).toEqual(['first', 'second']);
    });

    it('out of capacity wait while workers are full: RESOURCE_EXHAUSTED, never UNAVAILABLE', async () => {
      const ownFull = new ScriptedTransportFake([own('a', 2)], []);
      const error = await text(new RemoteEngine(ownFull, { policy: { ...waiting, capacityWaitMs: 0 } }).generate(request, new AbortController().signal)).catch((e: Error) => e);
      expect(error).toMatchObject({ kind: 'resource_exhausted', message: 'no worker left (all full: true)' });
      expect(ownFull.attempts).toHaveLength(0);
      // Every worker refused (another client filled them): the round found them full.
      const refused = new ScriptedTransportFake([w('a'), w('b')], [{ error: full }, { error: full }]);
      const after = await text(new RemoteEngine(refused, { policy: { ...waiting, capacityWaitMs: 0 } }).generate(request, new AbortController().signal)).catch((e: Error) => e);
      expect(after).toMatchObject({ kind: 'resource_exhausted', message: 'no worker left (all full: true)', cause: full });
    });

    it('no worker live at all: UNAVAILABLE after the outage grace, not the whole capacity wait', async () => {
      const none = new ScriptedTransportFake([], []);
      const engine = new RemoteEngine(none, { policy: { maxAttempts: 3, capacityWaitMs: 600_000, retryDelayMs: 5, outageGraceMs: 20 } });
      await expect(text(engine.generate(request, new AbortController().signal))).rejects.toMatchObject({ kind: 'unavailable', message: 'no worker left (all full: false)' });
    });
  });
});

