import { WorkerHeartbeat, WorkerKind } from '@relayllm/proto';
import { ManualClock } from '@relayllm/relay-core/testing';
import { isWorkerFull, RECONNECT_SETTLE_MS, WorkerTable } from './worker-table';

const hb = (workerId: string, overrides: Partial<WorkerHeartbeat> = {}): WorkerHeartbeat =>
  WorkerHeartbeat.fromPartial({ workerId, kind: WorkerKind.WORKER_KIND_LLM, model: 'llm', maxSequences: 2, intervalMs: 1_000, ...overrides });

describe('WorkerTable', () => {
  it('joins, updates and lists workers by kind and model', () => {
    const table = new WorkerTable(new ManualClock(0));
    expect(table.observe(hb('b'))?.type).toBe('joined');
    expect(table.observe(hb('a'))?.type).toBe('joined');
    expect(table.observe(hb('a', { activeSequences: 1 }))?.type).toBe('updated');
    table.observe(hb('s', { kind: WorkerKind.WORKER_KIND_SLM, address: '127.0.0.1:1' }));
    table.observe(hb('o', { model: 'other' }));
    expect(table.live(WorkerKind.WORKER_KIND_LLM, 'llm').map((w) => w.workerId)).toEqual(['a', 'b']);
    expect(table.get('a')?.activeSequences).toBe(1);
    expect(table.live(WorkerKind.WORKER_KIND_SLM, 'llm')[0].address).toBe('127.0.0.1:1');
  });

  it('expires a worker after 3 missed intervals, not before', () => {
    const clock = new ManualClock(0);
    const table = new WorkerTable(clock);
    table.observe(hb('a', { intervalMs: 100 }));
    table.observe(hb('b', { intervalMs: 1_000 }));
    clock.advance(300);
    expect(table.sweep()).toEqual([]);
    clock.advance(1);
    expect(table.sweep().map((c) => [c.type, c.worker.workerId])).toEqual([['expired', 'a']]);
    table.observe(hb('b', { intervalMs: 1_000 }));
    clock.advance(3_000);
    expect(table.sweep()).toEqual([]);
    expect(table.get('b')).toBeDefined();
  });

  it('while this process cannot hear (its connection is down) nobody expires; after it, silence counts from the reconnect', () => {
    const clock = new ManualClock(0);
    const table = new WorkerTable(clock);
    table.observe(hb('a', { intervalMs: 100 }));
    table.observe(hb('b', { intervalMs: 100 }));
    table.pauseExpiry();
    clock.advance(10_000); // NATS down for 10 s: the workers' silence is ours
    expect(table.silent()).toEqual([]);
    expect(table.sweep()).toEqual([]);
    table.resumeExpiry();
    clock.advance(RECONNECT_SETTLE_MS - 1); // workers reconnect on their own schedule: nobody expires while they do
    expect(table.sweep()).toEqual([]);
    table.observe(hb('b', { intervalMs: 100 })); // b reconnected and was heard
    clock.advance(1);
    expect(table.sweep().map((c) => c.worker.workerId)).toEqual(['a']);
    expect(table.get('b')).toBeDefined();
  });

  it('removes a leaving worker at once and ignores leaving of unknown ones', () => {
    const table = new WorkerTable(new ManualClock(0));
    table.observe(hb('a'));
    expect(table.observe(hb('a', { leaving: true }))?.type).toBe('left');
    expect(table.get('a')).toBeUndefined();
    expect(table.observe(hb('z', { leaving: true }))).toBeUndefined();
  });

  it('ignores heartbeats without id or kind and is bounded', () => {
    const table = new WorkerTable(new ManualClock(0), 2);
    expect(table.observe(hb(''))).toBeUndefined();
    expect(table.observe(hb('x', { kind: WorkerKind.WORKER_KIND_UNSPECIFIED }))).toBeUndefined();
    table.observe(hb('a'));
    table.observe(hb('b'));
    expect(table.observe(hb('c'))).toBeUndefined();
    expect(table.size).toBe(2);
    expect(table.observe(hb('a', { activeSequences: 2 }))?.type).toBe('updated');
  });

  it('clamps absurd intervals and knows when a worker is full', () => {
    const clock = new ManualClock(0);
    const table = new WorkerTable(clock);
    table.observe(hb('a', { intervalMs: 0 }));
    expect(table.get('a')?.intervalMs).toBe(1_000);
    expect(isWorkerFull({ activeSequences: 2, maxSequences: 2 })).toBe(true);
    expect(isWorkerFull({ activeSequences: 1, maxSequences: 2 })).toBe(false);
    expect(isWorkerFull({ activeSequences: 0, maxSequences: 0 })).toBe(false);
  });
});
