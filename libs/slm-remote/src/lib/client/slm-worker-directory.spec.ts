import { chooseSlmWorker, StaticSlmWorkerDirectory, type SlmWorkerInfo } from './slm-worker-directory';

const w = (workerId: string, activeSequences: number, maxSequences = 4): SlmWorkerInfo => ({
  workerId,
  address: `127.0.0.1:${workerId.length}`,
  maxSequences,
  activeSequences,
});

describe('chooseSlmWorker', () => {
  it('picks the least loaded worker relative to its capacity', () => {
    expect(chooseSlmWorker([w('a', 3), w('b', 1), w('c', 2)], new Map(), new Set())?.workerId).toBe('b');
    expect(chooseSlmWorker([w('a', 2, 8), w('b', 1, 2)], new Map(), new Set())?.workerId).toBe('a');
  });

  it('counts the streams this client has open when the announcement lags behind', () => {
    expect(chooseSlmWorker([w('a', 0), w('b', 1)], new Map([['a', 3]]), new Set())?.workerId).toBe('b');
  });

  it('skips excluded workers and workers without an address; undefined when none is left', () => {
    expect(chooseSlmWorker([w('a', 0), w('b', 3)], new Map(), new Set(['a']))?.workerId).toBe('b');
    expect(chooseSlmWorker([{ ...w('a', 0), address: '' }], new Map(), new Set())).toBeUndefined();
    expect(chooseSlmWorker([w('a', 0)], new Map(), new Set(['a']))).toBeUndefined();
    expect(chooseSlmWorker([], new Map(), new Set())).toBeUndefined();
  });

  it('still returns a worker when all look full, and breaks ties by id', () => {
    expect(chooseSlmWorker([w('b', 4), w('a', 4)], new Map(), new Set())?.workerId).toBe('a');
  });
});

describe('StaticSlmWorkerDirectory', () => {
  it('lists, replaces and removes workers', () => {
    const dir = new StaticSlmWorkerDirectory([w('a', 0), w('b', 0)]);
    dir.remove('a');
    expect(dir.liveWorkers().map((x) => x.workerId)).toEqual(['b']);
    dir.set([w('c', 0)]);
    expect(dir.liveWorkers().map((x) => x.workerId)).toEqual(['c']);
  });
});
