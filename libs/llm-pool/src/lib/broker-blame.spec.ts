import type { BrokerView } from '@relayllm/nats-transport';
import { ackDeadlineVerdict, cutReplyBlame, DEFAULT_RIDE_THROUGH, linkTroubleSince, noRespondersBlame, workerExpiryBlame, type SentMark } from './broker-blame';

const policy = { ...DEFAULT_RIDE_THROUGH, settleMs: 2_000, healthyProbeMs: 500 };
/** A link up since long ago, looked at 60 s in. */
const healthy = (overrides: Partial<BrokerView> = {}): BrokerView => ({ nowMs: 60_000, connected: true, disconnects: 0, reconnectedAtMs: undefined, stalledAtMs: undefined, ...overrides });
const sent: SentMark = { atMs: 57_000, disconnects: 0 };

describe('broker or worker: who failed an LLM attempt', () => {
  it('link trouble since a moment: down, dropped (count changed), came back or stalled after it', () => {
    expect(linkTroubleSince(healthy(), 57_000, 0)).toBe(false);
    expect(linkTroubleSince(healthy({ connected: false }), 57_000, 0)).toBe(true);
    expect(linkTroubleSince(healthy({ disconnects: 1, reconnectedAtMs: 50_000 }), 57_000, 0)).toBe(true);
    expect(linkTroubleSince(healthy({ reconnectedAtMs: 58_000, disconnects: 1 }), 57_000, 1)).toBe(true);
    expect(linkTroubleSince(healthy({ stalledAtMs: 58_000 }), 57_000, 0)).toBe(true);
    // Trouble before the moment is over.
    expect(linkTroubleSince(healthy({ stalledAtMs: 56_000, reconnectedAtMs: 56_500, disconnects: 1 }), 57_000, 1)).toBe(false);
  });

  it('no responders: the worker is absent, unless the link just came back (workers still resubscribing)', () => {
    expect(noRespondersBlame(healthy(), sent, policy)).toBe('worker');
    expect(noRespondersBlame(healthy({ reconnectedAtMs: 58_500, disconnects: 1 }), { atMs: 59_000, disconnects: 1 }, policy)).toBe('broker');
    // Settled for 2 s: a subject with nobody on it really has nobody.
    expect(noRespondersBlame(healthy({ reconnectedAtMs: 57_500, disconnects: 1 }), { atMs: 59_000, disconnects: 1 }, policy)).toBe('worker');
  });

  it('ack deadline on a healthy link: probe the server first, then blame the worker only if it answers promptly', () => {
    expect(ackDeadlineVerdict(healthy(), sent, policy)).toBe('probe');
    expect(ackDeadlineVerdict(healthy(), sent, policy, 3)).toBe('fail');
    // A server that took longer than healthyProbeMs to answer was stalled: the ack may still be on its way.
    expect(ackDeadlineVerdict(healthy(), sent, policy, 1_800)).toBe('wait');
  });

  it('ack deadline after link trouble since the send (a frozen server the client saw stall, a drop): wait, no probe', () => {
    expect(ackDeadlineVerdict(healthy({ stalledAtMs: 58_000 }), sent, policy)).toBe('wait');
    expect(ackDeadlineVerdict(healthy({ connected: false, disconnects: 1 }), sent, policy)).toBe('wait');
    expect(ackDeadlineVerdict(healthy({ reconnectedAtMs: 58_900, disconnects: 1 }), { atMs: 59_000, disconnects: 1 }, policy)).toBe('wait');
  });

  it("a worker expired by the registry: the broker's fault when its heartbeats could not arrive", () => {
    expect(workerExpiryBlame(healthy(), 56_900)).toBe('worker');
    expect(workerExpiryBlame(healthy({ connected: false, disconnects: 1 }), 56_900)).toBe('broker');
    expect(workerExpiryBlame(healthy({ reconnectedAtMs: 59_000, disconnects: 1 }), 56_900)).toBe('broker');
    expect(workerExpiryBlame(healthy({ stalledAtMs: 58_000 }), 56_900)).toBe('broker');
    // Heard after the link came back, then silent: really gone.
    expect(workerExpiryBlame(healthy({ reconnectedAtMs: 50_000, disconnects: 1 }), 56_900)).toBe('worker');
  });
});

describe('a reply cut short on the worker (finish abort the caller did not ask for)', () => {
  it("after link trouble since the attempt's first send, a late duplicate superseded it: the broker's; else the worker's", () => {
    expect(cutReplyBlame(healthy(), sent)).toBe('worker');
    expect(cutReplyBlame(healthy({ disconnects: 1, reconnectedAtMs: 58_000 }), sent)).toBe('broker');
    expect(cutReplyBlame(healthy({ stalledAtMs: 57_500 }), sent)).toBe('broker');
  });
});
