/**
 * Engine: the one contract for both models of the relay (the SLM that
 * decodes and the LLM that is called for n tokens). Adapters (llama.cpp,
 * OpenAI-compatible HTTP, a NATS worker proxy...) implement it; the relay
 * logic only ever talks to this interface.
 */

/** Why an engine stopped: its own EOS, its maxTokens, a stop string/token, or the abort signal. */
export type EngineFinish = 'eos' | 'length' | 'stop' | 'abort';

export interface SamplingParams {
  /** 0 = greedy. Left undefined, the engine's default applies. */
  temperature?: number;
  topP?: number;
  /** Fixed seed for reproducible sampling; undefined = engine chooses. */
  seed?: number;
}

/**
 * The full text the model continues. `text` is always present, so that an
 * engine that only speaks text (OpenAI-compatible) can serve any request.
 * `tokens` is present only when the id of every piece of the context is known
 * (prompt tokenized by the caller and every generated chunk reported ids);
 * ids are in the vocabulary of the models, which the relay assumes the SLM and
 * LLM share whenever both report ids (as in the paper's setup).
 */
export interface EngineContext {
  text: string;
  tokens?: readonly number[];
}

/**
 * Where the new part of an append-only context starts, in each form of the
 * context: `text` in UTF-16 code units, `tokens` in ids (present iff
 * `context.tokens` is).
 */
export interface AppendOffsets {
  text: number;
  tokens?: number;
}

export interface EngineRequest {
  /**
   * Stable for one model within one generation (e.g. `<generationId>/slm`), so
   * an engine can keep a KV cache / sequence per generation across turns.
   */
  sequenceId: string;
  /**
   * 0-based index of this request among its sequence's requests in the
   * generation. For the LLM it is the relay call's index (a remote LLM pool
   * echoes it, cancels by it and labels spans with it).
   */
  turn: number;
  /** The whole context, always; see EngineContext. */
  context: EngineContext;
  /**
   * true when `context` starts with the exact context of the previous request
   * made on this `sequenceId`; the part from `appendFrom` on is new (text the
   * engine generated itself and text written by the other model). An engine
   * that kept the sequence may then evaluate only the new part. It must still
   * not assume that all of its own previous output was accepted: the relay may
   * stop reading a stream early (e.g. right after a command), so the new part
   * can differ from what the engine produced after that point. When false (first
   * request, or the engine lost its state), evaluate `context` from scratch.
   */
  appendOnly: boolean;
  /** Set iff appendOnly. */
  appendFrom?: AppendOffsets;
  /** Upper bound on tokens to generate for this request (>= 1). */
  maxTokens: number;
  sampling: SamplingParams;
  /** Token ids that end generation (finish 'stop'); ignored by text-only engines. */
  stopTokens: readonly number[];
  /** Strings that end generation (finish 'stop'). */
  stop: readonly string[];
  /**
   * Token ids the engine must never sample (the relay bans the command tokens
   * for the LLM). Text-only engines cannot honour it; see the README.
   */
  bannedTokens: readonly number[];
  /**
   * A logit offset the engine adds to the token that opens a command in its
   * model's command syntax (the SLM's requests only; absent or 0: none).
   * Token syntax: the `<call>` control id. Text syntax: the first token of
   * `<call>` as the model's tokenizer writes it, alone and after a space
   * (` <call>`), since a BPE model opens a command mid-text with the
   * space-prefixed token. Engines that cannot bias tokens refuse a non-zero
   * value (FAILED_PRECONDITION CALL_BIAS_UNSUPPORTED) rather than ignore it.
   */
  callBias?: number;
  /**
   * The caller reads the probability of each token the engine writes (a
   * request's confidence floor, on the SLM's requests only): an engine that
   * reports probabilities only when asked (an OpenAI-compatible server's
   * `logprobs`) asks for them. Engines that always report them ignore it.
   * Absent: not needed.
   */
  reportProbabilities?: boolean;
  /**
   * When the generation's caller stops waiting (Unix ms; absent: no deadline
   * known): the earlier of the client's own deadline (gRPC) and the server's
   * request timeout, set by the front door for every request of the
   * generation. An engine that hands the work to another process must not
   * let it outlive this: a remote engine starts no attempt after it and
   * tells each worker the time left, so a worker whose cancel is lost stops
   * by itself. An in-process engine may ignore it: the relay aborts its
   * `signal` at the same moment.
   */
  deadlineAtMs?: number;
}

/**
 * One piece of streamed output.
 *
 * - Engines that know token ids report them in `tokens` and the decoded text in
 *   `text` (control tokens decode to their literal text, e.g. `<call>`). A
 *   chunk with more than one id must also give `tokenTexts` (one string per id,
 *   concatenating to `text`), because the relay has to cut text exactly at a
 *   command boundary; a multi-token chunk without it is rejected
 *   (ENGINE_PROTOCOL).
 * - Text-only engines leave `tokens` empty and report how many tokens the chunk
 *   stands for in `tokenCount`; when that is missing, a chunk with text counts
 *   as one token (OpenAI-compatible streams send one delta per token).
 * - The end-of-sequence token, if reported in `tokens`, is a signal, not
 *   response text: the relay does not count it.
 * - `finish` is set on the last chunk only (possibly a chunk with no text). A
 *   stream that ends without any `finish` is treated as having ended naturally.
 */
export interface EngineChunk {
  tokens: readonly number[];
  text: string;
  tokenTexts?: readonly string[];
  tokenCount?: number;
  finish?: EngineFinish;
  /**
   * Probability of each sampled token, when the engine reports it: parallel
   * to `tokens`; for a text-only chunk, one per token it stands for.
   */
  probabilities?: readonly number[];
}

export interface Engine {
  /** Loads the model / connects. Called once by the host before any generate. */
  start(): Promise<void>;
  /**
   * Streams the continuation of `request.context`. Must stop promptly (end the
   * iteration, or throw) once `signal` is aborted; the relay aborts it both on
   * cancellation and when it has read all it needs (e.g. after a command).
   */
  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk>;
  /**
   * The generation that owns `sequenceId` is over: drop what is kept for it
   * (a KV cache slot, a worker stream). Never throws; a no-op when nothing is
   * kept. Called by the host once per sequence when the generation ends.
   */
  release(sequenceId: string): void;
  /** Releases the model / connection. Idempotent: a second call is a no-op. */
  close(): Promise<void>;
}

/** The part of an append-only request's context that is new (whole context otherwise). */
export function newContextPart(request: EngineRequest): EngineContext {
  const { context, appendOnly, appendFrom } = request;
  if (!appendOnly || appendFrom === undefined) return context;
  const part: EngineContext = { text: context.text.slice(appendFrom.text) };
  if (context.tokens !== undefined && appendFrom.tokens !== undefined) {
    part.tokens = context.tokens.slice(appendFrom.tokens);
  }
  return part;
}

/**
 * The request as one for an engine that holds nothing of the sequence (a new
 * worker, a new stream): the same whole context, evaluated from scratch.
 */
export function freshRequest(request: EngineRequest): EngineRequest {
  if (!request.appendOnly && request.appendFrom === undefined) return request;
  const fresh: EngineRequest = { ...request, appendOnly: false };
  delete fresh.appendFrom;
  return fresh;
}

/** Tokens a chunk stands for: its ids, else its reported count, else 1 per non-empty text delta. */
export function chunkTokenCount(chunk: EngineChunk): number {
  if (chunk.tokens.length > 0) return chunk.tokens.length;
  if (chunk.tokenCount !== undefined) return chunk.tokenCount;
  return chunk.text === '' ? 0 : 1;
}
