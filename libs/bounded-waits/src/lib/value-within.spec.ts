import { valueWithin } from './value-within';

describe('valueWithin', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("is the promise's value when it settles first, and leaves no timer behind", async () => {
    await expect(valueWithin(Promise.resolve(42), 1_000)).resolves.toBe(42);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('is undefined once the time has passed, however long the promise takes', async () => {
    const never = new Promise<number>(() => undefined);
    const wait = valueWithin(never, 1_000);
    let settled = false;
    void wait.then(() => (settled = true));
    await jest.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await expect(wait).resolves.toBeUndefined();
  });

  it('is undefined when the promise rejects, without an unhandled rejection, and clears its timer', async () => {
    await expect(valueWithin(Promise.reject(new Error('gone')), 1_000)).resolves.toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('a value that arrives after the time has passed changes nothing', async () => {
    let resolveLate: (value: string) => void = () => undefined;
    const late = new Promise<string>((resolve) => (resolveLate = resolve));
    const wait = valueWithin(late, 10);
    await jest.advanceTimersByTimeAsync(10);
    resolveLate('late');
    await expect(wait).resolves.toBeUndefined();
  });
});
