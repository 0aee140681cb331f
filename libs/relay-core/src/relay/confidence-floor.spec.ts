import { RelayError } from '../errors/relay-error';
import type { EngineChunk } from '../ports/engine';
import { pairProfile, type RelayPairProfile } from '../protocol/model-profile';
import { REFERENCE_PAIR_PROFILE } from '../protocol/reference-pair';
import { encodeScript, plainTextTokenIds } from '../testing/reference-tokenizer';
import { ManualClock } from '../testing/manual-clock';
import { loadQwen3Tokenizer, type RealTokenizer } from '../testing/real-tokenizers';
import { ScriptedEngine, type ScriptedOutput } from '../testing/scripted-engine';
import { DEFAULT_FLOOR_CALL_TOKENS, validateConfidenceFloor } from './confidence-floor';
import { serverLimitsFor, withServerDefaults } from './operator-limits';
import { DEFAULT_SERVER_LIMITS, validateRelayRequest, type RelayRequest } from './relay-request';
import { RelaySession } from './relay-session';
import type { RelayStreamEvent } from './relay-events';
import type { RelayAction } from './relay-types';
import { runRelay } from './run-relay';

function session(overrides: Partial<RelayRequest>, pair: RelayPairProfile = REFERENCE_PAIR_PROFILE): RelaySession {
  const request: RelayRequest = { generationId: 'g', prompt: 'P:', promptTokens: plainTextTokenIds('P:'), maxTokens: 50, ...overrides };
  return new RelaySession(validateRelayRequest(request, pair.slm.commandSyntax), pair);
}

/** One token per chunk with the probability the SLM gave it: `script` in the reference tokenizer's script form. */
function sure(script: string, probability = 0.99): EngineChunk[] {
  return encodeScript(script).map((t) => ({ tokens: [t.id], text: t.text, probabilities: [probability] }));
}

/** Streams chunks into the session's current stream until it says stop, then ends the stream. */
function stream(s: RelaySession, chunks: EngineChunk[]): RelayAction {
  const action = s.nextAction();
  for (const chunk of chunks) if (s.acceptChunk(chunk).stopStream) break;
  s.endStream();
  return action;
}

function contextOf(action: RelayAction): string {
  if (action.type === 'finish') throw new Error('no request in a finish action');
  return action.request.context.text;
}

function relayErrorOf(fn: () => unknown): RelayError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RelayError) return error;
  }
  throw new Error('expected a RelayError');
}

describe('validateConfidenceFloor', () => {
  it('fills in the call length, keeps a given one, and treats threshold 0 as no floor', () => {
    expect(validateConfidenceFloor({ threshold: 0.7 })).toEqual({ threshold: 0.7, callTokens: DEFAULT_FLOOR_CALL_TOKENS });
    expect(validateConfidenceFloor({ threshold: 1, callTokens: 256 })).toEqual({ threshold: 1, callTokens: 256 });
    expect(validateConfidenceFloor({ threshold: 0, callTokens: 3 })).toBeUndefined();
    expect(validateConfidenceFloor(undefined)).toBeUndefined();
  });

  it.each([
    [{ threshold: 1.01 }, 'confidenceFloor.threshold'],
    [{ threshold: -0.1 }, 'confidenceFloor.threshold'],
    [{ threshold: Number.NaN }, 'confidenceFloor.threshold'],
    [{ threshold: '0.5' }, 'confidenceFloor.threshold'],
    [{}, 'confidenceFloor.threshold'],
    [{ threshold: 0.5, callTokens: 0 }, 'confidenceFloor.callTokens'],
    [{ threshold: 0.5, callTokens: 2.5 }, 'confidenceFloor.callTokens'],
    [{ threshold: 0.5, callTokens: 257 }, 'confidenceFloor.callTokens'],
    [null, 'confidenceFloor'],
    [0.5, 'confidenceFloor'],
  ])('refuses %j: INVALID_ARGUMENT CONFIDENCE_FLOOR_RANGE naming %s', (value, field) => {
    const error = relayErrorOf(() => validateConfidenceFloor(value));
    expect([error.kind, error.reason, error.field]).toEqual(['invalid_argument', 'CONFIDENCE_FLOOR_RANGE', field]);
    expect(error.message.startsWith(field)).toBe(true);
  });
});

describe("an operator's request defaults (serverLimitsFor)", () => {
  const limits = serverLimitsFor({ maxTokensLimit: 1000, defaultMaxTurns: 64, defaultConfidenceFloor: 0.7 });
  const validate = (over: Partial<RelayRequest>) => validateRelayRequest({ generationId: 'g', prompt: 'P', maxTokens: 10, ...over }, REFERENCE_PAIR_PROFILE.slm.commandSyntax, limits);

  it('a request that names no turns or floor gets the operator\'s; one that names them keeps its own (threshold 0: none)', () => {
    expect(limits).toMatchObject({ maxTokensCeiling: 1000, defaultMaxTurns: 64, defaultConfidenceFloor: { threshold: 0.7, callTokens: DEFAULT_FLOOR_CALL_TOKENS } });
    expect([validate({}).limits.maxTurns, validate({}).confidenceFloor]).toEqual([64, { threshold: 0.7, callTokens: 4 }]);
    expect([validate({ maxTurns: 3 }).limits.maxTurns, validate({ confidenceFloor: { threshold: 0.5, callTokens: 2 } }).confidenceFloor]).toEqual([3, { threshold: 0.5, callTokens: 2 }]);
    expect(validate({ confidenceFloor: { threshold: 0 } }).confidenceFloor).toBeUndefined();
  });

  it('withServerDefaults writes them into a request that names none, and only the ones that differ from relay-core\'s', () => {
    const bare: RelayRequest = { generationId: 'g', prompt: 'P', maxTokens: 10 };
    expect(withServerDefaults(bare, limits)).toEqual({ ...bare, maxTurns: 64, confidenceFloor: { threshold: 0.7, callTokens: 4 } });
    expect(withServerDefaults({ ...bare, maxTurns: 2, confidenceFloor: { threshold: 0 } }, limits)).toEqual({ ...bare, maxTurns: 2, confidenceFloor: { threshold: 0 } });
    expect(withServerDefaults(bare, DEFAULT_SERVER_LIMITS)).toEqual(bare);
  });

  it('without operator defaults: relay-core\'s (5 turns, no floor), as before the settings existed', () => {
    const plain = serverLimitsFor({ maxTokensLimit: 2048, defaultMaxTurns: 5, defaultConfidenceFloor: 0 });
    expect(plain).toEqual({ ...DEFAULT_SERVER_LIMITS, maxTokensCeiling: 2048 });
    expect('defaultConfidenceFloor' in plain).toBe(false);
  });
});

describe('RelaySession with a confidence floor (token syntax)', () => {
  const floor = { threshold: 0.5, callTokens: 2 };

  it('hands an unsure token to the LLM: dropped unread, no command in either view, a floor call for callTokens', () => {
    const s = session({ confidenceFloor: floor });
    stream(s, [...sure('a'), ...sure('b', 0.3), ...sure('c')]);
    const call = s.nextAction();
    expect(call).toMatchObject({ type: 'call_llm', call: { callIndex: 0, origin: 'floor', requestedN: 2, grantedN: 2 } });
    expect(contextOf(call)).toBe('P:a');
    stream(s, sure('XY'));
    const next = s.nextAction();
    // the SLM sees its own text and the LLM's, nothing of the unsure "b" and no command
    expect(next.type === 'generate_slm' && next.request.context).toEqual({ text: 'P:aXY', tokens: plainTextTokenIds('P:aXY') });
    stream(s, sure('d</s>'));
    expect(s.text).toBe('aXYd');
    expect(s.usage).toMatchObject({ slmTokens: 2, llmTokens: 2, calls: 1, noCallCommands: 0 });
    expect(s.usage.callRecords[0]).toMatchObject({ origin: 'floor', requestedN: 2, responseTokenStart: 1, responseTokenEnd: 3 });
  });

  it("never replaces the SLM's own command, however unsure: it calls as written", () => {
    const s = session({ confidenceFloor: floor });
    stream(s, [...sure('a'), ...sure('<call>3</call>', 0.1)]);
    expect(s.nextAction()).toMatchObject({ type: 'call_llm', call: { requestedN: 3, grantedN: 3 } });
    stream(s, sure('XYZ'));
    expect(s.usage.callRecords[0]).toMatchObject({ origin: 'command', requestedN: 3 });
    expect(s.slmViewText).toBe('P:a<call>3</call>XYZ');
  });

  it('an unsure end of turn ends the text; with no turn left the unsure token is read as written and counts as no command', () => {
    const eos = session({ confidenceFloor: floor });
    stream(eos, [...sure('a'), ...sure('</s>', 0.2)]);
    expect(eos.finished).toBe(true);
    expect(eos.usage.calls).toBe(0);
    const oneTurn = session({ confidenceFloor: floor, maxTurns: 1 });
    stream(oneTurn, [...sure('a'), ...sure('b', 0.1), ...sure('</s>')]);
    expect(oneTurn.text).toBe('ab');
    expect(oneTurn.usage).toMatchObject({ slmTokens: 2, calls: 0, noCallCommands: 0 });
  });

  it('without a floor, probabilities change nothing', () => {
    const s = session({});
    stream(s, [...sure('a'), ...sure('b', 0.01), ...sure('</s>')]);
    expect([s.text, s.usage.calls]).toEqual(['ab', 0]);
  });

  it('an SLM engine that reports no probabilities is refused: FAILED_PRECONDITION CONFIDENCE_FLOOR_UNSUPPORTED', () => {
    for (const chunk of [{ tokens: [97], text: 'a' }, { tokens: [], text: 'a', tokenCount: 1 }]) {
      const s = session({ confidenceFloor: floor });
      s.nextAction();
      const error = relayErrorOf(() => s.acceptChunk(chunk));
      expect([error.kind, error.reason, error.field]).toEqual(['failed_precondition', 'CONFIDENCE_FLOOR_UNSUPPORTED', 'confidenceFloor']);
    }
  });
});

// The floor is a relay knob like callBias and maxTurns: accepted under every
// policy (so an operator's default floor never breaks the baselines), calling only under RELAY.
describe('a confidence floor under SLM_ONLY and LLM_ONLY', () => {
  const floor = { threshold: 0.5, callTokens: 2 };

  it.each(['SLM_ONLY', 'LLM_ONLY'])('%s: validation keeps it, as it keeps the other relay knobs', (policy) => {
    const request: RelayRequest = { generationId: 'g', prompt: 'P:', maxTokens: 50, policy, confidenceFloor: floor, callBias: 2, maxTurns: 3 };
    const validated = validateRelayRequest(request, REFERENCE_PAIR_PROFILE.slm.commandSyntax);
    expect(validated).toMatchObject({ policy, confidenceFloor: floor, callBias: 2, limits: { maxTurns: 3 } });
  });

  it('SLM_ONLY: probabilities are asked for, but an unsure token is read as written (no call, no no-call command)', () => {
    const s = session({ policy: 'SLM_ONLY', confidenceFloor: floor });
    const action = stream(s, [...sure('a'), ...sure('b', 0.1), ...sure('</s>')]);
    expect(action.type === 'generate_slm' && action.request.reportProbabilities).toBe(true);
    expect([s.finished, s.text]).toEqual([true, 'ab']);
    expect(s.usage).toMatchObject({ slmTokens: 2, llmTokens: 0, calls: 0, noCallCommands: 0 });
  });

  it('LLM_ONLY: the SLM never runs, so nothing reads the floor', () => {
    const s = session({ policy: 'LLM_ONLY', confidenceFloor: floor });
    const action = stream(s, encodeScript('XY</s>').map((t) => ({ tokens: [t.id], text: t.text })));
    expect(action.type).toBe('generate_llm');
    expect([s.finished, s.text, s.usage.calls]).toEqual([true, 'XY', 0]);
  });
});

describe('a confidence floor on a text-only SLM engine (an OpenAI-compatible server with logprobs)', () => {
  const relay = async (slmOutput: ScriptedOutput, tokensPerChunk = 1) => {
    const slm = new ScriptedEngine([slmOutput, { text: 'd</s>', probabilities: [0.9] }], { mode: 'text', tokensPerChunk });
    const request: RelayRequest = { generationId: 'g', prompt: 'P:', maxTokens: 20, confidenceFloor: { threshold: 0.5, callTokens: 2 } };
    let last: RelayStreamEvent | undefined;
    for await (const event of runRelay({ slm, llm: new ScriptedEngine(['XY'], { mode: 'text' }), clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal)) last = event;
    if (last?.type !== 'completed') throw new Error('the relay must complete');
    return { completed: last, slm };
  };

  it('asks the engine for probabilities and takes an unsure one-token chunk like an id', async () => {
    const { completed, slm } = await relay({ text: 'abc', probabilities: [0.9, 0.3, 0.9] });
    expect(completed.text).toBe('aXYd');
    expect(completed.usage.callRecords.map((c) => [c.origin, c.responseTokenStart])).toEqual([['floor', 1]]);
    expect(slm.requests.map((r) => [r.reportProbabilities, r.context.text])).toEqual([[true, 'P:'], [true, 'P:aXY']]);
  });

  it('reads a chunk of several tokens as written (its text cannot be cut by token), and a "<" that may open a command', async () => {
    expect((await relay({ text: "abc", probabilities: [0.9, 0.3, 0.9] }, 3)).completed.usage.calls).toBe(0);
    expect((await relay({ text: 'a<b', probabilities: [0.9, 0.1, 0.9] })).completed.usage.calls).toBe(0);
  });
});

describe('RelaySession with a confidence floor (text syntax, real Qwen3 tokens)', () => {
  let qwen: RealTokenizer;
  beforeAll(async () => {
    qwen = await loadQwen3Tokenizer();
  });

  /** The Qwen3 tokens of `script`, each with probability `p`. */
  const tokens = (script: string, p: number): EngineChunk[] =>
    qwen.scriptTokens(script).map((t) => ({ tokens: [t.id], text: t.text, probabilities: [p] }));

  it('replaces an unsure plain token, but never one that may begin the SLM\'s own <call> written as text', () => {
    const pair = pairProfile({ ...qwen.profile, name: 'student' }, { ...qwen.profile, name: 'teacher' });
    const request = { confidenceFloor: { threshold: 0.5, callTokens: 2 }, prompt: 'Q', promptTokens: qwen.tokenizer.tokenize('Q', false) };
    const own = session(request, pair);
    stream(own, [...tokens('x =', 0.9), ...tokens(' <call>2</call>', 0.1)]);
    expect(own.nextAction()).toMatchObject({ type: 'call_llm', call: { requestedN: 2 } });
    stream(own, tokens(' 42', 0.9));
    expect(own.usage.callRecords[0]?.origin).toBe('command');
    // Qwen3 writes digits one token each: the LLM's 2 tokens are " " and "4" (or " 4" whole)
    expect(own.slmViewText.startsWith('Qx = <call>2</call> 4')).toBe(true);

    const unsure = session(request, pair);
    stream(unsure, [...tokens('x =', 0.9), ...tokens(' 41', 0.1)]);
    const call = unsure.nextAction();
    expect(call).toMatchObject({ type: 'call_llm', call: { requestedN: 2 } });
    expect(contextOf(call)).toBe('Qx =');
    expect(unsure.usage.slmTokens).toBe(qwen.scriptTokens('x =').length);
  });
});
