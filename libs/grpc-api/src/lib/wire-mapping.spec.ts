import { FinishReason, GenerateRequest, Policy, Source } from '@relayllm/proto';
import type { CompletedEvent, RelayUsage } from '@relayllm/relay-core';
import { toGenerateResponse, toRelayRequest, toWireCallRecord, toWireEvent, wireErrorMessage, wireFieldPath } from './wire-mapping';

const usage: RelayUsage = {
  slmTokens: 6,
  llmTokens: 2,
  responseTokens: 8,
  calls: 1,
  llmTokenRatio: 0.25,
  malformedCommands: 1,
  noCallCommands: 0,
  callRecords: [
    { callIndex: 0, origin: 'command', requestedN: 3, grantedN: 2, tokensWritten: 2, responseTokenStart: 5, responseTokenEnd: 7, endedGeneration: false, latencyMs: 12.6 },
  ],
};

describe('wire mapping', () => {
  it('maps a minimal wire request, leaving every optional field to the core defaults', () => {
    expect(toRelayRequest(GenerateRequest.fromPartial({ prompt: 'Q:', maxTokens: 8 }), 'id-1')).toEqual({
      generationId: 'id-1',
      prompt: 'Q:',
      policy: 'RELAY',
      maxTokens: 8,
    });
  });

  it('maps snake_case wire fields (camelCase in TS) onto the core request, zeros included', () => {
    const wire = GenerateRequest.fromPartial({
      prompt: 'p',
      maxTokens: 64,
      temperature: 0,
      topP: 0.9,
      seed: 0,
      stop: ['\n\n'],
      policy: Policy.POLICY_SLM_ONLY,
      limits: { maxTurns: 3, maxLlmTokensPerCall: 0, maxLlmTokensTotal: 10 },
      requestId: 'ignored-here',
    });
    expect(toRelayRequest(wire, 'gen')).toEqual({
      generationId: 'gen',
      prompt: 'p',
      policy: 'SLM_ONLY',
      maxTokens: 64,
      maxTurns: 3,
      maxLlmTokensPerCall: 0,
      maxLlmTokensTotal: 10,
      sampling: { temperature: 0, topP: 0.9, seed: 0 },
      stop: ['\n\n'],
    });
  });

  it.each([
    [Policy.POLICY_UNSPECIFIED, 'RELAY'],
    [Policy.POLICY_RELAY, 'RELAY'],
    [Policy.POLICY_SLM_ONLY, 'SLM_ONLY'],
    [Policy.POLICY_LLM_ONLY, 'LLM_ONLY'],
    [7 as Policy, '7'],
  ])('maps policy %s to %s (unknown values go to the core, which rejects them)', (policy, core) => {
    expect(toRelayRequest(GenerateRequest.fromPartial({ policy }), 'g').policy).toBe(core);
  });

  it.each([
    ['maxTokens', 'max_tokens'],
    ['maxTurns', 'limits.max_turns'],
    ['maxLlmTokensPerCall', 'limits.max_llm_tokens_per_call'],
    ['maxLlmTokensTotal', 'limits.max_llm_tokens_total'],
    ['sampling.temperature', 'temperature'],
    ['sampling.topP', 'top_p'],
    ['sampling.seed', 'seed'],
    ['generationId', 'request_id'],
    ['promptTokens', 'prompt'],
    ['someNewField.innerName', 'some_new_field.inner_name'],
  ])('names core field %s as wire field %s', (core, wire) => {
    expect(wireFieldPath(core)).toBe(wire);
  });

  it.each([
    ['generationId must be 1..256 characters', 'generationId', 'request_id must be 1..256 characters'],
    ['topP must be in (0, 1]', 'sampling.topP', 'top_p must be in (0, 1]'],
    ['sampling.topP is out of range', 'sampling.topP', 'top_p is out of range'],
    ['maxTokens must be an integer in [1, 2048], got 0', 'maxTokens', 'max_tokens must be an integer in [1, 2048], got 0'],
    ['maxLlmTokensPerCall must be an integer', 'maxLlmTokensPerCall', 'limits.max_llm_tokens_per_call must be an integer'],
    ['prompt must not be empty', 'prompt', 'prompt must not be empty'],
    ['maxTokensX is another word', 'maxTokens', 'maxTokensX is another word'],
    ['no field named', undefined, 'no field named'],
  ])('writes the core field name in %j as its wire name', (message, field, wire) => {
    expect(wireErrorMessage(message, field)).toBe(wire);
  });

  it('maps every stream event', () => {
    expect(toWireEvent({ type: 'text', source: 'LLM', text: 'x', tokenCount: 1 }, 'r')).toEqual({
      event: { $case: 'text', value: { source: Source.SOURCE_LLM, text: 'x', tokenCount: 1 } },
    });
    expect(toWireEvent({ type: 'relayStarted', callIndex: 0, origin: 'command', requestedN: 9, grantedN: 4 }, 'r')).toEqual({
      event: { $case: 'relayStarted', value: { callIndex: 0, requestedN: 9, grantedN: 4, confidenceFloor: false } },
    });
    expect(toWireEvent({ type: 'relayStarted', callIndex: 1, origin: 'floor', requestedN: 4, grantedN: 4 }, 'r')).toEqual({
      event: { $case: 'relayStarted', value: { callIndex: 1, requestedN: 4, grantedN: 4, confidenceFloor: true } },
    });
    expect(toWireEvent({ type: 'relayFinished', callIndex: 0, tokensWritten: 4, latencyMs: 3.4 }, 'r')).toEqual({
      event: { $case: 'relayFinished', value: { callIndex: 0, tokensWritten: 4, latencyMs: 3 } },
    });
    const completed: CompletedEvent = { type: 'completed', finishReason: 'llm_eos', usage, text: 'abc' };
    expect(toWireEvent(completed, 'r')).toEqual({
      event: {
        $case: 'completed',
        value: {
          finishReason: FinishReason.FINISH_REASON_LLM_EOS,
          requestId: 'r',
          usage: { slmTokens: 6, llmTokens: 2, calls: 1, llmTokenRatio: 0.25, malformedCommands: 1, responseTokens: 8, noCallCommands: 0 },
          callRecords: [
            { callIndex: 0, requestedN: 3, grantedN: 2, tokensWritten: 2, responseTokenStart: 5, responseTokenEnd: 7, endedGeneration: false, latencyMs: 13, confidenceFloor: false },
          ],
        },
      },
    });
  });

  it("marks a call the confidence floor made (origin 'floor') confidence_floor true, a command's false", () => {
    const [command] = usage.callRecords;
    const floor = { ...command, callIndex: 1, origin: 'floor' as const, requestedN: 4 };
    expect(toWireCallRecord(floor)).toEqual({
      callIndex: 1, requestedN: 4, grantedN: 2, tokensWritten: 2, responseTokenStart: 5, responseTokenEnd: 7, endedGeneration: false, latencyMs: 13, confidenceFloor: true,
    });
    expect(toWireCallRecord(command).confidenceFloor).toBe(false);
    const response = toGenerateResponse({ type: 'completed', finishReason: 'eos', usage: { ...usage, calls: 2, callRecords: [command, floor] }, text: 'abc' }, 'r');
    expect(response.callRecords.map((record) => record.confidenceFloor)).toEqual([false, true]);
  });

  it('maps a confidence floor, call_tokens only when present', () => {
    expect(toRelayRequest(GenerateRequest.fromPartial({ confidenceFloor: { threshold: 0.7 } }), 'g').confidenceFloor).toEqual({ threshold: 0.7 });
    expect(toRelayRequest(GenerateRequest.fromPartial({ confidenceFloor: { threshold: 0.5, callTokens: 0 } }), 'g').confidenceFloor).toEqual({ threshold: 0.5, callTokens: 0 });
    expect('confidenceFloor' in toRelayRequest(GenerateRequest.fromPartial({ prompt: 'p' }), 'g')).toBe(false);
  });

  it.each([
    ['confidenceFloor', 'confidence_floor'],
    ['confidenceFloor.threshold', 'confidence_floor.threshold'],
    ['confidenceFloor.callTokens', 'confidence_floor.call_tokens'],
  ])('names core field %s as wire field %s', (core, wire) => {
    expect(wireFieldPath(core)).toBe(wire);
  });

  it('builds the unary response from the completed event', () => {
    const response = toGenerateResponse({ type: 'completed', finishReason: 'length', usage, text: 'abc' }, 'req-9');
    expect(response).toMatchObject({ text: 'abc', finishReason: FinishReason.FINISH_REASON_LENGTH, requestId: 'req-9', usage: { calls: 1 } });
    expect(response.callRecords).toHaveLength(1);
  });
});
