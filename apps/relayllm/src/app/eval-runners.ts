import { createRelayClient, relayErrorFromServiceError, type RelayClient } from '@relayllm/grpc-api';
import {
  BannedCommandsEngine,
  FixedGrantEngine,
  HiddenCommandsEngine,
  PrefillMeterEngine,
  UncertaintyTriggerEngine,
  isTriggerPolicy,
  withoutInjectedCommands,
  type ItemOutcome,
  type ItemPlan,
  type ItemRunner,
  type PolicySpec,
} from '@relayllm/eval';
import { FinishReason, Policy, type GenerateResponse } from '@relayllm/proto';
import {
  InternalReason,
  DEFAULT_MAX_LLM_TOKENS_PER_CALL,
  DEFAULT_MAX_TURNS,
  DEFAULT_SERVER_LIMITS,
  RelayError,
  sequenceIdOf,
  type ConfidenceFloor,
  type Engine,
  type RelayRequest,
  type RelayUsage,
} from '@relayllm/relay-core';
import { ANONYMOUS_KEY_ID } from '@relayllm/front-door';
import { tenantGenerationId } from '@relayllm/relay-cluster';
import type { RelayllmConfig } from './config';
import type { EmbeddedEngines } from './embedded-engines';
import { createEmbeddedRelay, type EmbeddedRequestSettings } from './embedded-host';

/** Per-policy request options: relay limits and the serving-time knobs (the same for embedded and --target runs). */
export interface PolicyLimits {
  maxTurns?: number;
  maxLlmTokensPerCall?: number;
  callBias?: number;
  confidenceFloor?: ConfidenceFloor;
}

/**
 * uncertainty and relay-floor may call on any token: as many turns as the
 * server allows; relay-floor is the request's confidence floor. fixed: the
 * per-call cap must not cut K.
 */
export function policyLimits(spec: PolicySpec): PolicyLimits {
  const maxTurns = DEFAULT_SERVER_LIMITS.maxTurnsCeiling;
  if (spec.name === 'relay-floor') return { maxTurns, confidenceFloor: { threshold: spec.threshold ?? 0, callTokens: spec.k ?? 1 } };
  if (isTriggerPolicy(spec.name)) return { maxTurns };
  if (spec.name === 'fixed') return { maxLlmTokensPerCall: Math.max(spec.k ?? 0, DEFAULT_MAX_LLM_TOKENS_PER_CALL) };
  // Sent only when given (0 included): the request is then exactly the one the flags asked for.
  return {
    ...(spec.callBias === undefined ? {} : { callBias: spec.callBias }),
    ...(spec.maxTurns === undefined ? {} : { maxTurns: spec.maxTurns }),
    ...(spec.maxLlmTokensPerCall === undefined ? {} : { maxLlmTokensPerCall: spec.maxLlmTokensPerCall }),
  };
}

export function relayRequest(question: string, plan: ItemPlan, limits: PolicyLimits): RelayRequest {
  return {
    generationId: plan.generationId,
    prompt: question,
    policy: plan.policy,
    maxTokens: plan.maxTokens,
    sampling: { temperature: plan.temperature, seed: plan.seed },
    ...limits,
  };
}

export function usageResult(usage: RelayUsage): Pick<ItemOutcome, 'usage' | 'calls'> {
  return {
    usage: {
      slm_tokens: usage.slmTokens,
      llm_tokens: usage.llmTokens,
      response_tokens: usage.responseTokens,
      calls: usage.calls,
      llm_token_ratio: usage.llmTokenRatio,
      malformed_commands: usage.malformedCommands,
      no_call_commands: usage.noCallCommands,
    },
    calls: usage.callRecords.map((c) => ({
      requested_n: c.requestedN,
      granted_n: c.grantedN,
      tokens_written: c.tokensWritten,
      response_token_start: c.responseTokenStart,
      response_token_end: c.responseTokenEnd,
    })),
  };
}

/** The SLM engine as the policy wants it (trigger, grant override, bans, hidden commands), or the engine itself. */
export function policySlm(spec: PolicySpec, slm: Engine): Engine {
  switch (spec.name) {
    case 'relay':
      return spec.hideCommands === true ? new HiddenCommandsEngine(slm) : slm;
    case 'teacher-free':
      return new BannedCommandsEngine(slm);
    case 'fixed':
      return new FixedGrantEngine(slm, spec.k ?? 0);
    case 'uncertainty':
      return new UncertaintyTriggerEngine(slm, {
        threshold: spec.threshold ?? 0,
        k: spec.k ?? 1,
        entropy: spec.entropy === true,
        maxCalls: DEFAULT_SERVER_LIMITS.maxTurnsCeiling - 1,
      });
    default:
      return slm;
  }
}

/**
 * The embedded relay's settings for eval: an eval request is what its policy
 * says, so the operator's request defaults (RELAYLLM_DEFAULT_MAX_TURNS,
 * RELAYLLM_DEFAULT_CONFIDENCE_FLOOR), which would change runs that run.json
 * cannot tell apart, give way to relay-core's own.
 */
export function evalRelaySettings(config: Pick<RelayllmConfig, 'maxTokensLimit' | 'requestTimeoutMs'>): EmbeddedRequestSettings & Pick<RelayllmConfig, 'requestTimeoutMs'> {
  return { maxTokensLimit: config.maxTokensLimit, requestTimeoutMs: config.requestTimeoutMs, defaultMaxTurns: DEFAULT_MAX_TURNS, defaultConfidenceFloor: 0 };
}

/**
 * Items run through the same front door as `serve` and `generate` (chat
 * format, validation, timeout), on engines in this process; the SLM wrapped
 * as the policy needs, the LLM metered for prefill tokens.
 */
export function embeddedItemRunner(
  engines: Pick<EmbeddedEngines, 'slm' | 'llm' | 'models' | 'chatTemplate'>,
  config: Pick<RelayllmConfig, 'maxTokensLimit' | 'requestTimeoutMs'>,
  spec: PolicySpec,
): ItemRunner {
  const slm = policySlm(spec, engines.slm);
  const llm = new PrefillMeterEngine(engines.llm);
  const relay = createEmbeddedRelay({ slm, llm, models: engines.models, chatTemplate: engines.chatTemplate }, evalRelaySettings(config));
  const limits = policyLimits(spec);
  return async (item, plan, signal) => {
    // The front door scopes each generation by tenant (the CLI is the anonymous one): the engines see this id.
    const engineId = tenantGenerationId(ANONYMOUS_KEY_ID, plan.generationId);
    try {
      for await (const event of relay.generate(relayRequest(item.question, plan, limits), signal, { protocol: 'cli' })) {
        if (event.type === 'completed') {
          const outcome: ItemOutcome = {
            text: event.text,
            finishReason: event.finishReason,
            ...usageResult(event.usage),
            llmPrefillTokens: llm.take(engineId),
          };
          if (!(slm instanceof UncertaintyTriggerEngine)) return outcome;
          return withoutInjectedCommands(outcome, slm.injected(sequenceIdOf(engineId, 'slm')), spec.k ?? 1);
        }
      }
      throw RelayError.internal(InternalReason.HANDLER_NO_COMPLETION, 'the generation ended without completing');
    } finally {
      llm.take(engineId);
      if (slm instanceof UncertaintyTriggerEngine) slm.forget(sequenceIdOf(engineId, 'slm'));
    }
  };
}

const POLICY_TO_WIRE: Readonly<Record<ItemPlan['policy'], Policy>> = {
  RELAY: Policy.POLICY_RELAY,
  SLM_ONLY: Policy.POLICY_SLM_ONLY,
  LLM_ONLY: Policy.POLICY_LLM_ONLY,
};

const FINISH_FROM_WIRE: Partial<Record<FinishReason, string>> = {
  [FinishReason.FINISH_REASON_EOS]: 'eos',
  [FinishReason.FINISH_REASON_LLM_EOS]: 'llm_eos',
  [FinishReason.FINISH_REASON_LENGTH]: 'length',
  [FinishReason.FINISH_REASON_STOP]: 'stop',
  [FinishReason.FINISH_REASON_CANCELLED]: 'cancelled',
};

export function outcomeFromResponse(response: GenerateResponse): ItemOutcome {
  const u = response.usage;
  return {
    text: response.text,
    finishReason: FINISH_FROM_WIRE[response.finishReason] ?? 'unspecified',
    usage: {
      slm_tokens: u?.slmTokens ?? 0,
      llm_tokens: u?.llmTokens ?? 0,
      response_tokens: u?.responseTokens ?? 0,
      calls: u?.calls ?? 0,
      llm_token_ratio: u?.llmTokenRatio ?? 0,
      malformed_commands: u?.malformedCommands ?? 0,
      no_call_commands: u?.noCallCommands ?? 0,
    },
    calls: response.callRecords.map((c) => ({
      requested_n: c.requestedN,
      granted_n: c.grantedN,
      tokens_written: c.tokensWritten,
      response_token_start: c.responseTokenStart,
      response_token_end: c.responseTokenEnd,
    })),
    // Not observable through the API.
    llmPrefillTokens: null,
  };
}

/** Items run against a RelayService at host:port (unary Generate). */
export function targetItemRunner(client: RelayClient, spec: PolicySpec): ItemRunner {
  const limits = policyLimits(spec);
  return async (item, plan, signal) => {
    try {
      const response = await client.generate(
        {
          prompt: item.question,
          maxTokens: plan.maxTokens,
          temperature: plan.temperature,
          seed: plan.seed,
          policy: POLICY_TO_WIRE[plan.policy],
          requestId: plan.generationId,
          limits: { maxTurns: limits.maxTurns, maxLlmTokensPerCall: limits.maxLlmTokensPerCall },
          callBias: limits.callBias,
          confidenceFloor: limits.confidenceFloor,
        },
        { signal },
      );
      return outcomeFromResponse(response);
    } catch (error) {
      if (signal.aborted) {
        return { text: '', finishReason: 'cancelled', usage: usageResult(emptyUsage).usage, calls: [], llmPrefillTokens: null };
      }
      const isServiceError = typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number';
      throw isServiceError ? relayErrorFromServiceError(error as Parameters<typeof relayErrorFromServiceError>[0]) : error;
    }
  };
}

const emptyUsage: RelayUsage = {
  slmTokens: 0,
  llmTokens: 0,
  responseTokens: 0,
  calls: 0,
  llmTokenRatio: 0,
  malformedCommands: 0,
  noCallCommands: 0,
  callRecords: [],
};

export { createRelayClient };
