import { status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { ERROR_REASON_METADATA_KEY, relayErrorFromServiceError } from '@relayllm/grpc-api';
import type { SlmClientFrame, SlmWorkerFrame, SlmWorkerServiceClient } from '@relayllm/proto';
import { CancelledReason, UnavailableReason, RelayError, type EngineContext, type EngineRequest } from '@relayllm/relay-core';
import type { SlmWorkerInfo } from './slm-worker-directory';
import type { SlotHoldingStream } from './worker-streams';

/** What a generate's receiver gets: frames of its own seq, or the news that the stream broke. */
export type ConnectionEvent = { type: 'frame'; frame: SlmWorkerFrame } | { type: 'broken'; error: RelayError };

/**
 * The client end of one Decode stream (one generation on one worker).
 * Routes worker frames to the receiver of the generate they belong to
 * (frames of an older, cancelled generate are dropped), remembers the whole
 * context the worker holds (so the next turn sends only its new part), and
 * turns the end of the stream into a RelayError for the running generate.
 */
export class DecodeConnection implements SlotHoldingStream {
  private readonly call: ClientDuplexStream<SlmClientFrame, SlmWorkerFrame>;
  private receiver: { seq: number; deliver(event: ConnectionEvent): void } | undefined;
  private lastSeq = 0;
  private started = false;
  /** The whole context of the last request sent on this stream (what the worker holds). */
  private held: EngineContext | undefined;
  private brokenBy: RelayError | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    client: SlmWorkerServiceClient,
    readonly worker: SlmWorkerInfo,
    readonly generationId: string,
    private readonly onGone: (connection: DecodeConnection) => void,
    connectTimeoutMs: number,
  ) {
    this.call = client.decode();
    this.call.on('data', (frame: SlmWorkerFrame) => this.onFrame(frame));
    this.call.on('error', (error: ServiceError) => this.broke(streamError(error)));
    this.call.on('end', () => this.broke(RelayError.unavailable(UnavailableReason.SLM_STREAM_FAILED, `worker ${worker.workerId} ended the stream`)));
    // The worker sends its response headers as soon as it accepts the stream.
    // A peer that never answers (an address that drops packets, a hung
    // process) must not hold the generate until TCP gives up: fail it over.
    const connectTimer = setTimeout(() => {
      this.broke(RelayError.unavailable(UnavailableReason.SLM_CONNECT_TIMEOUT, `worker ${worker.workerId} did not accept the stream within ${connectTimeoutMs} ms`));
      this.call.cancel();
    }, connectTimeoutMs);
    connectTimer.unref();
    const accepted = (): void => clearTimeout(connectTimer);
    this.call.once('metadata', accepted);
    this.call.once('data', accepted);
    this.call.once('close', accepted);
    this.call.once('error', accepted);
  }

  get broken(): boolean {
    return this.brokenBy !== undefined;
  }

  /**
   * Calls `listener` once, when the gRPC call is over on both ends (its status
   * arrived): only then has the worker freed the stream's slot. A released
   * stream is "gone" for this client at once but still holds that slot until
   * the worker has seen the half-close.
   */
  onEnded(listener: () => void): void {
    let called = false;
    const once = (): void => {
      if (called) return;
      called = true;
      listener();
    };
    this.call.once('status', once);
    this.call.once('close', once);
  }

  /** Why the stream is over (undefined while it is usable). */
  get failure(): RelayError | undefined {
    return this.brokenBy;
  }

  /**
   * Sends the next generate (start on a fresh stream, else append) and routes
   * its frames to `deliver`. `wire` gets the generate's number and whether
   * only the context's tail is to be sent (the worker holds the rest).
   */
  begin(wire: (seq: number, tail: boolean) => SlmClientFrame['frame'], request: EngineRequest, deliver: (event: ConnectionEvent) => void): number {
    clearTimeout(this.idleTimer);
    const seq = ++this.lastSeq;
    this.receiver = { seq, deliver };
    if (this.brokenBy !== undefined) {
      deliver({ type: 'broken', error: this.brokenBy });
      return seq;
    }
    const frame = wire(seq, this.started && this.fits(request));
    this.started = true;
    this.held = request.context;
    this.call.write({ frame });
    return seq;
  }

  /** Stops generate `seq` (no-op when the stream is gone). */
  cancel(seq: number): void {
    if (this.receiver?.seq === seq) this.receiver = undefined;
    this.write({ frame: { $case: 'cancel', value: { generateSeq: seq } } });
  }

  resume(seq: number): void {
    this.write({ frame: { $case: 'resume', value: { generateSeq: seq } } });
  }

  /** Generate `seq` is over: forget its receiver and close the stream after `idleMs` without a new one. */
  finished(seq: number, idleMs: number): void {
    if (this.receiver?.seq === seq) this.receiver = undefined;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(), idleMs);
    this.idleTimer.unref();
  }

  /** Half-closes the stream (the worker ends it once its generate stopped). Idempotent. */
  close(): void {
    clearTimeout(this.idleTimer);
    if (this.brokenBy === undefined) {
      this.brokenBy = RelayError.cancelled(CancelledReason.STREAM_RELEASED, 'the stream was released');
      this.call.end();
      // A worker that never answers the half-close must not keep the call open.
      const timer = setTimeout(() => this.call.cancel(), 5_000);
      timer.unref();
      this.call.on('close', () => clearTimeout(timer));
    }
    this.onGone(this);
  }

  /** Ends the stream now with `error` (its worker left the registry): the running generate fails with it and moves elsewhere. */
  abandon(error: RelayError): void {
    this.broke(error);
    this.call.cancel();
  }

  /** Drops the stream at once (after a failure). */
  destroy(): void {
    clearTimeout(this.idleTimer);
    this.brokenBy ??= RelayError.cancelled(CancelledReason.STREAM_RELEASED, 'the stream was dropped');
    this.call.cancel();
    this.onGone(this);
  }

  /** The worker holds a context that the request extends at its append offsets (same ids known on both sides). */
  private fits(request: EngineRequest): boolean {
    const { held } = this;
    const from = request.appendFrom;
    if (!request.appendOnly || from === undefined || held === undefined) return false;
    if (from.text > held.text.length || !request.context.text.startsWith(held.text.slice(0, from.text))) return false;
    const tokens = request.context.tokens;
    if (tokens === undefined) return true;
    if (held.tokens === undefined || from.tokens === undefined || from.tokens > held.tokens.length) return false;
    for (let i = 0; i < from.tokens; i += 1) if (tokens[i] !== held.tokens[i]) return false;
    return true;
  }

  private write(frame: SlmClientFrame): void {
    if (this.brokenBy === undefined) this.call.write(frame);
  }

  private onFrame(frame: SlmWorkerFrame): void {
    const seq = frame.frame?.value.generateSeq;
    if (this.receiver !== undefined && seq === this.receiver.seq) this.receiver.deliver({ type: 'frame', frame });
  }

  private broke(error: RelayError): void {
    if (this.brokenBy === undefined) this.brokenBy = error;
    clearTimeout(this.idleTimer);
    const receiver = this.receiver;
    this.receiver = undefined;
    receiver?.deliver({ type: 'broken', error: this.brokenBy });
    this.onGone(this);
  }
}

/** A stream's gRPC status as a RelayError; a lost connection is unavailable. */
function streamError(error: ServiceError): RelayError {
  // No reason trailer: the connection failed, not the worker (killed, or frozen and its keepalive unanswered).
  const fromConnection = error.code === GrpcStatus.UNAVAILABLE && error.metadata?.get(ERROR_REASON_METADATA_KEY).length === 0;
  if (fromConnection || error.code === GrpcStatus.CANCELLED || error.code === GrpcStatus.UNKNOWN || error.code === GrpcStatus.INTERNAL) {
    // A worker killed mid-stream surfaces as one of these depending on timing.
    return RelayError.unavailable(UnavailableReason.SLM_STREAM_FAILED, `the SLM stream failed: ${error.details}`, { cause: error });
  }
  return relayErrorFromServiceError(error);
}
