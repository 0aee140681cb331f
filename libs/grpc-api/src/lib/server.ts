import { randomUUID } from 'node:crypto';
import {
  Server,
  ServerCredentials,
  type ServerOptions,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import {
  RELAY_SERVICE_NAME,
  type GenerateEvent,
  type GenerateResponse,
} from '@relayllm/proto';
import {
  InternalReason,
  RelayError,
  UnavailableReason,
  type CompletedEvent,
} from '@relayllm/relay-core';
import { HealthImplementation } from 'grpc-health-check';
import type { RelayServiceHandler } from '@relayllm/front-door';
import { grpcCaller } from './caller';
import { abortReason, callScope, drained, type ActiveCalls } from './call-scope';
import { addReflectionService, publicApiDescriptors } from './reflection';
import { RELAY_SERVICE_DEFINITION, wireRequestOf, type DecodedGenerateRequest, type RelayServiceImplementation } from './request-decoding';
import { toGrpcStatus } from './status';
import { toGenerateResponse, toRelayRequest, toWireEvent } from './wire-mapping';

export type RelayRpcMethod = 'Generate' | 'GenerateStream';

export interface RelayErrorContext {
  method: RelayRpcMethod;
  requestId: string;
  /** false when the error was not a RelayError (sent to the client as a bare INTERNAL). */
  expected: boolean;
}

export interface RelayServiceImplementationOptions {
  /** Id of a generation whose request_id is empty. Default: a random UUID. */
  newRequestId?: () => string;
  /**
   * Called with every error turned into a gRPC status, before it is sent (the
   * client only sees the status; log here). Default: unexpected errors
   * (not RelayError) are written to stderr.
   */
  onError?: (error: unknown, context: RelayErrorContext) => void;
}

export interface RelayGrpcServerOptions extends RelayServiceImplementationOptions {
  /** The front door (libs/front-door); the adapter holds no relay logic. */
  relay: RelayServiceHandler;
  /** Register grpc.health.v1.Health (default true). */
  health?: boolean;
  /** Register server reflection v1 and v1alpha over buf-compiled descriptors (default true). */
  reflection?: boolean;
  /** Options of the underlying @grpc/grpc-js Server (message sizes, keepalive...). */
  serverOptions?: ServerOptions;
}

export interface RelayGrpcServer {
  /** The underlying server, e.g. to add more services before `listen`. */
  readonly grpcServer: Server;
  /**
   * The health service (statuses of '' and 'relayllm.v1.RelayService':
   * NOT_SERVING until `listen`, SERVING after, NOT_SERVING again on `close`).
   * A host sets NOT_SERVING itself when its engines go down. Undefined when
   * `health: false`.
   */
  readonly health: HealthImplementation | undefined;
  /** Generations in flight. */
  readonly activeCalls: number;
  /** Binds (default '127.0.0.1:0', insecure) and resolves with the bound port. */
  listen(address?: string, credentials?: ServerCredentials): Promise<number>;
  /**
   * Stops accepting calls, waits up to `graceMs` (default 5000) for calls in
   * flight, then aborts their handlers' signals (SERVER_SHUTDOWN) and closes
   * every connection.
   */
  close(graceMs?: number): Promise<void>;
}

function defaultOnError(error: unknown, context: RelayErrorContext): void {
  if (context.expected) return;
  // Server-side log only: the client gets a bare INTERNAL.
  console.error(`[relayllm.grpc] ${context.method} ${context.requestId} failed:`, error);
}

/**
 * The RelayService implementation for an existing @grpc/grpc-js Server
 * (`server.addService(RELAY_SERVICE_DEFINITION, relayServiceImplementation(h))`).
 * `active` collects in-flight calls for forced shutdown.
 */
export function relayServiceImplementation(
  handler: RelayServiceHandler,
  options: RelayServiceImplementationOptions = {},
  active: ActiveCalls = new Set(),
): RelayServiceImplementation {
  const calls = new RelayServiceCalls(handler, options.newRequestId ?? randomUUID, options.onError ?? defaultOnError, active);
  return {
    generate: (call, callback) => void calls.generate(call, callback),
    generateStream: (call) => void calls.generateStream(call),
  };
}

/** The two RPCs over one handler: each runs the generation, maps events to the wire and errors to a status. */
class RelayServiceCalls {
  constructor(
    private readonly handler: RelayServiceHandler,
    private readonly newRequestId: () => string,
    private readonly onError: (error: unknown, context: RelayErrorContext) => void,
    private readonly active: ActiveCalls,
  ) {}

  async generate(call: ServerUnaryCall<DecodedGenerateRequest, GenerateResponse>, callback: sendUnaryData<GenerateResponse>): Promise<void> {
    const requestId = this.requestIdOf(call.request);
    const scope = callScope(call, this.active);
    try {
      let completed: CompletedEvent | undefined;
      const request = toRelayRequest(wireRequestOf(call.request), requestId);
      for await (const event of this.handler.generate(request, scope.signal, grpcCaller(call.metadata, scope.deadlineAtMs))) {
        if (event.type === 'completed') completed = event;
      }
      if (scope.signal.aborted) throw abortReason(scope.signal);
      if (completed === undefined) {
        throw RelayError.internal(InternalReason.HANDLER_NO_COMPLETION, 'the generation ended without completing');
      }
      callback(null, toGenerateResponse(completed, requestId));
    } catch (error) {
      callback(this.translate(scope.signal.aborted ? abortReason(scope.signal) : error, 'Generate', requestId));
    } finally {
      scope.dispose();
    }
  }

  async generateStream(call: ServerWritableStream<DecodedGenerateRequest, GenerateEvent>): Promise<void> {
    const requestId = this.requestIdOf(call.request);
    const scope = callScope(call, this.active);
    try {
      let completed = false;
      const request = toRelayRequest(wireRequestOf(call.request), requestId);
      for await (const event of this.handler.generate(request, scope.signal, grpcCaller(call.metadata, scope.deadlineAtMs))) {
        // Leaving the loop also closes the handler's iterator.
        if (scope.signal.aborted) break;
        if (!call.write(toWireEvent(event, requestId))) await drained(call, scope.signal);
        if (event.type === 'completed') {
          completed = true;
          break;
        }
      }
      if (scope.signal.aborted) throw abortReason(scope.signal);
      if (!completed) throw RelayError.internal(InternalReason.HANDLER_NO_COMPLETION, 'the generation ended without completing');
      call.end();
    } catch (error) {
      const status = this.translate(scope.signal.aborted ? abortReason(scope.signal) : error, 'GenerateStream', requestId);
      // A cancelled call has no one to tell; otherwise the status and its trailers end the stream.
      if (!call.cancelled) call.emit('error', status);
    } finally {
      scope.dispose();
    }
  }

  private requestIdOf(decoded: DecodedGenerateRequest): string {
    return decoded.invalid === undefined && decoded.request.requestId !== '' ? decoded.request.requestId : this.newRequestId();
  }

  private translate(error: unknown, method: RelayRpcMethod, requestId: string) {
    const { status, expected } = toGrpcStatus(error);
    try {
      this.onError(error, { method, requestId, expected });
    } catch {
      // A failing logger must not change what the client gets.
    }
    return status;
  }
}

/**
 * A @grpc/grpc-js server for relayllm.v1.RelayService around `options.relay`,
 * with the standard health service and server reflection. Call `listen()`.
 */
export function createRelayGrpcServer(options: RelayGrpcServerOptions): RelayGrpcServer {
  const grpcServer = new Server(options.serverOptions);
  const active: ActiveCalls = new Set();
  grpcServer.addService(RELAY_SERVICE_DEFINITION, relayServiceImplementation(options.relay, options, active));
  const health =
    options.health === false ? undefined : new HealthImplementation({ '': 'NOT_SERVING', [RELAY_SERVICE_NAME]: 'NOT_SERVING' });
  health?.addToServer(grpcServer);
  if (options.reflection !== false) addReflectionService(grpcServer, publicApiDescriptors({ health: health !== undefined }));
  const setServing = (status: 'SERVING' | 'NOT_SERVING'): void => {
    health?.setStatus('', status);
    health?.setStatus(RELAY_SERVICE_NAME, status);
  };

  return {
    grpcServer,
    health,
    get activeCalls() {
      return active.size;
    },
    listen(address = '127.0.0.1:0', credentials = ServerCredentials.createInsecure()) {
      return new Promise<number>((resolve, reject) => {
        grpcServer.bindAsync(address, credentials, (error, port) => {
          if (error !== null) {
            reject(error);
            return;
          }
          setServing('SERVING');
          resolve(port);
        });
      });
    },
    close(graceMs = 5000) {
      setServing('NOT_SERVING');
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          const reason = RelayError.unavailable(UnavailableReason.SERVER_SHUTDOWN, 'the server is shutting down');
          for (const controller of active) controller.abort(reason);
          grpcServer.forceShutdown();
          resolve();
        }, graceMs);
        grpcServer.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
