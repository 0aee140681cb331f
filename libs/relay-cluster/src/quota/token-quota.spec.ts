import { ManualClock } from '@relayllm/relay-core/testing';
import { TokenQuota } from './token-quota';

describe('TokenQuota', () => {
  it('admits a fresh key and refuses it once its tokens are spent', () => {
    const clock = new ManualClock(0);
    const quota = new TokenQuota({ tokensPerWindow: 100 }, clock);
    expect(quota.admit('a').admitted).toBe(true);
    quota.charge('a', 100);
    const refused = quota.admit('a');
    expect(refused.admitted).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(quota.admit('b').admitted).toBe(true); // keys are independent
  });

  it('lets a generation overspend, then makes the key wait for the refill to pay the debt', () => {
    const clock = new ManualClock(0);
    const quota = new TokenQuota({ tokensPerWindow: 60, windowMs: 60_000 }, clock);
    quota.charge('a', 120); // 60 in debt
    expect(quota.admit('a').remaining).toBe(-60);
    clock.advance(60_000);
    expect(quota.admit('a').admitted).toBe(false); // back to 0: not positive yet
    clock.advance(1_000);
    expect(quota.admit('a')).toEqual({ admitted: true, remaining: 1, retryAfterMs: 0 });
  });

  it('never refills beyond one window of tokens', () => {
    const clock = new ManualClock(0);
    const quota = new TokenQuota({ tokensPerWindow: 10 }, clock);
    clock.advance(10 * 60_000);
    expect(quota.admit('a').remaining).toBe(10);
  });

  it('ignores non-positive or non-finite charges', () => {
    const quota = new TokenQuota({ tokensPerWindow: 10 }, new ManualClock(0));
    quota.charge('a', -5);
    quota.charge('a', Number.NaN);
    expect(quota.admit('a').remaining).toBe(10);
  });

  it('forgets the least recently used key beyond maxKeys', () => {
    const quota = new TokenQuota({ tokensPerWindow: 10, maxKeys: 2 }, new ManualClock(0));
    quota.charge('a', 10);
    quota.charge('b', 10);
    quota.charge('c', 10); // evicts a
    expect(quota.admit('a').admitted).toBe(true);
    expect(quota.admit('c').admitted).toBe(false);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new TokenQuota({ tokensPerWindow: 0 }, new ManualClock(0))).toThrow(RangeError);
  });
});
