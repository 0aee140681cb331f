import { RelayError } from '../errors/relay-error';
import type { SamplingParams } from '../ports/engine';
import { CHAT_ROLES, lastUserContent, type ChatMessage } from '../protocol/chat-format';
import { commandTokenIds, type CommandSyntax } from '../protocol/model-profile';
import { CALL_CLOSE_TEXT, CALL_OPEN_TEXT } from '../protocol/vocabulary';
import { InvalidArgumentReason } from '../errors/reasons';
import { validateCallBias } from './call-bias';
import { validateConfidenceFloor, type ConfidenceFloor, type ConfidenceFloorRequest } from './confidence-floor';

/**
 * RELAY: the SLM decodes and may call the LLM. SLM_ONLY: the SLM alone, its
 * commands never call (they are still stripped from the answer). LLM_ONLY: the
 * LLM writes the whole answer (the cost ceiling baseline).
 */
export const RELAY_POLICIES = ['RELAY', 'SLM_ONLY', 'LLM_ONLY'] as const;
export type RelayPolicy = (typeof RELAY_POLICIES)[number];

/**
 * What a request's `prompt` is, hence how the front door frames it for the
 * models (once, with the deployment's chat format):
 * - `question` (the default): one user question (gRPC, the CLI, eval);
 * - `messages`: a conversation (OpenAI's chat completions), rendered whole;
 *   `prompt` is then its last user message (what a format that frames one
 *   question frames, what logs and the prompt-length limit see);
 * - `raw`: model input as the caller wrote it, markers included, never framed
 *   (OpenAI's completions).
 */
export type PromptInput = { kind: 'question' } | { kind: 'messages'; messages: readonly ChatMessage[] } | { kind: 'raw' };

/** What a caller asks for. Numbers arrive unchecked from transports, hence validation. */
export interface RelayRequest {
  /** Unique per generation; engines key their sequences / KV caches on it. */
  generationId: string;
  prompt: string;
  /** What `prompt` is (see PromptInput); absent: a question. */
  input?: PromptInput;
  /**
   * The prompt's ids in the SLM's vocabulary, user text tokenized as plain text
   * (control tokens must not be parsed out of it). Optional: without it
   * engines receive text only.
   */
  promptTokens?: readonly number[];
  /** A string because transports deliver one; checked against RELAY_POLICIES. Default RELAY. */
  policy?: string;
  /** Response token budget: SLM tokens (command tokens included) + LLM tokens. */
  maxTokens: number;
  /** SLM turns; the SLM may make at most maxTurns - 1 calls. Default 5. */
  maxTurns?: number;
  /** Cap on n for one call. Default DEFAULT_MAX_LLM_TOKENS_PER_CALL. */
  maxLlmTokensPerCall?: number;
  /** Cap on LLM tokens over the whole generation. Default: no cap beyond maxTokens. */
  maxLlmTokensTotal?: number;
  sampling?: SamplingParams;
  /** Stop strings, passed to both engines. */
  stop?: readonly string[];
  /**
   * Logit offset on the SLM's command-opening token (see EngineRequest.callBias):
   * > 0 calls the LLM more often, < 0 less. In [-CALL_BIAS_LIMIT, CALL_BIAS_LIMIT]; default 0.
   */
  callBias?: number;
  /** Calls the LLM where the SLM is unsure (see ConfidenceFloor); absent: only the SLM's commands call. */
  confidenceFloor?: ConfidenceFloorRequest;
}

/** Operator-side bounds on requests, and what a request that names no turn count or floor gets. */
export interface RelayServerLimits {
  maxPromptChars: number;
  maxTokensCeiling: number;
  maxTurnsCeiling: number;
  maxStopStrings: number;
  maxStopStringChars: number;
  /** maxTurns of a request that names none: DEFAULT_MAX_TURNS (the paper's 5) unless the operator chose another. */
  defaultMaxTurns: number;
  /** The floor of a request that names none; absent: none. A request's own floor (threshold 0: none) wins. */
  defaultConfidenceFloor?: ConfidenceFloor;
}

export const DEFAULT_SERVER_LIMITS: RelayServerLimits = {
  maxPromptChars: 128_000,
  maxTokensCeiling: 32_768,
  maxTurnsCeiling: 64,
  maxStopStrings: 4,
  maxStopStringChars: 64,
  defaultMaxTurns: 5,
};

export const DEFAULT_MAX_TURNS = DEFAULT_SERVER_LIMITS.defaultMaxTurns;
export const DEFAULT_MAX_LLM_TOKENS_PER_CALL = 256;

export interface RelayLimits {
  maxTokens: number;
  maxTurns: number;
  maxLlmTokensPerCall: number;
  maxLlmTokensTotal: number;
}

/** A request that passed validation, with every default filled in. */
export interface ValidatedRelayRequest {
  generationId: string;
  prompt: string;
  promptTokens?: readonly number[];
  policy: RelayPolicy;
  limits: RelayLimits;
  sampling: SamplingParams;
  stop: readonly string[];
  /** 0 = no bias (the SLM's requests then carry none). */
  callBias: number;
  /** Absent: no floor (threshold 0 is normalised away). */
  confidenceFloor?: ConfidenceFloor;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function intInRange(value: unknown, min: number, max: number, reason: InvalidArgumentReason, field: string): number {
  if (!isInt(value) || value < min || value > max) {
    throw RelayError.invalidArgument(reason, `${field} must be an integer in [${min}, ${max}], got ${String(value)}`, field);
  }
  return value;
}

export function isRelayPolicy(value: unknown): value is RelayPolicy {
  return typeof value === 'string' && (RELAY_POLICIES as readonly string[]).includes(value);
}

function validateSampling(sampling: SamplingParams | undefined): SamplingParams {
  const result: SamplingParams = {};
  if (sampling === undefined) return result;
  const { temperature, topP, seed } = sampling;
  if (temperature !== undefined) {
    if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0 || temperature > 2) {
      throw RelayError.invalidArgument(InvalidArgumentReason.TEMPERATURE_RANGE, 'temperature must be in [0, 2]', 'sampling.temperature');
    }
    result.temperature = temperature;
  }
  if (topP !== undefined) {
    if (typeof topP !== 'number' || !Number.isFinite(topP) || topP <= 0 || topP > 1) {
      throw RelayError.invalidArgument(InvalidArgumentReason.TOP_P_RANGE, 'topP must be in (0, 1]', 'sampling.topP');
    }
    result.topP = topP;
  }
  if (seed !== undefined) {
    result.seed = intInRange(seed, 0, 0xffff_ffff, InvalidArgumentReason.SEED_RANGE, 'sampling.seed');
  }
  return result;
}

function validateStop(stop: readonly string[] | undefined, server: RelayServerLimits): readonly string[] {
  if (stop === undefined) return [];
  const bad = (message: string): RelayError => RelayError.invalidArgument(InvalidArgumentReason.STOP_INVALID, message, 'stop');
  if (!Array.isArray(stop) || stop.length > server.maxStopStrings) {
    throw bad(`stop must be a list of at most ${server.maxStopStrings} strings`);
  }
  for (const s of stop) {
    if (typeof s !== 'string' || s === '' || s.length > server.maxStopStringChars) {
      throw bad(`each stop string must have 1..${server.maxStopStringChars} characters`);
    }
    // A stop string made of command text would end the generation on the SLM's
    // own command instead of relaying it.
    if (s.includes(CALL_OPEN_TEXT) || s.includes(CALL_CLOSE_TEXT)) throw bad('stop strings must not contain command markers');
  }
  return [...stop];
}

/** Prompt ids, when given: non-negative integers and never one of the SLM's command tokens (token syntax). */
function validatePromptTokens(promptTokens: readonly number[] | undefined, syntax: CommandSyntax): void {
  if (promptTokens === undefined) return;
  if (!promptTokens.every((id) => isInt(id) && id >= 0)) {
    throw RelayError.invalidArgument(InvalidArgumentReason.PROMPT_TOKENS_INVALID, 'promptTokens must be non-negative integers', 'promptTokens');
  }
  const controlIds = commandTokenIds(syntax);
  if (promptTokens.some((id) => controlIds.includes(id))) {
    // Command tokens in the prompt would mean user text was tokenized with
    // control tokens parsed: the LLM must never see them.
    throw RelayError.invalidArgument(InvalidArgumentReason.PROMPT_CONTROL_TOKEN,
      'promptTokens must not contain command control tokens',
      'promptTokens',
    );
  }
}

/**
 * A conversation: a non-empty list of known roles with string contents, at
 * least one user message, which `prompt` repeats, and all of it within the
 * prompt-length limit.
 */
function validateMessages(messages: unknown, prompt: string, server: RelayServerLimits): void {
  const bad = (message: string, field: string): RelayError => RelayError.invalidArgument(InvalidArgumentReason.MESSAGES_INVALID, message, field);
  if (!Array.isArray(messages) || messages.length === 0) throw bad('messages must be a non-empty list', 'messages');
  let chars = 0;
  messages.forEach((message: Partial<ChatMessage> | null, i) => {
    if (typeof message !== 'object' || message === null) throw bad(`messages[${i}] must be an object`, `messages[${i}]`);
    if (!(CHAT_ROLES as readonly unknown[]).includes(message.role)) {
      throw bad(`messages[${i}].role must be one of ${CHAT_ROLES.join(', ')}, got ${String(message.role)}`, `messages[${i}].role`);
    }
    if (typeof message.content !== 'string') throw bad(`messages[${i}].content must be a string`, `messages[${i}].content`);
    chars += message.content.length;
  });
  const last = lastUserContent(messages as ChatMessage[]);
  if (last === undefined) throw bad('messages must contain a user message', 'messages');
  if (last !== prompt) throw bad("prompt must be the conversation's last user message", 'prompt');
  if (chars > server.maxPromptChars) {
    throw RelayError.invalidArgument(InvalidArgumentReason.PROMPT_TOO_LONG, `messages have ${chars} characters, the limit is ${server.maxPromptChars}`, 'messages');
  }
}

function validateInput(input: PromptInput | undefined, prompt: string, server: RelayServerLimits): void {
  if (input === undefined || input.kind === 'question' || input.kind === 'raw') return;
  if (input.kind === 'messages') {
    validateMessages(input.messages, prompt, server);
    return;
  }
  // Only a transport that casts can get here: the type is closed.
  throw RelayError.invalidArgument(InvalidArgumentReason.PROMPT_INPUT_INVALID, `unknown input kind ${String((input as { kind?: unknown }).kind)}`, 'input');
}

/**
 * Checks a request and fills in defaults. Throws RelayError (invalid_argument,
 * with `field` and a reason) on the first problem found. `slmSyntax`: the
 * SLM's command syntax (its command ids must not be in `promptTokens`).
 */
export function validateRelayRequest(
  request: RelayRequest,
  slmSyntax: CommandSyntax,
  server: RelayServerLimits = DEFAULT_SERVER_LIMITS,
): ValidatedRelayRequest {
  if (typeof request.generationId !== 'string' || request.generationId === '' || request.generationId.length > 256) {
    throw RelayError.invalidArgument(InvalidArgumentReason.GENERATION_ID_INVALID, 'generationId must be 1..256 characters', 'generationId');
  }
  // A conversation's prompt is its last user message: the conversation is checked first, so its errors name it.
  validateInput(request.input, request.prompt, server);
  if (typeof request.prompt !== 'string' || request.prompt === '') {
    throw RelayError.invalidArgument(InvalidArgumentReason.PROMPT_EMPTY, 'prompt must not be empty', 'prompt');
  }
  if (request.prompt.length > server.maxPromptChars) {
    throw RelayError.invalidArgument(InvalidArgumentReason.PROMPT_TOO_LONG,
      `prompt has ${request.prompt.length} characters, the limit is ${server.maxPromptChars}`,
      'prompt',
    );
  }
  validatePromptTokens(request.promptTokens, slmSyntax);
  const policy = request.policy ?? 'RELAY';
  if (!isRelayPolicy(policy)) {
    throw RelayError.invalidArgument(InvalidArgumentReason.UNKNOWN_POLICY, `unknown policy ${String(policy)}`, 'policy');
  }
  const maxTokens = intInRange(request.maxTokens, 1, server.maxTokensCeiling, InvalidArgumentReason.MAX_TOKENS_RANGE, 'maxTokens');
  const limits: RelayLimits = {
    maxTokens,
    maxTurns: intInRange(request.maxTurns ?? server.defaultMaxTurns, 1, server.maxTurnsCeiling, InvalidArgumentReason.MAX_TURNS_RANGE, 'maxTurns'),
    maxLlmTokensPerCall: intInRange(
      request.maxLlmTokensPerCall ?? DEFAULT_MAX_LLM_TOKENS_PER_CALL,
      0,
      server.maxTokensCeiling,
      InvalidArgumentReason.LLM_TOKENS_PER_CALL_RANGE,
      'maxLlmTokensPerCall',
    ),
    maxLlmTokensTotal: intInRange(
      request.maxLlmTokensTotal ?? maxTokens,
      0,
      server.maxTokensCeiling,
      InvalidArgumentReason.LLM_TOKENS_TOTAL_RANGE,
      'maxLlmTokensTotal',
    ),
  };
  const validated: ValidatedRelayRequest = {
    generationId: request.generationId,
    prompt: request.prompt,
    policy,
    limits,
    sampling: validateSampling(request.sampling),
    stop: validateStop(request.stop, server),
    callBias: validateCallBias(request.callBias),
  };
  if (request.promptTokens !== undefined) validated.promptTokens = [...request.promptTokens];
  const floor = request.confidenceFloor === undefined ? server.defaultConfidenceFloor : validateConfidenceFloor(request.confidenceFloor);
  if (floor !== undefined) validated.confidenceFloor = floor;
  return validated;
}
