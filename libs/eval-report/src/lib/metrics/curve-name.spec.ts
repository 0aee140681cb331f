import { makeSummary } from '../../testing/fixtures';
import { curveName, curveNames, uniqueNames } from './curve-name';

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

  it('two sweeps of one policy that would share a name are told apart by the parameters each holds fixed', () => {
    const sweep = (biases: number[], fixed: Record<string, unknown>) =>
      biases.map((call_bias) => makeSummary({ policy: 'relay', params: { call_bias, ...fixed } }));
    const fiveTurns = sweep([-1, 0], {});
    const manyTurns = sweep([-1, 0], { max_turns: 64 });
    expect(curveNames([fiveTurns, manyTurns])).toEqual(['relay (call_bias = -1, 0)', 'relay (call_bias = -1, 0; max_turns = 64)']);
    expect(curveNames([sweep([0, 1], { max_turns: 8 }), sweep([0, 1], { max_turns: 64 })])).toEqual([
      'relay (call_bias = 0, 1; max_turns = 8)',
      'relay (call_bias = 0, 1; max_turns = 64)',
    ]);
  });

  it('curves alike in every parameter are still numbered, and a lone sweep keeps its plain name', () => {
    const sweep = () => [0, 1].map((call_bias) => makeSummary({ policy: 'relay', params: { call_bias, max_turns: 64 } }));
    expect(curveNames([sweep(), sweep()])).toEqual(['relay (call_bias = 0, 1)', 'relay (call_bias = 0, 1) #2']);
    expect(curveNames([sweep()])).toEqual(['relay (call_bias = 0, 1)']);
  });

  it('numbers repeated names', () => {
    expect(uniqueNames(['relay', 'x', 'relay', 'relay'])).toEqual(['relay', 'x', 'relay #2', 'relay #3']);
  });
});
