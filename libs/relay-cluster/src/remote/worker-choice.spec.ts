import { chooseWorker, freeSlots, noWorkerCause, type WorkerChoiceInput, type WorkerLoad } from './worker-choice';

const w = (workerId: string, activeSequences = 0, maxSequences = 2): WorkerLoad => ({ workerId, activeSequences, maxSequences });
/** A worker as the SLM client sees it: in use = max(announced, own), and its own exact count. */
const own = (workerId: string, announced: number, ownSequences: number, maxSequences = 2): WorkerLoad => ({
  workerId,
  activeSequences: Math.max(announced, ownSequences),
  maxSequences,
  ownSequences,
});
const llm = (over: Partial<WorkerChoiceInput>): WorkerChoiceInput => ({ live: [], exclude: new Set(), attempt: 1, anyAllowed: true, fullAllowed: false, ...over });
const slm = (over: Partial<WorkerChoiceInput>): WorkerChoiceInput => ({ live: [], exclude: new Set(), attempt: 1, anyAllowed: false, fullAllowed: true, ...over });

describe('chooseWorker, LLM (the broker may pick, a full worker is not asked)', () => {
  it('first attempt: the preferred (affinity) worker when live, not failed and not full', () => {
    expect(chooseWorker(llm({ preferred: 'b', live: [w('a'), w('b', 1)] }))).toEqual({ kind: 'worker', workerId: 'b' });
  });

  it('first attempt: the broker without a preference, or when that worker is gone, full or failed', () => {
    expect(chooseWorker(llm({ live: [w('a')] }))).toEqual({ kind: 'any' });
    expect(chooseWorker(llm({ preferred: 'gone', live: [w('a')] }))).toEqual({ kind: 'any' });
    expect(chooseWorker(llm({ preferred: 'a', live: [w('a', 2, 2), w('b')] }))).toEqual({ kind: 'any' });
    expect(chooseWorker(llm({ preferred: 'a', live: [w('a')], exclude: new Set(['a']) }))).toEqual({ kind: 'any' });
  });

  it('reissue: the least-loaded other worker with room (ties by id), else the broker', () => {
    const live = [w('a', 1, 2), w('b', 0, 2), w('c', 0, 4), w('d', 3, 3)];
    expect(chooseWorker(llm({ preferred: 'a', live: live.map((x) => (x.workerId === 'a' ? w('a', 2, 2) : x)), exclude: new Set(['b']), attempt: 2 }))).toEqual({ kind: 'worker', workerId: 'c' });
    expect(chooseWorker(llm({ live, attempt: 2 }))).toEqual({ kind: 'worker', workerId: 'b' });
    expect(chooseWorker(llm({ live: [w('a', 2, 2)], attempt: 3 }))).toEqual({ kind: 'any' });
    expect(chooseWorker(llm({ live: [], attempt: 2 }))).toEqual({ kind: 'any' });
  });
});

describe('chooseWorker, SLM (one worker is always named; a full-looking one is asked last)', () => {
  it('keeps the generation on the worker that holds its stream while it has room', () => {
    expect(chooseWorker(slm({ preferred: 'b', live: [w('a'), w('b', 1)] }))).toEqual({ kind: 'worker', workerId: 'b' });
  });

  it('otherwise the least-loaded worker; workers that just failed are tried after the others', () => {
    expect(chooseWorker(slm({ live: [w('a', 1), w('b')] }))).toEqual({ kind: 'worker', workerId: 'b' });
    expect(chooseWorker(slm({ live: [w('a'), w('b')], suspect: new Set(['a']) }))).toEqual({ kind: 'worker', workerId: 'b' });
    expect(chooseWorker(slm({ live: [w('a')], suspect: new Set(['a']) }))).toEqual({ kind: 'worker', workerId: 'a' });
  });

  it('asks a full-looking worker when all look full (its announcement may lag), and none when every worker failed', () => {
    expect(chooseWorker(slm({ live: [w('a', 2, 2), w('b', 2, 2)] }))).toEqual({ kind: 'worker', workerId: 'a' });
    expect(chooseWorker(slm({ live: [w('a')], exclude: new Set(['a']), attempt: 2 }))).toBeUndefined();
    expect(chooseWorker(slm({ live: [] }))).toBeUndefined();
  });
});

describe('chooseWorker, SLM: this client\'s own count is exact (heartbeats lag)', () => {
  it('never opens a stream on a worker its own streams fill, although one that only looks full may be asked', () => {
    // 'a' is full of this client's own streams (released ones still hold their slot); 'b' only announced itself full.
    expect(chooseWorker(slm({ live: [own('a', 0, 2), own('b', 2, 0)] }))).toEqual({ kind: 'worker', workerId: 'b' });
    expect(chooseWorker(slm({ live: [own('a', 0, 2)] }))).toBeUndefined();
    expect(noWorkerCause({ live: [own('a', 0, 2)], exclude: new Set() })).toBe('all-full');
  });

  it('a generate whose stream is open on a full worker stays there (it takes no new slot)', () => {
    const live = [own('a', 2, 2), own('b', 0, 0)];
    expect(chooseWorker(slm({ live, preferred: 'a', preferredHoldsSlot: true }))).toEqual({ kind: 'worker', workerId: 'a' });
    expect(chooseWorker(slm({ live, preferred: 'a' }))).toEqual({ kind: 'worker', workerId: 'b' });
  });

  it('why no worker: none live (outage), all full by own count (overload), or all tried this round', () => {
    expect(noWorkerCause({ live: [], exclude: new Set() })).toBe('none-live');
    expect(noWorkerCause({ live: [own('a', 0, 2), own('b', 0, 0)], exclude: new Set(['b']) })).toBe('all-full');
    expect(noWorkerCause({ live: [own('a', 0, 0)], exclude: new Set(['a']) })).toBe('all-tried');
    expect(freeSlots([own('a', 1, 0), own('b', 0, 2), w('c', 0, 0)])).toBe(2);
  });
});
