import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { SlmWorkerServiceClient } from '@relayllm/proto';
import { freeSlots, isReissuable, type Attempt, type Exhaustion, type WorkerCandidates, type WorkerLoad, type WorkerTransport } from '@relayllm/relay-cluster';
import {
  chunkTokenCount,
  freshRequest,
  InternalReason,
  RelayError,
  ResourceExhaustedReason,
  UnavailableReason,
  type CommandSyntax,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';
import { chunksFromWire } from '@relayllm/worker-protocol';
import { errorFromFrame, generateToWire } from '../frames';
import { DecodeConnection, type ConnectionEvent } from './decode-connection';
import { EventQueue } from './event-queue';
import { slmPausePoints } from './slm-pause-points';
import type { SlmWorkerDirectory, SlmWorkerInfo } from './slm-worker-directory';
import { WorkerStreams } from './worker-streams';

export interface SlmStreamTransportOptions {
  directory: SlmWorkerDirectory;
  /**
   * The SLM's command syntax, read at each generate (the orchestrator learns
   * it from the workers' descriptions): where a worker pauses, see slmPausePoints.
   */
  commandSyntax: () => CommandSyntax;
  /** A stream with no generate for this long is closed (default 30 s). */
  idleReleaseMs?: number;
  /** The worker's time limit for each generate (default 120 s; 0 = none), cut to the call's deadline. */
  generateDeadlineMs?: number;
  /** How long a worker may take to accept a new stream before the attempt fails (default 5 s). */
  connectTimeoutMs?: number;
  /** W3C trace context for each generate, read in the caller's async context (the active slm.segment). */
  traceContext?: () => Readonly<Record<string, string | undefined>> | undefined;
  /** Extra @grpc/grpc-js channel options (keepalive defaults: 1 s ping, 5 s timeout while streams are open). */
  channelOptions?: ChannelOptions;
  /** Channel credentials for the workers (TLS / mTLS); default plaintext. */
  credentials?: ChannelCredentials;
  /**
   * Called when the directory may have changed (a worker joined, left,
   * reported load): streams on workers no longer listed are ended (their
   * generates fail over), and waiting generates look again.
   */
  onCapacityChange?: (listener: () => void) => () => void;
}

/**
 * A worker frozen mid-stream (SIGSTOP, a hung host) keeps its TCP connection
 * open but answers no HTTP/2 ping: its streams fail within ~6 s and their
 * generates move elsewhere, as if it had been killed (the registry usually
 * tells first). Not shorter: a loaded host that stalls an event loop for 2 s
 * would otherwise drop a healthy connection and every stream on it.
 */
const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.keepalive_time_ms': 1_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 0,
};

/**
 * The SLM's transport: one gRPC bidi stream (relayllm.v1.SlmWorkerService.Decode)
 * per generation, opened on the worker the skeleton chose; later turns send
 * only their new text on the same stream, so the worker's KV cache is reused.
 * Streams close on release(), after `idleReleaseMs` without a generate, or on
 * close(). A failed attempt's stream is dropped (the next attempt opens one).
 * A stream is never opened on a worker this client's own streams fill (its
 * count is exact; heartbeats lag): the generate waits for one of them to end.
 */
export class SlmStreamTransport implements WorkerTransport {
  readonly anyAllowed = false;
  readonly fullAllowed = true;
  private readonly streams = new Map<string, DecodeConnection>();
  /** Streams this client opened on each worker whose call is not over yet (released ones included: they still hold a slot). */
  private readonly slots = new WorkerStreams(() => this.emit(1));
  private readonly listeners = new Set<(freedSlots?: number) => void>();
  private readonly unsubscribe: () => void;
  private readonly clients = new Map<string, SlmWorkerServiceClient>();
  private closed = false;

  constructor(private readonly options: SlmStreamTransportOptions) {
    this.unsubscribe = options.onCapacityChange?.(() => this.directoryChanged()) ?? (() => undefined);
  }

  /** Streams per worker id that still hold a slot there (kept up to date as streams open and end, so reading it is cheap). */
  openStreams(): Map<string, number> {
    return this.slots.counts();
  }

  /** The worker serving a sequence's stream, if one is open. */
  workerOf(sequenceId: string): string | undefined {
    return this.streams.get(sequenceId)?.worker.workerId;
  }

  async candidates(request: EngineRequest): Promise<WorkerCandidates> {
    if (this.closed) throw RelayError.unavailable(UnavailableReason.STREAM_CLOSED, 'the remote SLM engine is closed');
    const stream = this.streams.get(request.sequenceId);
    const holding = stream !== undefined && !stream.broken;
    return { live: () => this.loads(), preferred: holding ? stream.worker.workerId : undefined, preferredHoldsSlot: holding };
  }

  async *send(attempt: Attempt, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    if (attempt.route.kind !== 'worker') throw RelayError.internal(InternalReason.ENGINE_PROTOCOL, 'an SLM attempt must name its worker');
    const connection = this.connectionFor(attempt.request.sequenceId, attempt.route.workerId);
    try {
      yield* this.generateOn(connection, attempt, signal);
    } catch (error) {
      // The skeleton moves the generate elsewhere: this stream is done.
      if (isReissuable(error)) connection.destroy();
      throw error;
    }
  }

  /** Overload (every worker full) is RESOURCE_EXHAUSTED; no worker live, or streams failing on every one, is UNAVAILABLE. */
  exhausted({ last, noWorker, allFull }: Exhaustion): RelayError {
    if (allFull) return RelayError.resourceExhausted(ResourceExhaustedReason.WORKERS_BUSY, 'every SLM worker is full', { cause: last });
    if (noWorker) return RelayError.unavailable(UnavailableReason.NO_SLM_WORKER, 'no live SLM worker', { cause: last });
    return RelayError.unavailable(UnavailableReason.SLM_STREAM_FAILED, 'the SLM stream failed on every attempt', { cause: last });
  }

  /** A stream that ends frees one slot (one waiter wakes); a directory change wakes as many as its workers have free slots. */
  onCapacityChange(listener: (freedSlots?: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    // Streams are opened per generation; nothing to connect up front.
  }

  /** Closes the stream of a finished generation. */
  release(sequenceId: string): void {
    this.streams.get(sequenceId)?.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const connection of [...this.streams.values()]) connection.close();
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  /** Live workers; in use = the larger of what a worker announced and what this client has open on it (announcements lag). */
  private loads(): WorkerLoad[] {
    return this.options.directory
      .liveWorkers()
      .filter((w) => w.address !== '')
      .map((w) => {
        const own = this.slots.count(w.workerId);
        return { workerId: w.workerId, maxSequences: w.maxSequences, activeSequences: Math.max(w.activeSequences, own), ownSequences: own };
      });
  }

  private emit(freedSlots?: number): void {
    for (const listener of [...this.listeners]) listener(freedSlots);
  }

  /** Ends the streams of workers that left the directory (they fail over), then wakes as many waiters as slots look free. */
  private directoryChanged(): void {
    const live = new Set(this.options.directory.liveWorkers().map((w) => w.workerId));
    this.slots.abandonGone(live, (workerId) =>
      RelayError.unavailable(UnavailableReason.SLM_WORKER_GONE, `SLM worker ${workerId} left the registry (left, or its heartbeats stopped)`),
    );
    this.emit(freeSlots(this.loads()));
  }

  /** The generation's open stream on `workerId`, or a new one there. */
  private connectionFor(sequenceId: string, workerId: string): DecodeConnection {
    const existing = this.streams.get(sequenceId);
    if (existing !== undefined && !existing.broken && existing.worker.workerId === workerId) return existing;
    existing?.destroy();
    const worker = this.options.directory.liveWorkers().find((w) => w.workerId === workerId);
    if (worker === undefined) throw RelayError.unavailable(UnavailableReason.NO_SLM_WORKER, `SLM worker ${workerId} is gone`);
    const connection = new DecodeConnection(
      this.clientFor(worker),
      worker,
      sequenceId,
      (gone) => {
        if (this.streams.get(gone.generationId) === gone) this.streams.delete(gone.generationId);
      },
      this.options.connectTimeoutMs ?? 5_000,
    );
    this.streams.set(sequenceId, connection);
    this.slots.add(connection);
    return connection;
  }

  private clientFor(worker: SlmWorkerInfo): SlmWorkerServiceClient {
    let client = this.clients.get(worker.address);
    if (client === undefined) {
      this.pruneClients();
      client = new SlmWorkerServiceClient(worker.address, this.options.credentials ?? credentials.createInsecure(), {
        ...DEFAULT_CHANNEL_OPTIONS,
        ...this.options.channelOptions,
      });
      this.clients.set(worker.address, client);
    }
    return client;
  }

  /** Closes the channels of workers that left the directory and carry no stream (restarted workers come back on new ports). */
  private pruneClients(): void {
    const live = new Set(this.options.directory.liveWorkers().map((w) => w.address));
    const used = new Set([...this.streams.values()].map((c) => c.worker.address));
    for (const [address, client] of this.clients) {
      if (live.has(address) || used.has(address)) continue;
      client.close();
      this.clients.delete(address);
    }
  }

  /** The worker's time limit for a generate: its own bound, cut to the call's deadline. */
  private timeoutMs(attempt: Attempt): number {
    const own = this.options.generateDeadlineMs ?? 120_000;
    if (attempt.timeLeftMs === undefined) return own;
    return own === 0 ? Math.max(1, attempt.timeLeftMs) : Math.max(1, Math.min(own, attempt.timeLeftMs));
  }

  /** One generate on one stream: yields its chunks; throws the stream's or the worker's error. */
  private async *generateOn(connection: DecodeConnection, attempt: Attempt, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const { request } = attempt;
    const queue = new EventQueue<ConnectionEvent>();
    const envelope = { ...slmPausePoints(this.options.commandSyntax()), timeoutMs: this.timeoutMs(attempt), traceContext: this.options.traceContext?.() };
    const seq = connection.begin(
      (generateSeq, tail) => {
        const value = generateToWire(tail ? request : freshRequest(request), { ...envelope, generateSeq, tail });
        return generateSeq === 1 ? { $case: 'start', value: { generationId: request.sequenceId, request: value } } : { $case: 'append', value: { request: value } };
      },
      request,
      (event) => queue.push(event),
    );
    // The relay aborts a stream it has read enough of (e.g. right after a
    // command) and may leave this generator parked: tell the worker at once.
    const onAbort = (): void => {
      connection.cancel(seq);
      queue.end();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const progress = { finished: false, received: 0 };
    try {
      if (signal.aborted) return;
      yield* this.readFrames(connection, seq, queue, request, progress);
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!progress.finished && !signal.aborted) connection.cancel(seq);
      connection.finished(seq, this.options.idleReleaseMs ?? 30_000);
    }
  }

  /** The frames of generate `seq` as engine chunks, until its finish; resumes a paused generate when the caller reads on. */
  private async *readFrames(
    connection: DecodeConnection,
    seq: number,
    queue: EventQueue<ConnectionEvent>,
    request: EngineRequest,
    progress: { finished: boolean; received: number },
  ): AsyncGenerator<EngineChunk> {
    for (;;) {
      const event = await queue.next();
      if (event === undefined) return; // aborted
      if (event.type === 'broken') throw event.error;
      const body = event.frame.frame;
      if (body?.$case === 'error') {
        progress.finished = true;
        throw errorFromFrame(body.value);
      }
      if (body?.$case !== 'chunks' || body.value.chunks === undefined) continue;
      for (const chunk of chunksFromWire(body.value.chunks)) {
        progress.received += chunkTokenCount(chunk);
        if (progress.received > request.maxTokens + 1) {
          throw RelayError.internal(InternalReason.ENGINE_PROTOCOL, `worker ${connection.worker.workerId} sent more tokens than requested`);
        }
        if (chunk.finish !== undefined) progress.finished = true;
        yield chunk;
      }
      if (progress.finished) return;
      if (body.value.paused) connection.resume(seq); // the caller asked for more after the pause
    }
  }
}
