import { makeSummary } from '../../testing/fixtures';
import { curveName, uniqueNames } from './curve-name';

describe('curveName', () => {
  it('a single run keeps its label', () => {
    expect(curveName([makeSummary({ label: 'warm-up:relay', model: 'warm-up' })])).toBe('warm-up:relay');
  });

  it('a sweep is [model:]policy with the values it varies, in numeric order', () => {
    const rr = [0.75, 0.25, 0.5].map((p) => makeSummary({ policy: 'random-router', model: 'sft', label: `sft:random-router(p=${p})`, params: { p, seed: 1 } }));
    expect(curveName(rr)).toBe('sft:random-router (p = 0.25, 0.5, 0.75)');
    const unc = [0.3, 0.7].map((t) => makeSummary({ policy: 'uncertainty', params: { threshold: t, k: 4, entropy: false } }));
    expect(curveName(unc)).toBe('uncertainty (threshold = 0.3, 0.7)');
  });

  it('runs that vary nothing are counted', () => {
    expect(curveName([makeSummary({ label: 'a' }), makeSummary({ label: 'b' })])).toBe('relay (2 runs)');
  });

  it('numbers repeated names', () => {
    expect(uniqueNames(['relay', 'x', 'relay', 'relay'])).toEqual(['relay', 'x', 'relay #2', 'relay #3']);
  });
});
