import { parseFault, parseFaultList } from './fault-spec';
import { scheduleFault, STRIKE_WINDOW, strikeAtMs } from './schedule';

const WORKERS = { llm: 3, slm: 2 };

describe('scheduleFault', () => {
  it('the same seed gives the same schedule', () => {
    const fault = parseFault('nats-kill-3s');
    expect(scheduleFault(fault, 42, WORKERS)).toEqual(scheduleFault(fault, 42, WORKERS));
  });

  it('the seed and the fault\'s name both move the strike', () => {
    const fault = parseFault('nats-kill-3s');
    const bySeed = new Set([1, 2, 3, 4, 5].map((seed) => scheduleFault(fault, seed, WORKERS).strikeFraction));
    expect(bySeed.size).toBe(5);
    expect(scheduleFault(parseFault('nats-kill-15s'), 1, WORKERS).strikeFraction).not.toBe(scheduleFault(fault, 1, WORKERS).strikeFraction);
  });

  it('a fault strikes as it does in the full matrix when run alone (its schedule depends on its name only)', () => {
    const matrix = parseFaultList('llm-kill,slm-kill,nats-kill-3s').map((f) => scheduleFault(f, 9, WORKERS));
    expect(scheduleFault(parseFault('nats-kill-3s'), 9, WORKERS)).toEqual(matrix[2]);
  });

  it('strikes inside the window and picks a worker that exists', () => {
    for (let seed = 0; seed < 200; seed++) {
      for (const name of ['llm-kill', 'slm-freeze-20s', 'redis-kill-5s']) {
        const schedule = scheduleFault(parseFault(name), seed, WORKERS);
        expect(schedule.strikeFraction).toBeGreaterThanOrEqual(STRIKE_WINDOW.from);
        expect(schedule.strikeFraction).toBeLessThan(STRIKE_WINDOW.to);
        const pool = name.startsWith('llm') ? 3 : name.startsWith('slm') ? 2 : 1;
        expect(schedule.victim).toBeGreaterThanOrEqual(0);
        expect(schedule.victim).toBeLessThan(pool);
      }
    }
  });

  it('over many seeds every LLM worker is a victim sometime', () => {
    const victims = new Set(Array.from({ length: 60 }, (_, seed) => scheduleFault(parseFault('llm-kill'), seed, WORKERS).victim));
    expect([...victims].sort()).toEqual([0, 1, 2]);
  });
});

describe('strikeAtMs', () => {
  it('is the fraction of the baseline wall time, in whole ms', () => {
    const schedule = { ...scheduleFault(parseFault('llm-kill'), 1, WORKERS), strikeFraction: 0.25 };
    expect(strikeAtMs(schedule, 10_001)).toBe(2_500);
  });
});
