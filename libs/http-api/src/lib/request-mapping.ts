import {
  InvalidArgumentReason,
  lastUserContent,
  NotFoundReason,
  RelayError,
  type RelayRequest,
  type SamplingParams,
} from '@relayllm/relay-core';
import { MAX_CHOICES, type ChoicePlan } from './choices';
import { JsonFields, unsupported } from './json-fields';
import { toChatMessages } from './messages-mapping';

/** The two generation endpoints: `/v1/chat/completions` (a conversation) and `/v1/completions` (raw input). */
export type OpenAiEndpoint = 'chat' | 'completions';

/** Which name the caller gave the token budget: errors about it name that one. */
export type MaxTokensParam = 'max_tokens' | 'max_completion_tokens';

/** A generation request as the front door takes it (its choices, each a generation of its own: choices.ts), and how to answer it. */
export interface ParsedGeneration extends ChoicePlan {
  endpoint: OpenAiEndpoint;
  /** The model as the caller named it (echoed in responses). */
  model: string;
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk carries the usage. */
  includeUsage: boolean;
  maxTokensParam: MaxTokensParam;
}

/** What the host serves: the model id clients name, and the budget of a request that names none. */
export interface GenerationDefaults {
  modelId: string;
  defaultMaxTokens: number;
}

/** `relay_policy` values (lower case, as OpenAI names things) -> relay-core policies; others go on upper-cased and are refused there. */
const POLICY_FROM_WIRE: ReadonlyMap<string, string> = new Map([
  ['relay', 'RELAY'],
  ['slm_only', 'SLM_ONLY'],
  ['llm_only', 'LLM_ONLY'],
]);

/**
 * `POST /v1/chat/completions` body -> RelayRequest: `messages` become a
 * conversation the front door renders with the chat template; `prompt` is its
 * last user message (relay-core's rule for conversations).
 */
export function parseChatCompletion(body: unknown, generationId: string, defaults: GenerationDefaults): ParsedGeneration {
  const fields = JsonFields.ofBody(body);
  const common = commonParameters(fields, defaults, 'chat');
  const wireMessages = fields.array('messages');
  if (wireMessages === undefined) throw RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, 'messages is required', 'messages');
  const messages = toChatMessages(wireMessages);
  const request: RelayRequest = { ...common.request, generationId, prompt: lastUserContent(messages) ?? '', input: { kind: 'messages', messages } };
  return { ...common, endpoint: 'chat', request, prompts: [request.prompt], choices: common.choicesPerPrompt };
}

/** `POST /v1/completions` body -> RelayRequest: the prompt is raw input (no chat template, as OpenAI's completions). */
export function parseCompletion(body: unknown, generationId: string, defaults: GenerationDefaults): ParsedGeneration {
  const fields = JsonFields.ofBody(body);
  const common = commonParameters(fields, defaults, 'completions');
  if (fields.has('suffix') && fields.raw('suffix') !== '') throw unsupported('suffix', 'a suffix (insertion)');
  if (fields.boolean('echo') === true) throw unsupported('echo', 'echoing the prompt');
  if (fields.has('best_of') && fields.raw('best_of') !== 1) throw unsupported('best_of', 'best_of other than 1');
  const prompts = completionPrompts(fields);
  const choices = prompts.length * common.choicesPerPrompt;
  if (choices > MAX_CHOICES) {
    const asked = `${prompts.length} prompts × n ${common.choicesPerPrompt} = ${choices} choices`;
    throw RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, `${asked}; a request may ask for at most ${MAX_CHOICES}`, 'prompt');
  }
  const request: RelayRequest = { ...common.request, generationId, prompt: prompts[0], input: { kind: 'raw' } };
  return { ...common, endpoint: 'completions', request, prompts, choices };
}

/** A string, or a batch: a non-empty list of strings (OpenAI's choice order: each prompt's `n` choices in turn). Token-id prompts are not served. */
function completionPrompts(fields: JsonFields): string[] {
  const prompt = fields.raw('prompt');
  if (typeof prompt === 'string') return [prompt];
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((item) => typeof item === 'string')) return prompt as string[];
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((item) => typeof item === 'number' || Array.isArray(item))) {
    throw unsupported('prompt', 'a prompt of token ids');
  }
  throw RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, 'prompt must be a string or a non-empty list of strings', 'prompt');
}

type CommonParameters = Omit<ParsedGeneration, 'endpoint' | 'request' | 'prompts' | 'choices'> & { request: Omit<RelayRequest, 'generationId' | 'prompt'> };

function commonParameters(fields: JsonFields, defaults: GenerationDefaults, endpoint: OpenAiEndpoint): CommonParameters {
  const model = servedModel(fields, defaults.modelId);
  refuseUnsupported(fields, endpoint);
  const maxTokensParam: MaxTokensParam = endpoint === 'chat' && fields.has('max_completion_tokens') ? 'max_completion_tokens' : 'max_tokens';
  const request: Omit<RelayRequest, 'generationId' | 'prompt'> = { maxTokens: fields.number(maxTokensParam) ?? defaults.defaultMaxTokens };
  const sampling = samplingOf(fields);
  if (Object.keys(sampling).length > 0) request.sampling = sampling;
  const stop = fields.stringList('stop');
  if (stop !== undefined && stop.length > 0) request.stop = stop;
  const policy = fields.string('relay_policy');
  if (policy !== undefined) request.policy = POLICY_FROM_WIRE.get(policy.toLowerCase()) ?? policy.toUpperCase();
  Object.assign(request, relayLimits(fields.nested('relay_limits')));
  // A RelayLLM extension like relay_policy: the serving-time relay knob (range checked by relay-core).
  const callBias = fields.number('call_bias');
  if (callBias !== undefined) request.callBias = callBias;
  const floor = confidenceFloor(fields.nested('confidence_floor'));
  if (floor !== undefined) request.confidenceFloor = floor;
  fields.string('user'); // accepted, as OpenAI's end-user id; only its type is checked
  const stream = fields.boolean('stream') ?? false;
  const includeUsage = fields.nested('stream_options')?.boolean('include_usage') ?? false;
  return { model, stream, choicesPerPrompt: choiceCount(fields), includeUsage: stream && includeUsage, maxTokensParam, request };
}

/** `n`, an integer in [1, MAX_CHOICES]; 1 when unset or null (as OpenAI's clients send it). */
function choiceCount(fields: JsonFields): number {
  const n = fields.number('n') ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CHOICES) {
    throw RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, `n must be an integer in [1, ${MAX_CHOICES}], got ${n}`, 'n');
  }
  return n;
}

function servedModel(fields: JsonFields, modelId: string): string {
  const model = fields.string('model');
  if (model === undefined) throw RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, 'model is required', 'model');
  if (model !== modelId) {
    throw RelayError.notFound(NotFoundReason.MODEL_NOT_FOUND, `the model ${JSON.stringify(model)} does not exist; this server serves ${JSON.stringify(modelId)}`, { field: 'model' });
  }
  return model;
}

function samplingOf(fields: JsonFields): SamplingParams {
  const sampling: SamplingParams = {};
  const temperature = fields.number('temperature');
  const topP = fields.number('top_p');
  const seed = fields.number('seed');
  if (temperature !== undefined) sampling.temperature = temperature;
  if (topP !== undefined) sampling.topP = topP;
  if (seed !== undefined) sampling.seed = seed;
  return sampling;
}

/** The confidence_floor extension: the other serving-time relay knob (ranges checked by relay-core). */
function confidenceFloor(floor: JsonFields | undefined): RelayRequest['confidenceFloor'] {
  if (floor === undefined) return undefined;
  // First, so a misspelt `treshold` is named as such rather than as a missing threshold.
  floor.refuseUnknownMembers(['threshold', 'call_tokens']);
  const threshold = floor.number('threshold');
  if (threshold === undefined) {
    throw RelayError.invalidArgument(InvalidArgumentReason.CONFIDENCE_FLOOR_RANGE, 'confidence_floor.threshold is required', 'confidence_floor.threshold');
  }
  const callTokens = floor.number('call_tokens');
  return callTokens === undefined ? { threshold } : { threshold, callTokens };
}

function relayLimits(limits: JsonFields | undefined): Pick<RelayRequest, 'maxTurns' | 'maxLlmTokensPerCall' | 'maxLlmTokensTotal'> {
  if (limits === undefined) return {};
  limits.refuseUnknownMembers(['max_turns', 'max_llm_tokens_per_call', 'max_llm_tokens_total']);
  const result: Pick<RelayRequest, 'maxTurns' | 'maxLlmTokensPerCall' | 'maxLlmTokensTotal'> = {};
  const maxTurns = limits.number('max_turns');
  const perCall = limits.number('max_llm_tokens_per_call');
  const total = limits.number('max_llm_tokens_total');
  if (maxTurns !== undefined) result.maxTurns = maxTurns;
  if (perCall !== undefined) result.maxLlmTokensPerCall = perCall;
  if (total !== undefined) result.maxLlmTokensTotal = total;
  return result;
}

/**
 * Parameters with a meaning RelayLLM does not implement are refused unless set
 * to their no-op value; unknown ones are ignored, as OpenAI's clients send
 * parameters newer than this server. (RelayLLM's own extension objects refuse
 * unknown members: see JsonFields.refuseUnknownMembers.)
 */
function refuseUnsupported(fields: JsonFields, endpoint: OpenAiEndpoint): void {
  if (fields.has('logprobs') && fields.raw('logprobs') !== false && !(endpoint === 'completions' && fields.raw('logprobs') === 0)) {
    throw unsupported('logprobs', 'log probabilities');
  }
  if (fields.has('top_logprobs') && fields.raw('top_logprobs') !== 0) throw unsupported('top_logprobs', 'log probabilities');
  for (const penalty of ['presence_penalty', 'frequency_penalty']) {
    if (fields.has(penalty) && fields.raw(penalty) !== 0) throw unsupported(penalty, 'a repetition penalty');
  }
  const logitBias = fields.raw('logit_bias');
  if (typeof logitBias === 'object' && logitBias !== null && Object.keys(logitBias).length > 0) throw unsupported('logit_bias', 'a logit bias');
  for (const tools of ['tools', 'functions']) {
    const list = fields.raw(tools);
    if (Array.isArray(list) && list.length > 0) throw unsupported(tools, 'tool calling');
  }
  const format = fields.raw('response_format');
  if (typeof format === 'object' && format !== null && (format as { type?: unknown }).type !== 'text') {
    throw unsupported('response_format', 'structured output');
  }
}
