import type { ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type { GenerateEvent, GenerateResponse } from '@relayllm/proto';
import type { DecodedGenerateRequest } from './request-decoding';
import { CancelledReason, DeadlineExceededReason, RelayError } from '@relayllm/relay-core';

/** The life of one server call: the signal its generation runs under, and waiting for a writable stream. */

type AnyServerCall = ServerUnaryCall<DecodedGenerateRequest, GenerateResponse> | ServerWritableStream<DecodedGenerateRequest, GenerateEvent>;

/** In-flight calls' controllers, aborted on forced shutdown. */
export type ActiveCalls = Set<AbortController>;

interface CallScope {
  signal: AbortSignal;
  /** The client's deadline (Unix ms) as this server dates it; undefined when the client set none. */
  deadlineAtMs: number | undefined;
  dispose(): void;
}

/**
 * A client whose own deadline passes cancels the stream (HTTP/2 RST_STREAM,
 * the same frame as a deliberate cancel). grpc-js dates the server's deadline
 * from when it read the headers, so a busy event loop puts it later than the
 * client's and that cancel can arrive "early". A cancel this close to the
 * deadline is counted as the deadline passing.
 */
export const DEADLINE_CANCEL_SLACK_MS = 250;

/** The call's deadline (Unix ms), or undefined when the client set none (grpc-js says Infinity). */
export function callDeadlineAtMs(call: Pick<AnyServerCall, 'getDeadline'>): number | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The AbortSignal handed to the handler: aborted as soon as the client
 * cancels ('cancelled'), the call's deadline passes (own timer, so it does not
 * depend on how the transport reports it) or the server is force-closed.
 */
export function callScope(call: AnyServerCall, active: ActiveCalls): CallScope {
  const controller = new AbortController();
  const deadline = callDeadlineAtMs(call);
  const abortForDeadline = (): void =>
    controller.abort(RelayError.deadlineExceeded(DeadlineExceededReason.DEADLINE_EXCEEDED, 'the call deadline passed'));
  const onCancelled = (): void => {
    if (controller.signal.aborted) return;
    if (deadline !== undefined && Date.now() >= deadline - DEADLINE_CANCEL_SLACK_MS) abortForDeadline();
    else controller.abort(RelayError.cancelled(CancelledReason.CLIENT_CANCELLED, 'the client cancelled the call'));
  };
  call.on('cancelled', onCancelled);
  let timer: NodeJS.Timeout | undefined;
  if (deadline !== undefined) {
    timer = setTimeout(abortForDeadline, Math.max(0, deadline - Date.now()));
    timer.unref();
  }
  active.add(controller);
  if (call.cancelled) onCancelled();
  return {
    signal: controller.signal,
    deadlineAtMs: deadline,
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      call.removeListener('cancelled', onCancelled);
      active.delete(controller);
    },
  };
}

/** The status to report for a call whose signal was aborted. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof RelayError
    ? signal.reason
    : RelayError.cancelled(CancelledReason.CLIENT_CANCELLED, 'the call was cancelled');
}

/** Resolves once the stream can take more data (or the call is aborted). */
export function drained(call: ServerWritableStream<DecodedGenerateRequest, GenerateEvent>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.removeListener('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
