import type { BrokerView } from '@relayllm/nats-transport';

/**
 * Whether NATS (this process's link to it, or peers still coming back after
 * it) rather than a worker explains an attempt's failure. A broker fault is
 * ridden through: the attempt is sent again once the link is up, bounded by
 * the call's time, and counts neither against the worker nor the attempt
 * budget. A worker fault is the attempt's failure (the retry policy reissues
 * it elsewhere). Pure: the link's state comes in as a BrokerView.
 */
export interface RideThroughPolicy {
  /**
   * How long after this link came back a missing responder (or ack) is
   * blamed on the broker: the workers reconnect on their own schedule
   * (reconnect wait 250 ms + jitter) and resubscribe only then.
   */
  settleMs: number;
  /** A ping answered within this is a healthy server (a LAN answers in < 1 ms); slower means it was stalled. */
  healthyProbeMs: number;
  /** Pause before sending again while the link is up but peers are still coming back. */
  retryDelayMs: number;
}

export const DEFAULT_RIDE_THROUGH: RideThroughPolicy = { settleMs: 2_000, healthyProbeMs: 500, retryDelayMs: 200 };

/** When an attempt was published, and how many times the link had dropped by then. */
export interface SentMark {
  atMs: number;
  disconnects: number;
}

const atOrAfter = (atMs: number | undefined, sinceMs: number): boolean => atMs !== undefined && atMs >= sinceMs;

/** The link is down, or dropped, came back or stalled since `sinceMs` (or since the send, by its disconnect count). */
export function linkTroubleSince(view: BrokerView, sinceMs: number, disconnectsThen = view.disconnects): boolean {
  if (!view.connected || view.disconnects !== disconnectsThen) return true;
  return atOrAfter(view.reconnectedAtMs, sinceMs) || atOrAfter(view.stalledAtMs, sinceMs);
}

/** The link came back less than `settleMs` ago: workers may not have resubscribed yet. */
export function settling(view: BrokerView, policy: RideThroughPolicy): boolean {
  return view.reconnectedAtMs !== undefined && view.nowMs - view.reconnectedAtMs < policy.settleMs;
}

/** "No responders" on the subject: the worker is absent, unless the link is in trouble or just came back. */
export function noRespondersBlame(view: BrokerView, sent: SentMark, policy: RideThroughPolicy): 'broker' | 'worker' {
  return linkTroubleSince(view, sent.atMs, sent.disconnects) || settling(view, policy) ? 'broker' : 'worker';
}

/**
 * The ack deadline passed. `wait`: the broker explains the silence (the link
 * dropped, stalled or came back since the send, or a ping took too long),
 * so the ack deadline starts again; `probe`: ping the server first (a frozen
 * one is noticed by the client only after 2-3 s); `fail`: the server answers
 * promptly, so the request was lost by a worker (LLM_ACK_TIMEOUT).
 */
export function ackDeadlineVerdict(view: BrokerView, sent: SentMark, policy: RideThroughPolicy, probeRttMs?: number): 'wait' | 'probe' | 'fail' {
  if (linkTroubleSince(view, sent.atMs, sent.disconnects) || settling(view, policy)) return 'wait';
  if (probeRttMs === undefined) return 'probe';
  return probeRttMs > policy.healthyProbeMs ? 'wait' : 'fail';
}

/**
 * The registry expired the worker (no heartbeat for 3 intervals). Its
 * silence is the broker's when the link was down, dropped, came back or
 * stalled after the worker's last heartbeat: heartbeats could not arrive.
 * The attempt goes on (sent again after a drop); a worker that really died
 * then shows as "no responders" or a missing ack once the link settled.
 */
export function workerExpiryBlame(view: BrokerView, lastSeenMs: number): 'broker' | 'worker' {
  return linkTroubleSince(view, lastSeenMs) ? 'broker' : 'worker';
}

/**
 * A reply whose run ended early (finish `abort`) though this caller did not
 * abort: the worker cut it. After link trouble since the attempt's first send
 * that is a duplicate of the request the server delivered late (a frozen
 * server replaying an old connection's buffer) superseding the current run:
 * the broker's, send again. Otherwise the worker's (a cancel, its shutdown):
 * the attempt fails and is reissued. Never an answer: its tokens are partial.
 */
export function cutReplyBlame(view: BrokerView, firstSent: SentMark): 'broker' | 'worker' {
  return linkTroubleSince(view, firstSent.atMs, firstSent.disconnects) ? 'broker' : 'worker';
}
