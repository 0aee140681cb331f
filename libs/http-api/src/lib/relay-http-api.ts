import { randomUUID } from 'node:crypto';
import type { RelayServiceHandler } from '@relayllm/front-door';
import { CancelledReason, NotFoundReason, RelayError, UnavailableReason, type RelayModels } from '@relayllm/relay-core';
import { httpCaller, type ApiKeyVerifier } from './caller';
import { toHttpError, type ErrorRequestContext } from './error-mapping';
import { abortReason, GenerationResponse } from './generation-response';
import { sendJson, type HttpRequestView, type HttpResponder, type HttpRoute } from './http-exchange';
import { toWireModel } from './models-listing';
import { playgroundPage, PLAYGROUND_HEADERS, type PlaygroundOptions } from './playground/playground-page';
import { parseChatCompletion, parseCompletion, type GenerationDefaults, type OpenAiEndpoint, type ParsedGeneration } from './request-mapping';

/** The model id clients name when the host sets none. */
export const DEFAULT_MODEL_ID = 'relayllm';

export interface HttpErrorContext {
  route: string;
  requestId: string | undefined;
  /** false when the error was not a RelayError (sent as a bare 500). */
  expected: boolean;
}

export interface RelayHttpApiOptions {
  /** The front door (libs/front-door); the adapter holds no relay logic. */
  relay: RelayServiceHandler;
  /** The pair as the front door serves it (`GET /v1/models`); may fail (e.g. not yet described: 503). */
  models: () => RelayModels | Promise<RelayModels>;
  /** The token budget of a request that sets none. */
  defaultMaxTokens: number;
  /** The model id clients name (default `relayllm`). */
  modelId?: string;
  /** The server's API keys; undefined: no key is asked for (one shared tenant). */
  apiKeys?: ApiKeyVerifier;
  /** Id of a generation without an `x-request-id` header. Default: a random UUID. */
  newRequestId?: () => string;
  /** Told every error turned into a response (the client only sees the body). Default: unexpected ones to stderr. */
  onError?: (error: unknown, context: HttpErrorContext) => void;
  /** Unix time in ms (the `created` fields). Default Date.now. */
  now?: () => number;
  playground?: PlaygroundOptions;
}

function defaultOnError(error: unknown, context: HttpErrorContext): void {
  if (context.expected) return;
  console.error(`[relayllm.http] ${context.route} ${context.requestId ?? ''} failed:`, error);
}

/**
 * The OpenAI-compatible HTTP API over one front door, as framework-free route
 * handlers (`routes`): chat completions, completions, models, health and the
 * playground page. A host registers them (fastify-plugin.ts) and, on shutdown,
 * stops them (`stopServing`, then `abortAll` after its grace period).
 */
export class RelayHttpApi {
  readonly modelId: string;
  private readonly active = new Set<AbortController>();
  private readonly startedSeconds: number;
  private serving = true;
  private readonly page: string;

  constructor(private readonly options: RelayHttpApiOptions) {
    this.modelId = options.modelId ?? DEFAULT_MODEL_ID;
    this.startedSeconds = Math.floor(this.now() / 1000);
    this.page = playgroundPage({ modelId: this.modelId, defaultMaxTokens: options.defaultMaxTokens, ...options.playground });
  }

  /** Generations in flight. */
  get activeGenerations(): number {
    return this.active.size;
  }

  get routes(): readonly HttpRoute[] {
    return [
      { method: 'POST', path: '/v1/chat/completions', handle: (req, res) => this.generation(req, res, 'chat') },
      { method: 'POST', path: '/v1/completions', handle: (req, res) => this.generation(req, res, 'completions') },
      { method: 'GET', path: '/v1/models', handle: (req, res) => this.listModels(req, res) },
      { method: 'GET', path: '/v1/models/:model', handle: (req, res) => this.retrieveModel(req, res) },
      { method: 'GET', path: '/health', handle: async (_req, res) => this.health(res) },
      { method: 'GET', path: '/', handle: async (_req, res) => res.send(200, PLAYGROUND_HEADERS, this.page) },
    ];
  }

  /** Any method and path no route has: OpenAI's 404 body. */
  async notFound(request: HttpRequestView, response: HttpResponder): Promise<void> {
    this.sendError(response, RelayError.notFound(NotFoundReason.ROUTE_NOT_FOUND, `no route for ${request.method} ${request.path}`), request.path);
  }

  /** An error raised by the host before a route ran (a body that is not JSON, too large): OpenAI's body with its status. */
  sendError(response: HttpResponder, error: unknown, route: string, context?: ErrorRequestContext, status?: number): void {
    const http = toHttpError(error, context);
    this.report(error, { route, requestId: undefined, expected: http.expected });
    sendJson(response, status ?? http.status, http.body, http.headers);
  }

  /** `/health` answers 503 from now on (load balancers stop sending), generations in flight go on. */
  stopServing(): void {
    this.serving = false;
  }

  /** Stops every generation in flight (forced shutdown): each answers, or ends its stream, with `reason`. */
  abortAll(reason: RelayError = RelayError.unavailable(UnavailableReason.SERVER_SHUTDOWN, 'the server is shutting down')): void {
    for (const controller of this.active) controller.abort(reason);
  }

  private async generation(request: HttpRequestView, response: HttpResponder, endpoint: OpenAiEndpoint): Promise<void> {
    const requestId = request.header('x-request-id') ?? (this.options.newRequestId ?? randomUUID)();
    const controller = new AbortController();
    const onDisconnect = (): void => controller.abort(RelayError.cancelled(CancelledReason.CLIENT_CANCELLED, 'the client closed the connection'));
    response.disconnected.addEventListener('abort', onDisconnect, { once: true });
    if (response.disconnected.aborted) onDisconnect();
    this.active.add(controller);
    let parsed: ParsedGeneration | undefined;
    let writer: GenerationResponse | undefined;
    const headers = { 'x-request-id': requestId };
    try {
      const caller = httpCaller(request, this.options.apiKeys);
      parsed = this.parse(endpoint, request.body, requestId);
      const identity = { id: `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-${requestId}`, created: Math.floor(this.now() / 1000), model: parsed.model };
      writer = new GenerationResponse(response, parsed, identity, headers);
      await writer.write((choice, signal) => this.options.relay.generate(choice, signal, caller), controller.signal);
    } catch (caught) {
      const error = controller.signal.aborted ? abortReason(controller.signal) : caught;
      const http = toHttpError(error, parsed && { endpoint, maxTokensParam: parsed.maxTokensParam });
      this.report(caught, { route: request.path, requestId, expected: http.expected });
      if (writer !== undefined) await writer.fail(http.status, http.headers, http.body);
      else if (!response.disconnected.aborted) sendJson(response, http.status, http.body, { ...http.headers, ...headers });
    } finally {
      response.disconnected.removeEventListener('abort', onDisconnect);
      this.active.delete(controller);
    }
  }

  private parse(endpoint: OpenAiEndpoint, body: unknown, requestId: string): ParsedGeneration {
    const defaults: GenerationDefaults = { modelId: this.modelId, defaultMaxTokens: this.options.defaultMaxTokens };
    return endpoint === 'chat' ? parseChatCompletion(body, requestId, defaults) : parseCompletion(body, requestId, defaults);
  }

  private async listModels(request: HttpRequestView, response: HttpResponder): Promise<void> {
    try {
      httpCaller(request, this.options.apiKeys);
      sendJson(response, 200, { object: 'list', data: [toWireModel(this.modelId, await this.options.models(), this.startedSeconds)] });
    } catch (error) {
      this.sendError(response, error, request.path);
    }
  }

  private async retrieveModel(request: HttpRequestView, response: HttpResponder): Promise<void> {
    try {
      httpCaller(request, this.options.apiKeys);
      const id = decodeURIComponent(request.path.slice('/v1/models/'.length));
      if (id !== this.modelId) throw RelayError.notFound(NotFoundReason.MODEL_NOT_FOUND, `the model ${JSON.stringify(id)} does not exist`, { field: 'model' });
      sendJson(response, 200, toWireModel(this.modelId, await this.options.models(), this.startedSeconds));
    } catch (error) {
      this.sendError(response, error, request.path);
    }
  }

  private health(response: HttpResponder): void {
    sendJson(response, this.serving ? 200 : 503, { status: this.serving ? 'serving' : 'not_serving', generations: this.active.size });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private report(error: unknown, context: HttpErrorContext): void {
    try {
      (this.options.onError ?? defaultOnError)(error, context);
    } catch {
      // A failing logger must not change what the client gets.
    }
  }
}
