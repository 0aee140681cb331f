import { until } from './until';

describe('until', () => {
  it('resolves once the condition holds', async () => {
    let checks = 0;
    await until(() => ++checks >= 3, 'the third check');
    expect(checks).toBe(3);
  });

  it('waits on an async condition too', async () => {
    let checks = 0;
    await until(async () => ++checks >= 2, 'the second async check');
    expect(checks).toBe(2);
  });

  it('rejects naming what it waited for once the deadline has passed', async () => {
    await expect(until(() => false, 'a worker to announce itself', 10)).rejects.toThrow('timed out after 10 ms waiting for a worker to announce itself');
  });
});
