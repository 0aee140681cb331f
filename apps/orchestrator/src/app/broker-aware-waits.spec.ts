import { isRelayError } from '@relayllm/relay-core';
import { BrokerAwareWaits, type BrokerLinkWatch } from './broker-aware-waits';

/** A NATS link the spec drops and restores. */
class SwitchableLinkFake implements BrokerLinkWatch {
  up = true;
  private readonly listeners = new Set<() => void>();
  connected(): boolean {
    return this.up;
  }
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(up: boolean): void {
    this.up = up;
    for (const listener of this.listeners) listener();
  }
}

describe('BrokerAwareWaits (admission wait bounds counted with the broker up)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('with the link up, a wait ends after maxWaitMs as plain overload (no RelayError reason)', () => {
    const waits = new BrokerAwareWaits(new SwitchableLinkFake(), 10_000, 120_000);
    const signal = waits.waitLimit();
    jest.advanceTimersByTime(9_999);
    expect(signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect([signal.aborted, isRelayError(signal.reason)]).toEqual([true, false]);
    waits.close();
  });

  it('the clock stops while the link is down and resumes with what was left when it is back', () => {
    const link = new SwitchableLinkFake();
    const waits = new BrokerAwareWaits(link, 10_000, 120_000);
    const signal = waits.waitLimit();
    jest.advanceTimersByTime(4_000);
    link.set(false);
    jest.advanceTimersByTime(15_000); // a 15 s NATS outage
    expect(signal.aborted).toBe(false);
    link.set(true);
    jest.advanceTimersByTime(5_999);
    expect(signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect(signal.aborted).toBe(true);
    waits.close();
  });

  it('an outage longer than the cap ends the paused waits with UNAVAILABLE BROKER_DOWN; a wait begun while down waits too', () => {
    const link = new SwitchableLinkFake();
    const waits = new BrokerAwareWaits(link, 10_000, 60_000);
    const early = waits.waitLimit();
    link.set(false);
    jest.advanceTimersByTime(30_000);
    const late = waits.waitLimit();
    expect([early.aborted, late.aborted]).toEqual([false, false]);
    jest.advanceTimersByTime(30_000);
    expect(early.reason).toMatchObject({ kind: 'unavailable', reason: 'BROKER_DOWN' });
    expect(late.reason).toMatchObject({ kind: 'unavailable', reason: 'BROKER_DOWN' });
    waits.close();
  });
});
