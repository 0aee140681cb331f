import { compareSweepPoints } from './read-summaries';

describe('compareSweepPoints', () => {
  it('orders the points of one swept parameter by value, negative ones included', () => {
    const dirs = ['call_bias=0', 'call_bias=-1', 'call_bias=1', 'call_bias=-4', 'call_bias=0.5', 'call_bias=-2'];
    expect([...dirs].sort(compareSweepPoints)).toEqual(['call_bias=-4', 'call_bias=-2', 'call_bias=-1', 'call_bias=0', 'call_bias=0.5', 'call_bias=1']);
    expect(['p=0.75', 'p=0.25', 'p=0.5'].sort(compareSweepPoints)).toEqual(['p=0.25', 'p=0.5', 'p=0.75']);
  });

  it('orders anything else by name', () => {
    expect(['b02', 'b10', 'b01'].sort(compareSweepPoints)).toEqual(['b01', 'b02', 'b10']);
    expect(['t=x', 'p=2', 'p=10'].sort(compareSweepPoints)).toEqual(['p=2', 'p=10', 't=x']);
  });
});
