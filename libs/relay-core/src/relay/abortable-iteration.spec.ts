import { abortableIteration } from './abortable-iteration';

async function* numbers(count: number): AsyncGenerator<number> {
  for (let i = 0; i < count; i += 1) yield i;
}

describe('abortableIteration', () => {
  it('passes every value through when never aborted', async () => {
    const seen: number[] = [];
    for await (const n of abortableIteration(numbers(3), new AbortController().signal)) seen.push(n);
    expect(seen).toEqual([0, 1, 2]);
  });

  it('yields nothing when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const seen: number[] = [];
    for await (const n of abortableIteration(numbers(3), controller.signal)) seen.push(n);
    expect(seen).toEqual([]);
  });

  it('returns promptly from a source stuck in next() that ignores the signal, and asks it to return', async () => {
    let returned = false;
    const stuck: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<number>>(() => undefined),
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const seen: number[] = [];
    for await (const n of abortableIteration(stuck, controller.signal)) seen.push(n);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
    expect(returned).toBe(true);
  });

  it('propagates errors thrown by the source', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('boom');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const n of abortableIteration(failing(), new AbortController().signal)) seen.push(n);
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([1]);
  });
});
