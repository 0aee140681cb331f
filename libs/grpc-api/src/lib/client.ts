import { ChannelCredentials, Metadata, type CallOptions, type ClientOptions, type ClientReadableStream } from '@grpc/grpc-js';
import {
  GenerateRequest,
  RelayServiceClient,
  type DeepPartial,
  type GenerateEvent,
  type GenerateResponse,
} from '@relayllm/proto';

/** A request as plain data: every field optional (proto defaults fill the rest). */
export type GenerateRequestInit = DeepPartial<GenerateRequest>;

export interface RelayClientOptions {
  /** Default: insecure (plaintext), for loopback / in-cluster use. */
  credentials?: ChannelCredentials;
  /** @grpc/grpc-js channel options. */
  channelOptions?: Partial<ClientOptions>;
}

export interface RelayCallOptions {
  /** Relative deadline in milliseconds (the server aborts the generation when it passes). */
  timeoutMs?: number;
  /** Absolute deadline; wins over timeoutMs. */
  deadline?: Date;
  /** Aborting it cancels the call (the server aborts the generation). */
  signal?: AbortSignal;
  metadata?: Metadata;
}

export interface RelayClient {
  /** The ts-proto generated @grpc/grpc-js client (callback API). */
  readonly grpc: RelayServiceClient;
  /**
   * Unary Generate. Rejects with the @grpc/grpc-js ServiceError (code,
   * details, trailing metadata); `relayErrorFromServiceError` turns it into a
   * RelayError.
   */
  generate(request: GenerateRequestInit, options?: RelayCallOptions): Promise<GenerateResponse>;
  /**
   * GenerateStream: the call is an object-mode Readable, so
   * `for await (const event of client.generateStream(req))` works; iteration
   * throws the ServiceError of a failed call. `call.cancel()` cancels.
   */
  generateStream(request: GenerateRequestInit, options?: RelayCallOptions): ClientReadableStream<GenerateEvent>;
  /** Resolves once the channel is connected (rejects after timeoutMs, default 5000). */
  waitForReady(timeoutMs?: number): Promise<void>;
  close(): void;
}

function callOptions(options: RelayCallOptions): Partial<CallOptions> {
  if (options.deadline !== undefined) return { deadline: options.deadline };
  if (options.timeoutMs !== undefined) return { deadline: new Date(Date.now() + options.timeoutMs) };
  return {};
}

/** Cancels `call` when `signal` aborts; returns the cleanup. */
function linkSignal(call: { cancel(): void }, signal: AbortSignal | undefined): () => void {
  if (signal === undefined) return () => undefined;
  const cancel = (): void => call.cancel();
  if (signal.aborted) {
    // After the call object exists, so that the cancellation reaches it.
    queueMicrotask(cancel);
    return () => undefined;
  }
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}

/** A typed client of relayllm.v1.RelayService at `address` (host:port). */
export function createRelayClient(address: string, options: RelayClientOptions = {}): RelayClient {
  const grpc = new RelayServiceClient(address, options.credentials ?? ChannelCredentials.createInsecure(), options.channelOptions);
  return {
    grpc,
    generate(request, callOpts = {}) {
      return new Promise<GenerateResponse>((resolve, reject) => {
        let unlink = (): void => undefined;
        const call = grpc.generate(
          GenerateRequest.fromPartial(request),
          callOpts.metadata ?? new Metadata(),
          callOptions(callOpts),
          (error, response) => {
            unlink();
            if (error !== null) reject(error);
            else resolve(response);
          },
        );
        unlink = linkSignal(call, callOpts.signal);
      });
    },
    generateStream(request, callOpts = {}) {
      const call = grpc.generateStream(GenerateRequest.fromPartial(request), callOpts.metadata ?? new Metadata(), callOptions(callOpts));
      const unlink = linkSignal(call, callOpts.signal);
      call.once('close', unlink);
      return call;
    },
    waitForReady(timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        grpc.waitForReady(new Date(Date.now() + timeoutMs), (error) => (error === undefined ? resolve() : reject(error)));
      });
    },
    close() {
      grpc.close();
    },
  };
}
