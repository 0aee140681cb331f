import { corePolicyFor, needsEmbeddedEngines, needsFullDistributions, parsePolicy, PolicyError, policyLabel, policyParams, sweepParameter } from './policies';

describe('parsePolicy', () => {
  it('validates names and parameters', () => {
    expect(parsePolicy('relay', {})).toEqual({ name: 'relay', seed: 0 });
    expect(parsePolicy('random-router', { p: '0.25', seed: '9' })).toEqual({ name: 'random-router', p: 0.25, seed: 9 });
    expect(parsePolicy('uncertainty', { threshold: '0.6', k: '8' })).toMatchObject({ threshold: 0.6, k: 8, entropy: false });
    expect(parsePolicy('uncertainty', { threshold: '1.5', k: '8', entropy: true })).toMatchObject({ threshold: 1.5, entropy: true });
    expect(parsePolicy('fixed', { k: '16' })).toMatchObject({ k: 16 });
  });

  it.each([
    ['nope', {}, /unknown policy nope/],
    ['random-router', {}, /needs --p/],
    ['random-router', { p: '1.5' }, /--p must be in \[0, 1\]/],
    ['uncertainty', { threshold: '0.5' }, /needs --k/],
    ['uncertainty', { threshold: '2', k: '4' }, /probability/],
    ['fixed', { k: '0' }, /--k must be an integer/],
    ['relay', { p: '0.5' }, /takes no --p/],
    ['slm', { entropy: true }, /takes no --entropy/],
    ['relay', { seed: '-1' }, /--seed/],
    ['relay', { callBias: '10.5' }, /--call-bias must be a number in \[-10, 10\]/],
    ['relay', { callBias: 'NaN' }, /--call-bias must be a number/],
    ['relay', { callBias: 'two' }, /--call-bias must be a number/],
    ['uncertainty', { threshold: '0.5', k: '4', callBias: '1' }, /takes no --call-bias/],
    ['slm', { hideCommands: true }, /policy slm takes no --hide-commands/],
    ['uncertainty', { threshold: '0.5', k: '4', hideCommands: true }, /takes no --hide-commands/],
    ['relay', { maxTurns: '65' }, /--max-turns must be an integer in \[1, 64\]/],
    ['relay', { maxTurns: '2.5' }, /--max-turns must be an integer/],
    ['uncertainty', { threshold: '0.5', k: '4', maxTurns: '8' }, /takes no --max-turns/],
    ['relay', { maxLlmTokensPerCall: '-1' }, /--max-llm-tokens-per-call must be an integer in \[0, 32768\]/],
    ['relay', { maxLlmTokensPerCall: '1.5' }, /--max-llm-tokens-per-call must be an integer/],
    ['fixed', { k: '6', maxLlmTokensPerCall: '2' }, /takes no --max-llm-tokens-per-call/],
    ['relay-floor', { k: '4' }, /policy relay-floor needs --threshold/],
    ['relay-floor', { threshold: '0.5' }, /policy relay-floor needs --k/],
    ['relay-floor', { threshold: '1.2', k: '4' }, /probability/],
    ['relay-floor', { threshold: '0.5', k: '4', callBias: '1' }, /takes no --call-bias/],
    ['relay-floor', { threshold: '0.5', k: '4', entropy: true }, /takes no --entropy/],
    ['relay-floor', { threshold: '0.5', k: '257' }, /call_tokens for relay-floor, at most 256/],
  ])('%s %j is refused', (name, options, message) => {
    expect(() => parsePolicy(name, options)).toThrow(PolicyError);
    expect(() => parsePolicy(name, options)).toThrow(message);
  });

  it('labels, params, core policies, embedded-only policies', () => {
    expect(policyLabel(parsePolicy('random-router', { p: '0.3' }))).toBe('random-router(p=0.3)');
    expect(policyLabel(parsePolicy('uncertainty', { threshold: '0.5', k: '4', entropy: true }))).toBe('uncertainty(threshold=0.5,k=4,entropy)');
    expect(policyParams(parsePolicy('fixed', { k: '3' }))).toEqual({ k: 3 });
    // A relay run records its call_bias only when given, so a run without it keeps its label.
    expect([policyLabel(parsePolicy('relay', {})), policyParams(parsePolicy('relay', {}))]).toEqual(['relay', {}]);
    expect([policyLabel(parsePolicy('relay', { callBias: '-2' })), policyParams(parsePolicy('relay', { callBias: '-2' }))]).toEqual(['relay(call_bias=-2)', { call_bias: -2 }]);
    expect(parsePolicy('relay', { callBias: '-0' }).callBias).toBe(0);
    expect(corePolicyFor(parsePolicy('teacher-free', {}), 0)).toBe('SLM_ONLY');
    expect(corePolicyFor(parsePolicy('fixed', { k: '3' }), 0)).toBe('RELAY');
    expect(corePolicyFor(parsePolicy('random-router', { p: '1' }), 5)).toBe('LLM_ONLY');
    expect(corePolicyFor(parsePolicy('random-router', { p: '0' }), 5)).toBe('SLM_ONLY');
    expect(['relay', 'slm', 'llm', 'random-router'].some((n) => needsEmbeddedEngines(parsePolicy(n, n === 'random-router' ? { p: '1' } : {})))).toBe(false);
    expect(needsEmbeddedEngines(parsePolicy('teacher-free', {}))).toBe(true);
  });

  it('relay --max-llm-tokens-per-call: the request limit on each call, recorded only when given', () => {
    const capped = parsePolicy('relay', { maxLlmTokensPerCall: '2', maxTurns: '64' });
    expect(capped).toEqual({ name: 'relay', seed: 0, maxTurns: 64, maxLlmTokensPerCall: 2 });
    expect([policyLabel(capped), policyParams(capped)]).toEqual([
      'relay(max_turns=64,max_llm_tokens_per_call=2)',
      { max_turns: 64, max_llm_tokens_per_call: 2 },
    ]);
    expect(policyParams(parsePolicy('relay', {}))).toEqual({});
  });

  it('relay --max-turns: the request limit, recorded only when given, servable', () => {
    const turns = parsePolicy('relay', { maxTurns: '64', callBias: '1' });
    expect(turns).toEqual({ name: 'relay', seed: 0, callBias: 1, maxTurns: 64 });
    expect([policyLabel(turns), policyParams(turns)]).toEqual(['relay(call_bias=1,max_turns=64)', { call_bias: 1, max_turns: 64 }]);
    expect(needsEmbeddedEngines(turns)).toBe(false);
  });

  it('relay-floor: the relay with the request\'s confidence floor, swept over T, served or embedded, on sampled probabilities', () => {
    const floor = parsePolicy('relay-floor', { threshold: '0.7', k: '4' });
    expect(floor).toEqual({ name: 'relay-floor', seed: 0, threshold: 0.7, k: 4, entropy: false });
    expect([policyLabel(floor), policyParams(floor)]).toEqual(['relay-floor(threshold=0.7,k=4)', { threshold: 0.7, k: 4, entropy: false }]);
    expect([corePolicyFor(floor, 0), needsEmbeddedEngines(floor), sweepParameter('relay-floor')]).toEqual(['RELAY', false, 'threshold']);
    expect([needsFullDistributions('relay-floor'), needsFullDistributions('uncertainty')]).toEqual([false, true]);
  });

  it('relay --hide-commands: recorded only when set, embedded engines only', () => {
    const hidden = parsePolicy('relay', { callBias: '2', hideCommands: true });
    expect(hidden).toEqual({ name: 'relay', seed: 0, callBias: 2, hideCommands: true });
    expect([policyLabel(hidden), policyParams(hidden)]).toEqual(['relay(call_bias=2,hide_commands)', { call_bias: 2, hide_commands: true }]);
    expect(policyLabel(parsePolicy('relay', { hideCommands: true }))).toBe('relay(hide_commands)');
    const plain = parsePolicy('relay', { callBias: '2', hideCommands: false });
    expect([plain, policyLabel(plain), policyParams(plain)]).toEqual([{ name: 'relay', seed: 0, callBias: 2 }, 'relay(call_bias=2)', { call_bias: 2 }]);
    expect([needsEmbeddedEngines(hidden), needsEmbeddedEngines(plain)]).toEqual([true, false]);
    expect(corePolicyFor(hidden, 0)).toBe('RELAY');
  });
});
