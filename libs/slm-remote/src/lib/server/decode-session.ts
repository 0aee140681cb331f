import { valueWithin } from '@relayllm/bounded-waits';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { toGrpcStatus } from '@relayllm/grpc-api';
import type { SlmClientFrame, SlmGenerateRequest, SlmWorkerFrame } from '@relayllm/proto';
import {
  CancelledReason,
  FailedPreconditionReason,
  InvalidArgumentReason,
  isRelayError,
  RelayError,
  ResourceExhaustedReason,
  UnavailableReason,
  type EngineContext,
} from '@relayllm/relay-core';
import { errorFrame, generateFromWire, type ReceivedGenerate } from '../frames';
import { runGenerate, type GenerateHandle } from './run-generate';
import type { SlmStreamSettings } from './settings';

/** Generates that may wait behind the running one on a stream. */
const MAX_QUEUED_GENERATES = 8;

export type DecodeCall = ServerDuplexStream<SlmClientFrame, SlmWorkerFrame>;

/** What a session needs from the service that owns it. */
export interface SessionOwner {
  /** Reserves a generation id on this worker; false when another stream holds it. */
  claim(generationId: string, session: DecodeSession): boolean;
  /** Called once when the session is over (frees its slot and its generation id). */
  closed(session: DecodeSession): void;
}

/**
 * One Decode stream = one generation on this worker. Processes client frames
 * in order; at most one generate runs at a time (a start/append that arrives
 * while one runs aborts it, and the new one starts once the old one has given
 * its sequence back). Holds the whole context of the previous request, so an
 * append carries only the new text.
 *
 * Ends: client half-close (after the running generate stopped), client cancel
 * or broken connection, idle timeout, a protocol violation (INVALID_ARGUMENT),
 * or the worker's shutdown (UNAVAILABLE). Cleanup is idempotent.
 */
export class DecodeSession {
  private generationId: string | undefined;
  private context: EngineContext | undefined;
  private current: GenerateHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly stop = new AbortController();
  private idleTimer: NodeJS.Timeout | undefined;
  private over = false;
  /** Generates accepted but not started yet (each superseded one ends at once; the bound stops a flood). */
  private queued = 0;

  constructor(
    private readonly call: DecodeCall,
    private readonly settings: SlmStreamSettings,
    private readonly owner: SessionOwner,
  ) {
    call.on('data', (frame: SlmClientFrame) => this.onFrame(frame));
    call.on('end', () => this.finishAfterRunning());
    call.on('cancelled', () => this.close());
    call.on('error', () => this.close());
    call.on('close', () => this.close());
    this.armIdle();
  }

  /** A generate is running on this stream. */
  get busy(): boolean {
    return this.current !== undefined && !this.current.settled;
  }

  /** Ends the stream with UNAVAILABLE after stopping its generate (worker shutdown). */
  async terminate(): Promise<void> {
    if (this.over) return;
    this.stop.abort(RelayError.unavailable(UnavailableReason.WORKER_DRAINING, 'the SLM worker is shutting down'));
    await this.settledWithin(this.settings.abortGraceMs);
    this.fail(RelayError.unavailable(UnavailableReason.WORKER_DRAINING, 'the SLM worker is shutting down'));
  }

  private onFrame(frame: SlmClientFrame): void {
    if (this.over) return;
    this.armIdle();
    const body = frame.frame;
    switch (body?.$case) {
      case 'start':
        if (this.generationId !== undefined || body.value.generationId === '' || body.value.request === undefined) {
          this.fail(RelayError.invalidArgument(InvalidArgumentReason.WORKER_PROTOCOL, 'start must be the first frame, with a generation id and a request'));
          return;
        }
        if (!this.owner.claim(body.value.generationId, this)) {
          this.fail(RelayError.failedPrecondition(FailedPreconditionReason.GENERATION_IN_USE, `generation ${body.value.generationId} already has a stream here`));
          return;
        }
        this.generationId = body.value.generationId;
        this.enqueue(body.value.request);
        return;
      case 'append':
        if (this.generationId === undefined || body.value.request === undefined) {
          this.fail(RelayError.invalidArgument(InvalidArgumentReason.WORKER_PROTOCOL, 'append needs a started stream and a request'));
          return;
        }
        this.enqueue(body.value.request);
        return;
      case 'cancel':
        if (this.current?.seq === body.value.generateSeq) this.current.cancel();
        return;
      case 'resume':
        if (this.current?.seq === body.value.generateSeq) this.current.resume();
        return;
      default:
        this.fail(RelayError.invalidArgument(InvalidArgumentReason.WORKER_PROTOCOL, 'empty or unknown client frame'));
    }
  }

  private enqueue(wire: SlmGenerateRequest): void {
    let received: ReceivedGenerate;
    try {
      received = generateFromWire(wire, this.generationId as string, this.context);
    } catch (error) {
      const relay = isRelayError(error) ? error : RelayError.invalidArgument(InvalidArgumentReason.WORKER_PROTOCOL, `unreadable generate frame: ${String(error)}`);
      this.send({ frame: { $case: 'error', value: errorFrame(relay, wire.generateSeq) } });
      return;
    }
    if (this.queued >= MAX_QUEUED_GENERATES) {
      this.fail(RelayError.resourceExhausted(ResourceExhaustedReason.STREAM_BACKLOG_FULL, `more than ${MAX_QUEUED_GENERATES} generates waiting on one stream`));
      return;
    }
    this.context = received.request.context;
    this.current?.cancel(); // at most one generate per stream: the newer one wins
    const handle = runGenerate({
      seq: wire.generateSeq,
      received,
      engine: this.settings.engine,
      flushTokens: this.settings.flushTokens,
      flushMs: this.settings.flushMs,
      abortGraceMs: this.settings.abortGraceMs,
      runInTraceContext: this.settings.runInTraceContext,
      streamSignal: this.stop.signal,
      send: (frame) => this.sendAndDrain(frame),
    });
    this.current = handle;
    // Starts only when the previous generate has given its sequence back.
    this.queued += 1;
    this.chain = this.chain
      .then(() => {
        this.queued -= 1;
        return handle.run();
      })
      .catch(() => undefined) // run() reports its failures as frames; the chain must never stay rejected
      .then(() => this.armIdle());
  }

  private finishAfterRunning(): void {
    this.current?.cancel();
    void this.chain.then(() => {
      if (this.over) return;
      this.call.end();
      this.close();
    });
  }

  private async settledWithin(ms: number): Promise<void> {
    await valueWithin(this.chain, ms);
  }

  /** Ends the stream with the error's status. */
  private fail(error: RelayError): void {
    if (this.over) return;
    this.stop.abort(error);
    if (!this.call.cancelled) this.call.emit('error', toGrpcStatus(error).status);
    this.close();
  }

  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (this.over) return;
    this.idleTimer = setTimeout(() => {
      if (this.busy) this.armIdle();
      else this.finishAfterRunning();
    }, this.settings.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private send(frame: SlmWorkerFrame): boolean {
    if (this.over || this.call.cancelled || this.call.writableEnded) return true;
    return this.call.write(frame);
  }

  /** Writes a frame; waits for the transport to drain when its buffer is full (or the stream is over). */
  private async sendAndDrain(frame: SlmWorkerFrame): Promise<void> {
    if (this.send(frame)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.call.removeListener('drain', done);
        this.stop.signal.removeEventListener('abort', done);
        resolve();
      };
      this.call.once('drain', done);
      this.stop.signal.addEventListener('abort', done, { once: true });
    });
  }

  private close(): void {
    if (this.over) return;
    this.over = true;
    clearTimeout(this.idleTimer);
    this.stop.abort(RelayError.cancelled(CancelledReason.STREAM_RELEASED, 'the stream closed'));
    // The slot is given back once the engine has really let go of the sequence.
    void this.settledWithin(this.settings.abortGraceMs).then(() => this.owner.closed(this));
  }

  /** The generation id (after start). */
  get id(): string | undefined {
    return this.generationId;
  }
}
