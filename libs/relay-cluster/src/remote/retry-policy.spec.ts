import { CancelledReason, DeadlineExceededReason, FailedPreconditionReason, InvalidArgumentReason, RelayError, ResourceExhaustedReason, UnavailableReason } from '@relayllm/relay-core';
import { ackTimeoutMs, attemptTimeoutMs, decideRetry, isReissuable, type RetryPolicy } from './retry-policy';

const policy: RetryPolicy = { maxAttempts: 3, capacityWaitMs: 1_000, retryDelayMs: 100 };
const full = RelayError.resourceExhausted(ResourceExhaustedReason.WORKER_FULL, 'full');
const gone = RelayError.unavailable(UnavailableReason.SLM_STREAM_FAILED, 'gone');

describe('the retry policy', () => {
  it('reissues only what another worker can fix', () => {
    expect([full, gone, RelayError.failedPrecondition(FailedPreconditionReason.GENERATION_IN_USE, 'x')].every(isReissuable)).toBe(true);
    const final = [
      RelayError.invalidArgument(InvalidArgumentReason.CONTEXT_TOO_LONG, 'x'),
      RelayError.cancelled(CancelledReason.RELAY_ABORTED, 'x'),
      RelayError.deadlineExceeded(DeadlineExceededReason.CALL_DEADLINE, 'x'),
      RelayError.failedPrecondition(FailedPreconditionReason.MODEL_MISMATCH, 'x'),
      new Error('a bug'),
    ];
    expect(final.some(isReissuable)).toBe(false);
    expect(decideRetry(policy, { error: final[0], attemptsInRound: 1, workerLeft: true, waitedMs: 0 })).toEqual({ action: 'fail', exhausted: false });
  });

  it('within a round: another worker while attempts and workers are left', () => {
    expect(decideRetry(policy, { error: gone, attemptsInRound: 2, workerLeft: true, waitedMs: 0 })).toEqual({ action: 'reissue' });
    expect(decideRetry(policy, { error: gone, attemptsInRound: 3, workerLeft: true, waitedMs: 0 }).action).not.toBe('reissue');
    expect(decideRetry(policy, { error: full, attemptsInRound: 1, workerLeft: false, waitedMs: 0 }).action).not.toBe('reissue');
  });

  it('after a round: waits for capacity (bounded by the policy, each wait at most the retry delay), then fails as exhausted', () => {
    expect(decideRetry(policy, { error: full, attemptsInRound: 3, workerLeft: true, waitedMs: 0 })).toEqual({ action: 'wait', forMs: 100 });
    expect(decideRetry(policy, { error: full, attemptsInRound: 1, workerLeft: false, waitedMs: 950 })).toEqual({ action: 'wait', forMs: 50 });
    expect(decideRetry(policy, { error: full, attemptsInRound: 1, workerLeft: false, waitedMs: 1_000 })).toEqual({ action: 'fail', exhausted: true });
    expect(decideRetry({ ...policy, capacityWaitMs: 0 }, { error: full, attemptsInRound: 3, workerLeft: true, waitedMs: 0 })).toEqual({ action: 'fail', exhausted: true });
  });

  it('an attempt waits its own bound cut to the call deadline; before the ack, the ack deadline applies only when shorter', () => {
    expect([attemptTimeoutMs(1_000, 500), attemptTimeoutMs(1_000, 500, 1_200), attemptTimeoutMs(1_000, 500, 900)]).toEqual([500, 200, 0]);
    expect([ackTimeoutMs(60_000, 2_000), ackTimeoutMs(1_500, 2_000), ackTimeoutMs(2_000, 2_000), ackTimeoutMs(60_000, 0), ackTimeoutMs(60_000)]).toEqual([
      2_000,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('overload (every live worker full by this client\'s own count) waits for a freed slot, within the capacity wait', () => {
    // No polling: a stream that ends wakes the waiter.
    expect(decideRetry(policy, { error: full, attemptsInRound: 0, workerLeft: false, waitedMs: 200, noWorker: 'all-full' })).toEqual({ action: 'wait', forMs: 800 });
    expect(decideRetry(policy, { error: full, attemptsInRound: 0, workerLeft: false, waitedMs: 1_000, noWorker: 'all-full' })).toEqual({ action: 'fail', exhausted: true });
    // A wake-up lost to another waiter costs at most 10 retry delays.
    expect(decideRetry({ ...policy, capacityWaitMs: 60_000 }, { error: full, attemptsInRound: 0, workerLeft: false, waitedMs: 0, noWorker: 'all-full' })).toEqual({ action: 'wait', forMs: 1_000 });
  });

  it('an outage (no worker live) is waited out only for the outage grace', () => {
    const graced: RetryPolicy = { ...policy, capacityWaitMs: 10_000, outageGraceMs: 500 };
    const none = { error: gone, attemptsInRound: 0, workerLeft: false, waitedMs: 900, noWorker: 'none-live' as const };
    expect(decideRetry(graced, { ...none, outageWaitedMs: 450 })).toEqual({ action: 'wait', forMs: 50 });
    expect(decideRetry(graced, { ...none, outageWaitedMs: 500 })).toEqual({ action: 'fail', exhausted: true });
    // Workers live but all tried: the capacity wait applies.
    expect(decideRetry(graced, { ...none, outageWaitedMs: 500, noWorker: 'all-tried' })).toEqual({ action: 'wait', forMs: 100 });
  });
});

