import { ManualClock } from '@relayllm/relay-core/testing';
import { DeliveredRequests } from './delivered-requests';

describe('DeliveredRequests', () => {
  it('takes a reply inbox once: a second delivery of the same message is a copy, another inbox is not', () => {
    const delivered = new DeliveredRequests(new ManualClock(1_000));
    expect(delivered.firstDelivery('_INBOX.a', 31_000)).toBe(true);
    expect(delivered.firstDelivery('_INBOX.a', 31_000)).toBe(false);
    expect(delivered.firstDelivery('_INBOX.b', 31_000)).toBe(true);
  });

  it('forgets an inbox once its time limit passed (nobody waits on it then), oldest first', () => {
    const clock = new ManualClock(0);
    const delivered = new DeliveredRequests(clock);
    delivered.firstDelivery('_INBOX.a', 1_000);
    delivered.firstDelivery('_INBOX.b', 5_000);
    clock.advance(1_000);
    expect(delivered.firstDelivery('_INBOX.c', 9_000)).toBe(true);
    expect(delivered.size).toBe(2); // a forgotten; b and c still due
    expect(delivered.firstDelivery('_INBOX.b', 9_000)).toBe(false);
    clock.advance(8_000);
    expect(delivered.firstDelivery('_INBOX.a', 20_000)).toBe(true);
    expect(delivered.size).toBe(1);
  });
});
