import { Metadata } from '@grpc/grpc-js';
import { toGrpcStatus } from '@relayllm/grpc-api';
import type { SlmWorkerServiceServer } from '@relayllm/proto';
import { ResourceExhaustedReason, UnavailableReason, RelayError } from '@relayllm/relay-core';
import { DecodeSession, type DecodeCall, type SessionOwner } from './decode-session';
import type { SlmStreamSettings } from './settings';

/**
 * The worker side of relayllm.v1.SlmWorkerService: serves Decode streams over
 * one Engine, at most `maxStreams` at once (a stream holds a slot from its
 * opening until its generate has given the sequence back), each generation id
 * on at most one stream. Add it to a grpc-js Server with
 * `server.addService(SlmWorkerServiceService, service.implementation())`.
 */
export class SlmStreamService implements SessionOwner {
  private readonly sessions = new Set<DecodeSession>();
  private readonly byGeneration = new Map<string, DecodeSession>();
  private closing = false;

  constructor(private readonly settings: SlmStreamSettings) {
    if (!Number.isInteger(settings.maxStreams) || settings.maxStreams < 1) {
      throw new RangeError(`maxStreams must be >= 1, got ${settings.maxStreams}`);
    }
  }

  /** Streams holding a slot (what the worker announces as active sequences). */
  get activeStreams(): number {
    return this.sessions.size;
  }

  get maxStreams(): number {
    return this.settings.maxStreams;
  }

  /** Streams whose generate is running right now. */
  get runningGenerates(): number {
    let n = 0;
    for (const session of this.sessions) if (session.busy) n += 1;
    return n;
  }

  implementation(): SlmWorkerServiceServer {
    return { decode: (call: DecodeCall) => this.open(call) };
  }

  open(call: DecodeCall): void {
    const refuse = (error: RelayError): void => {
      call.on('error', () => undefined);
      call.emit('error', toGrpcStatus(error).status);
    };
    if (this.closing) return refuse(RelayError.unavailable(UnavailableReason.WORKER_DRAINING, 'the SLM worker is shutting down'));
    if (this.sessions.size >= this.settings.maxStreams) {
      return refuse(RelayError.resourceExhausted(ResourceExhaustedReason.WORKER_FULL, `the SLM worker serves its maximum of ${this.settings.maxStreams} streams`));
    }
    this.sessions.add(new DecodeSession(call, this.settings, this));
    // Response headers at once: the client knows the stream was accepted (its connect timeout).
    call.sendMetadata(new Metadata());
  }

  claim(generationId: string, session: DecodeSession): boolean {
    const holder = this.byGeneration.get(generationId);
    if (holder !== undefined && holder !== session) return false;
    this.byGeneration.set(generationId, session);
    return true;
  }

  closed(session: DecodeSession): void {
    this.sessions.delete(session);
    const id = session.id;
    if (id !== undefined && this.byGeneration.get(id) === session) this.byGeneration.delete(id);
  }

  /**
   * Refuses new streams, lets running generates finish for up to `graceMs`,
   * then ends every stream with UNAVAILABLE (clients fail over to another
   * worker, replaying their transcript). Idempotent.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.closing = true;
    const deadline = Date.now() + graceMs;
    while (this.runningGenerates > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.sessions].map((s) => s.terminate()));
  }
}
