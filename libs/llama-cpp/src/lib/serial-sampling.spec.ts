import { serializeSampling } from './serial-sampling';
import type { LlamaContext } from './types';

/** A stand-in for node-llama-cpp's addon context: records overlapping sampleToken calls. */
class SamplingAddonFake {
  active = 0;
  maxActive = 0;
  calls: number[] = [];
  sampleToken(index: number, fail = false): Promise<number> {
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.calls.push(index);
    return new Promise((resolve, reject) =>
      setTimeout(() => {
        this.active -= 1;
        if (fail) reject(new Error(`sample ${index} failed`));
        else resolve(index * 10);
      }, 2),
    );
  }
}

const contextWith = (addon: unknown): LlamaContext => ({ _ctx: addon }) as unknown as LlamaContext;

describe('serializeSampling', () => {
  it('runs sampling calls one at a time, in call order, each with its own result', async () => {
    const addon = new SamplingAddonFake();
    serializeSampling(contextWith(addon));
    const results = await Promise.all([0, 1, 2, 3].map((i) => addon.sampleToken(i)));
    expect(results).toEqual([0, 10, 20, 30]);
    expect(addon.calls).toEqual([0, 1, 2, 3]);
    expect(addon.maxActive).toBe(1);
  });

  it('a failed call rejects its own caller only; the next calls still run', async () => {
    const addon = new SamplingAddonFake();
    serializeSampling(contextWith(addon));
    const [a, b, c] = await Promise.allSettled([addon.sampleToken(1), addon.sampleToken(2, true), addon.sampleToken(3)]);
    expect(a).toEqual({ status: 'fulfilled', value: 10 });
    expect(b).toMatchObject({ status: 'rejected', reason: new Error('sample 2 failed') });
    expect(c).toEqual({ status: 'fulfilled', value: 30 });
  });

  it('is idempotent: a second call does not wrap twice', async () => {
    const addon = new SamplingAddonFake();
    const context = contextWith(addon);
    serializeSampling(context);
    const once = addon.sampleToken;
    serializeSampling(context);
    expect(addon.sampleToken).toBe(once);
  });

  it('shadows a read-only prototype method (as the native addon declares them)', async () => {
    class ReadOnlyAddon {}
    Object.defineProperty(ReadOnlyAddon.prototype, 'sampleToken', { value: async (i: number) => i, writable: false });
    const addon = new ReadOnlyAddon() as { sampleToken(i: number): Promise<number> };
    serializeSampling(contextWith(addon));
    await expect(addon.sampleToken(7)).resolves.toBe(7);
  });

  it('refuses a context whose internals it does not know, rather than serve corrupted tokens', () => {
    expect(() => serializeSampling(contextWith(undefined))).toThrow(/LlamaContext\._ctx\.sampleToken not found/);
    expect(() => serializeSampling(contextWith({}))).toThrow(/internals changed/);
  });
});
