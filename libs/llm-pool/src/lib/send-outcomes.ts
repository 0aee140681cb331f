import { EngineFinish, type LlmGenerateReply, type WorkerError } from '@relayllm/proto';
import { FailedPreconditionReason, RelayError, UnavailableReason } from '@relayllm/relay-core';
import { fromWorkerError } from '@relayllm/worker-protocol';

/** How a send's result becomes an attempt's failure, and the small waits of the send loop (nats-request-transport). */

/**
 * A worker's error reply as the attempt's failure. The worker's time limit is
 * this attempt's, so a worker-side deadline_exceeded is an attempt timeout,
 * reissued like one; every other kind is kept.
 */
export function workerFailure(error: WorkerError): RelayError {
  const relayError = fromWorkerError(error);
  if (relayError.kind !== 'deadline_exceeded') return relayError;
  return RelayError.unavailable(UnavailableReason.LLM_ATTEMPT_TIMEOUT, 'the worker reached the attempt deadline', { cause: relayError });
}

/** The ride-through gave up: the link stayed down (or the workers away) for all the time the call could wait. */
export function brokerDown(why: string, waitedMs: number): RelayError {
  return RelayError.unavailable(UnavailableReason.LLM_BROKER_DOWN, `NATS did not carry the LLM call for ${waitedMs} ms: ${why}`);
}

/** The worker ended the run early (finish abort) without a reason of its own to report: its tokens are partial. */
export function isCutShort(reply: LlmGenerateReply): boolean {
  return reply.error === undefined && reply.output?.finish === EngineFinish.ENGINE_FINISH_ABORT;
}

/**
 * The worker dropped this send as stale: it runs a later send of the call (or
 * one it took for later: NATS delivered an older send after this one), so
 * this send gets no answer of its own. After link trouble the caller sends
 * again, which supersedes whatever runs there.
 */
export function isStaleSend(reply: LlmGenerateReply): boolean {
  return reply.error?.reason === FailedPreconditionReason.GENERATION_IN_USE;
}

export function cutShort(reply: LlmGenerateReply): RelayError {
  return RelayError.unavailable(UnavailableReason.LLM_RUN_CUT, `LLM worker ${reply.workerId} ended the call early (finish abort) though the caller did not abort it`);
}

/** Waits `ms` or until `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
