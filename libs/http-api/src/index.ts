// The OpenAI-compatible HTTP API over the front door, and the playground page.
export { DEFAULT_MODEL_ID, RelayHttpApi, type HttpErrorContext, type RelayHttpApiOptions } from './lib/relay-http-api';
export { httpCaller, presentedApiKey, type ApiKeyVerifier } from './lib/caller';
export { JSON_HEADERS, SSE_HEADERS, type HttpRequestView, type HttpResponder, type HttpRoute } from './lib/http-exchange';
export { fastifyRequestView, fastifyResponder, relayHttpPlugin, type RelayHttpPluginOptions } from './lib/fastify-plugin';
export { closeRelayHttp, createRelayHttpServer, HTTP_BODY_LIMIT_BYTES, type RelayHttpServer } from './lib/http-server';
export { HTTP_STATUS_BY_KIND, openAiParam, toHttpError, type ErrorRequestContext, type HttpError } from './lib/error-mapping';
export { parseChatCompletion, parseCompletion, type GenerationDefaults, type MaxTokensParam, type OpenAiEndpoint, type ParsedGeneration } from './lib/request-mapping';
export { ChunkStream, openAiFinishReason, sseData, SSE_DONE, toChatCompletion, toTextCompletion, toWireUsage, type ResponseIdentity } from './lib/response-mapping';
export { toWireModel } from './lib/models-listing';
export { PLAYGROUND_HEADERS, playgroundPage, type PlaygroundOptions } from './lib/playground/playground-page';
export type * from './lib/openai-wire';
export { REFERENCE_DEMO_PROMPT, REFERENCE_PLAYGROUND_EXAMPLES } from './lib/playground/reference-examples';
