import { SystemClock, type Clock } from '@relayllm/relay-core';

/**
 * Which request messages this worker has taken, by reply subject: each send
 * of a relay call has an inbox of its own (llm-pool), so a second message on
 * the same inbox is the same message delivered twice, never a new send. That
 * happened: a NATS client before @nats-io/transport-node 3.2.0 that
 * reconnected to a server resumed after a freeze kept its previous connection
 * alive beside the new one, and the server then delivered every message of a
 * plain subscription once per connection (the pinned client closes it:
 * libs/nats-transport frozen-server-reconnect.integration.spec.ts; this stays
 * because core NATS promises at most once per subscription, not per process,
 * and a duplicate must never cut a live run). Taking the copy would answer it on the
 * live send's inbox (as a stale send: GENERATION_IN_USE), and the caller
 * reads the first reply as its answer.
 *
 * An inbox is remembered until its request's time limit (after that nobody
 * waits on it). Forgetting goes from the oldest and stops at the first one
 * still due: one longer limit only delays forgetting the few taken after it,
 * and a request costs O(1) amortized.
 */
export class DeliveredRequests {
  /** Reply subject → when it may be forgotten (Unix ms), in the order taken. */
  private readonly until = new Map<string, number>();

  constructor(private readonly clock: Clock = new SystemClock()) {}

  /** True the first time `replySubject` is seen (it is remembered until `untilMs`); false for a copy of a message already taken. */
  firstDelivery(replySubject: string, untilMs: number): boolean {
    this.forgetExpired();
    if (this.until.has(replySubject)) return false;
    this.until.set(replySubject, untilMs);
    return true;
  }

  /** Inboxes remembered now. */
  get size(): number {
    return this.until.size;
  }

  private forgetExpired(): void {
    const now = this.clock.now();
    for (const [subject, untilMs] of this.until) {
      if (untilMs > now) return;
      this.until.delete(subject);
    }
  }
}
