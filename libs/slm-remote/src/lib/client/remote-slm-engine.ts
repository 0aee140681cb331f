import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { SlmWorkerServiceClient } from '@relayllm/proto';
import {
  FailedPreconditionReason,
  InternalReason,
  UnavailableReason,
  BYTE_LEVEL_TOKEN_IDS,
  RelayError,
  chunkTokenCount,
  freshRequest,
  isRelayError,
  sequenceIdOf,
  type Engine,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';
import { chunksFromWire } from '@relayllm/worker-protocol';
import { errorFromFrame, generateToWire } from '../frames';
import { DecodeConnection, type ConnectionEvent } from './decode-connection';
import { EventQueue } from './event-queue';
import { chooseSlmWorker, type SlmWorkerDirectory } from './slm-worker-directory';

export interface RemoteSlmEngineOptions {
  directory: SlmWorkerDirectory;
  /** Ids after which a worker pauses instead of generating on (default: the reference `</call>`, 259). */
  pauseTokens?: readonly number[];
  /** Ids that arm the pause (default: the reference `<call>`, 258): a stray `</call>` does not pause. [] = always pause. */
  pauseArmTokens?: readonly number[];
  /** Streams opened per generate when workers fail or refuse (default 3): bounded failover. */
  maxAttempts?: number;
  /** A stream with no generate for this long is closed (default 30 s). */
  idleReleaseMs?: number;
  /** deadline_ms sent with each generate, the worker's own limit (default 120 s; 0 = none). */
  generateDeadlineMs?: number;
  /** How long a worker may take to accept a new stream before the generate fails over (default 5 s). */
  connectTimeoutMs?: number;
  /** Told each time a generate moves to another worker (logs, metrics, specs). */
  onFailover?: (event: SlmFailoverEvent) => void;
  /** W3C trace context for each generate, read in the caller's async context (issue #6: the active slm.segment). */
  traceContext?: () => Readonly<Record<string, string | undefined>> | undefined;
  /** Extra @grpc/grpc-js channel options (keepalive defaults: 10 s ping, 5 s timeout). */
  channelOptions?: ChannelOptions;
  /** Channel credentials for the workers (issue #7: TLS / mTLS); default plaintext. */
  credentials?: ChannelCredentials;
}

export interface SlmFailoverEvent {
  sequenceId: string;
  /** The worker whose stream failed. */
  fromWorkerId: string;
  /** Tokens already yielded by this generate (replayed as context on the next worker). */
  yieldedTokens: number;
  error: RelayError;
}

const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 0,
};

/** How long a worker whose stream failed as unavailable is tried last (a few heartbeat intervals: the registry drops a dead one by then). */
const SUSPECT_MS = 5_000;

/** Failures after which another worker may serve the generate. */
function canFailOver(error: unknown): error is RelayError {
  if (!isRelayError(error)) return false;
  if (error.kind === 'unavailable' || error.kind === 'resource_exhausted') return true;
  return error.kind === 'failed_precondition' && error.reason === FailedPreconditionReason.GENERATION_IN_USE;
}

/**
 * relay-core's Engine for the SLM, served by SLM workers over gRPC
 * (relayllm.v1.SlmWorkerService.Decode). One stream per generation
 * (`request.sequenceId`): the first generate opens it on the least loaded live
 * worker, later turns send only their new text on the same stream, so the
 * worker's KV cache is reused. Streams close on `release()`, after
 * `idleReleaseMs` without a generate, or on `close()`.
 *
 * Failover: when the stream breaks mid-generate (worker killed, shut down,
 * full), the generate continues on another live worker from a fresh stream
 * whose context is the request's context plus every token already yielded,
 * with maxTokens reduced by as many: the caller sees each token exactly once
 * (at temperature 0 the output equals an undisturbed run). At most
 * `maxAttempts` streams per generate; no worker left is unavailable
 * (NO_SLM_WORKER).
 */
export class RemoteSlmEngine implements Engine {
  private readonly streams = new Map<string, DecodeConnection>();
  private readonly clients = new Map<string, SlmWorkerServiceClient>();
  /** Workers whose stream just failed as unavailable, until when they are tried last. */
  private readonly suspects = new Map<string, number>();
  private readonly pauseTokens: readonly number[];
  private readonly pauseArmTokens: readonly number[];
  private readonly maxAttempts: number;
  private readonly idleReleaseMs: number;
  private readonly deadlineMs: number;
  private readonly connectTimeoutMs: number;
  private closed = false;

  constructor(private readonly options: RemoteSlmEngineOptions) {
    this.pauseTokens = options.pauseTokens ?? [BYTE_LEVEL_TOKEN_IDS.END_CALL];
    this.pauseArmTokens = options.pauseArmTokens ?? [BYTE_LEVEL_TOKEN_IDS.CALL];
    this.maxAttempts = options.maxAttempts ?? 3;
    this.idleReleaseMs = options.idleReleaseMs ?? 30_000;
    this.deadlineMs = options.generateDeadlineMs ?? 120_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new RangeError('maxAttempts must be >= 1');
  }

  async start(): Promise<void> {
    // Streams are opened per generation; nothing to connect up front.
  }

  /** Open streams per worker id. */
  openStreams(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const c of this.streams.values()) counts.set(c.worker.workerId, (counts.get(c.worker.workerId) ?? 0) + 1);
    return counts;
  }

  /** The worker serving a sequence's stream, if one is open (for tests and routing metrics). */
  workerOf(sequenceId: string): string | undefined {
    return this.streams.get(sequenceId)?.worker.workerId;
  }

  /** Closes the stream of a generation (`generationId` or its SLM sequenceId `<generationId>/slm`). */
  release(generationId: string): void {
    for (const key of [generationId, sequenceIdOf(generationId, 'slm')]) this.streams.get(key)?.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const connection of [...this.streams.values()]) connection.close();
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.run(request, signal);
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    if (this.closed) throw RelayError.unavailable(UnavailableReason.STREAM_CLOSED, 'the remote SLM engine is closed');
    const excluded = new Set<string>();
    const yielded = { text: '', tokens: [] as number[], count: 0, idsKnown: true };
    let current = request;
    let lastError: RelayError | undefined;
    for (let attempt = 0; attempt < this.maxAttempts; attempt += 1) {
      if (signal.aborted) return;
      const connection = this.connectionFor(current, excluded, lastError);
      try {
        for await (const chunk of this.generateOn(connection, current, signal)) {
          yielded.text += chunk.text;
          yielded.count += chunkTokenCount(chunk);
          if (chunk.tokens.length === 0 && chunk.text !== '') yielded.idsKnown = false;
          yielded.tokens.push(...chunk.tokens);
          yield chunk;
          if (chunk.finish !== undefined) return;
        }
        return;
      } catch (error) {
        if (signal.aborted || !canFailOver(error)) throw error;
        lastError = error;
        excluded.add(connection.worker.workerId);
        if (error.kind === 'unavailable') this.suspects.set(connection.worker.workerId, Date.now() + SUSPECT_MS);
        this.options.onFailover?.({ sequenceId: request.sequenceId, fromWorkerId: connection.worker.workerId, yieldedTokens: yielded.count, error });
        connection.destroy();
        current = replayRequest(request, yielded);
        if (current.maxTokens < 1) {
          yield { tokens: [], text: '', finish: 'length' };
          return;
        }
      }
    }
    throw RelayError.unavailable(UnavailableReason.SLM_STREAM_FAILED, `the SLM stream failed ${this.maxAttempts} times`, { cause: lastError });
  }

  /** The generation's open stream, or a new one on the best live worker not yet tried. */
  private connectionFor(request: EngineRequest, excluded: ReadonlySet<string>, lastError: RelayError | undefined): DecodeConnection {
    const existing = this.streams.get(request.sequenceId);
    if (existing !== undefined && !existing.broken && !excluded.has(existing.worker.workerId)) return existing;
    if (existing?.failure?.kind === 'unavailable') this.suspects.set(existing.worker.workerId, Date.now() + SUSPECT_MS);
    existing?.destroy();
    const workers = this.options.directory.liveWorkers();
    const open = this.openStreams();
    // A worker that just failed (killed, shutting down) may still be listed until its heartbeats time out: try it last.
    const worker = chooseSlmWorker(workers, open, new Set([...excluded, ...this.currentSuspects()])) ?? chooseSlmWorker(workers, open, excluded);
    if (worker === undefined) {
      throw RelayError.unavailable(UnavailableReason.NO_SLM_WORKER, 'no live SLM worker', { cause: lastError });
    }
    const connection = new DecodeConnection(
      this.clientFor(worker.address),
      worker,
      request.sequenceId,
      (gone) => {
        if (this.streams.get(gone.generationId) === gone) this.streams.delete(gone.generationId);
      },
      this.connectTimeoutMs,
    );
    this.streams.set(request.sequenceId, connection);
    return connection;
  }

  private clientFor(address: string): SlmWorkerServiceClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      this.pruneClients();
      client = new SlmWorkerServiceClient(address, this.options.credentials ?? credentials.createInsecure(), {
        ...DEFAULT_CHANNEL_OPTIONS,
        ...this.options.channelOptions,
      });
      this.clients.set(address, client);
    }
    return client;
  }

  private currentSuspects(): string[] {
    const now = Date.now();
    for (const [id, until] of this.suspects) if (until <= now) this.suspects.delete(id);
    return [...this.suspects.keys()];
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

  /** One generate on one stream: yields its chunks; throws the stream's or the worker's error. */
  private async *generateOn(connection: DecodeConnection, request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const queue = new EventQueue<ConnectionEvent>();
    const traceContext = this.options.traceContext?.();
    const seq = connection.begin(
      (generateSeq, tail) => {
        const value = generateToWire(tail ? request : freshRequest(request), {
          generateSeq,
          tail,
          pauseTokens: this.pauseTokens,
          pauseArmTokens: this.pauseArmTokens,
          timeoutMs: this.deadlineMs,
          traceContext,
        });
        return generateSeq === 1
          ? { $case: 'start', value: { generationId: request.sequenceId, request: value } }
          : { $case: 'append', value: { request: value } };
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
    let finished = false;
    let received = 0;
    try {
      if (signal.aborted) return;
      for (;;) {
        const event = await queue.next();
        if (event === undefined) return; // aborted
        if (event.type === 'broken') throw event.error;
        const body = event.frame.frame;
        if (body?.$case === 'error') {
          finished = true;
          throw errorFromFrame(body.value);
        }
        if (body?.$case !== 'chunks' || body.value.chunks === undefined) continue;
        for (const chunk of chunksFromWire(body.value.chunks)) {
          received += chunkTokenCount(chunk);
          if (received > request.maxTokens + 1) {
            throw RelayError.internal(InternalReason.ENGINE_PROTOCOL, `worker ${connection.worker.workerId} sent more tokens than requested`);
          }
          if (chunk.finish !== undefined) finished = true;
          yield chunk;
        }
        if (finished) return;
        if (body.value.paused) connection.resume(seq); // the caller asked for more after the pause
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!finished && !signal.aborted) connection.cancel(seq);
      connection.finished(seq, this.idleReleaseMs);
    }
  }
}

/** The request that continues a broken generate elsewhere: its context plus what was yielded, from scratch. */
export function replayRequest(
  request: EngineRequest,
  yielded: { text: string; tokens: readonly number[]; count: number; idsKnown: boolean },
): EngineRequest {
  const context: EngineRequest['context'] = { text: request.context.text + yielded.text };
  if (request.context.tokens !== undefined && yielded.idsKnown) context.tokens = [...request.context.tokens, ...yielded.tokens];
  return {
    sequenceId: request.sequenceId,
    turn: request.turn,
    context,
    appendOnly: false,
    maxTokens: request.maxTokens - yielded.count,
    sampling: request.sampling,
    stopTokens: request.stopTokens,
    stop: request.stop,
    bannedTokens: request.bannedTokens,
  };
}
