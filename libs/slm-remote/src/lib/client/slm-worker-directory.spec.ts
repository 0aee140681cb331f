import { StaticSlmWorkerDirectory } from './slm-worker-directory';

describe('StaticSlmWorkerDirectory', () => {
  it('lists, replaces and removes workers', () => {
    const a = { workerId: 'a', address: 'h:1', maxSequences: 2, activeSequences: 0 };
    const b = { workerId: 'b', address: 'h:2', maxSequences: 2, activeSequences: 1 };
    const directory = new StaticSlmWorkerDirectory([a]);
    expect(directory.liveWorkers()).toEqual([a]);
    directory.set([a, b]);
    directory.remove('a');
    expect(directory.liveWorkers()).toEqual([b]);
  });
});
