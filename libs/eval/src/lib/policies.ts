import { CALL_BIAS_LIMIT, DEFAULT_SERVER_LIMITS, FLOOR_CALL_TOKENS_LIMIT } from '@relayllm/relay-core';
import { routeToLlm } from './random';

export const EVAL_POLICIES = ['relay', 'slm', 'llm', 'random-router', 'uncertainty', 'relay-floor', 'fixed', 'teacher-free'] as const;
export type EvalPolicyName = (typeof EVAL_POLICIES)[number];

/** relay-core's policy an item is run with. */
export type CorePolicy = 'RELAY' | 'SLM_ONLY' | 'LLM_ONLY';

/**
 * The policies that call where the SLM is unsure (a threshold T, K tokens a
 * call, swept over T, as many turns as the server allows): uncertainty, the
 * training-free trigger, and relay-floor, the relay with the request's
 * confidence floor.
 */
export function isTriggerPolicy(name: EvalPolicyName): name is 'uncertainty' | 'relay-floor' {
  return name === 'uncertainty' || name === 'relay-floor';
}

/** The policies that read the SLM's full next-token distributions (LlamaCppEngine probabilities 'full'). */
export function needsFullDistributions(name: EvalPolicyName): boolean {
  return name === 'uncertainty';
}

/** A policy with its parameters (validated). */
export interface PolicySpec {
  name: EvalPolicyName;
  /** random-router: probability that a whole question goes to the LLM. */
  p?: number;
  /** random-router's seed (also the sampling seed when temperature > 0). */
  seed: number;
  /**
   * uncertainty, relay-floor: the threshold T on the SLM's top probability
   * (uncertainty: or entropy in nats with `entropy`). relay-floor is the
   * learned relay with the request's confidence floor (relay-core
   * ConfidenceFloor): its own commands, and a call wherever it is unsure.
   */
  threshold?: number;
  /** uncertainty / relay-floor / fixed: LLM tokens per (triggered) call (relay-floor: the floor's callTokens). */
  k?: number;
  /** uncertainty: trigger when the entropy of the next-token distribution is above T. */
  entropy?: boolean;
  /** relay: the request's call_bias (logit offset on the SLM's command-opening token); absent: none sent. */
  callBias?: number;
  /** relay, eval-only diagnostic: the SLM's own commands are removed from every context it is given. */
  hideCommands?: boolean;
  /** relay: the request's limits.max_turns (the SLM makes at most max_turns - 1 calls); absent: the server's 5. */
  maxTurns?: number;
  /** relay: the request's limits.max_llm_tokens_per_call (each call's n is capped by it); absent: the server's 256. */
  maxLlmTokensPerCall?: number;
}

/** A policy that cannot be run as asked (bad name, missing or out-of-range parameter). */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** Raw option values, as a command line gives them. */
export interface PolicyOptions {
  p?: string;
  seed?: string;
  threshold?: string;
  k?: string;
  entropy?: boolean;
  callBias?: string;
  hideCommands?: boolean;
  maxTurns?: string;
  maxLlmTokensPerCall?: string;
}

function num(value: string | undefined, flag: string, check: (v: number) => boolean, range: string): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || !check(v)) throw new PolicyError(`--${flag} must be ${range}, got ${value}`);
  return v;
}

const required = <T>(value: T | undefined, policy: string, flag: string): T => {
  if (value === undefined) throw new PolicyError(`policy ${policy} needs --${flag}`);
  return value;
};

/** Validates a policy name and its options (unused options of other policies are an error, to catch typos). */
export function parsePolicy(name: string, options: PolicyOptions): PolicySpec {
  if (!(EVAL_POLICIES as readonly string[]).includes(name)) {
    throw new PolicyError(`unknown policy ${name} (one of ${EVAL_POLICIES.join(', ')})`);
  }
  const policy = name as EvalPolicyName;
  const seed = num(options.seed, 'seed', (v) => Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff, 'an integer in [0, 4294967295]') ?? 0;
  const p = num(options.p, 'p', (v) => v >= 0 && v <= 1, 'in [0, 1]');
  const threshold = num(options.threshold, 'threshold', (v) => v >= 0, '>= 0');
  const k = num(options.k, 'k', (v) => Number.isInteger(v) && v >= 1 && v <= 4096, 'an integer in [1, 4096]');
  // The serving bound (relay-core CALL_BIAS_LIMIT), checked here so a sweep fails before any model loads.
  const callBias = num(options.callBias, 'call-bias', (v) => Math.abs(v) <= CALL_BIAS_LIMIT, `a number in [-${CALL_BIAS_LIMIT}, ${CALL_BIAS_LIMIT}]`);
  const ceiling = DEFAULT_SERVER_LIMITS.maxTurnsCeiling;
  const maxTurns = num(options.maxTurns, 'max-turns', (v) => Number.isInteger(v) && v >= 1 && v <= ceiling, `an integer in [1, ${ceiling}]`);
  const perCall = DEFAULT_SERVER_LIMITS.maxTokensCeiling;
  const maxLlmTokensPerCall = num(options.maxLlmTokensPerCall, 'max-llm-tokens-per-call', (v) => Number.isInteger(v) && v >= 0 && v <= perCall, `an integer in [0, ${perCall}]`);
  const used: Record<EvalPolicyName, readonly string[]> = {
    relay: ['call-bias', 'hide-commands', 'max-turns', 'max-llm-tokens-per-call'],
    slm: [],
    llm: [],
    'teacher-free': [],
    'random-router': ['p'],
    uncertainty: ['threshold', 'k', 'entropy'],
    'relay-floor': ['threshold', 'k'],
    fixed: ['k'],
  };
  const flags = {
    p,
    threshold,
    k,
    entropy: options.entropy === true ? true : undefined,
    'call-bias': callBias,
    'hide-commands': options.hideCommands === true ? true : undefined,
    'max-turns': maxTurns,
    'max-llm-tokens-per-call': maxLlmTokensPerCall,
  };
  const given = Object.entries(flags)
    .filter(([, v]) => v !== undefined)
    .map(([key]) => key);
  const stray = given.filter((key) => !used[policy].includes(key));
  if (stray.length > 0) throw new PolicyError(`policy ${policy} takes no ${stray.map((s) => `--${s}`).join(', ')}`);
  const spec: PolicySpec = { name: policy, seed };
  if (policy === 'random-router') spec.p = required(p, policy, 'p');
  if (isTriggerPolicy(policy)) {
    spec.threshold = required(threshold, policy, 'threshold');
    spec.k = required(k, policy, 'k');
    spec.entropy = options.entropy === true;
    if (!spec.entropy && spec.threshold > 1) throw new PolicyError('--threshold is a probability (in [0, 1]) unless --entropy');
  }
  if (policy === 'relay-floor' && (spec.k ?? 0) > FLOOR_CALL_TOKENS_LIMIT) {
    throw new PolicyError(`--k is the confidence floor's call_tokens for relay-floor, at most ${FLOOR_CALL_TOKENS_LIMIT}`);
  }
  if (policy === 'fixed') spec.k = required(k, policy, 'k');
  if (callBias !== undefined) spec.callBias = callBias === 0 ? 0 : callBias;
  if (options.hideCommands === true) spec.hideCommands = true;
  if (maxTurns !== undefined) spec.maxTurns = maxTurns;
  if (maxLlmTokensPerCall !== undefined) spec.maxLlmTokensPerCall = maxLlmTokensPerCall;
  return spec;
}

/** The option --sweep varies, per policy (undefined: the policy cannot be swept). */
export function sweepParameter(name: EvalPolicyName): 'p' | 'threshold' | 'callBias' | undefined {
  if (name === 'random-router') return 'p';
  if (isTriggerPolicy(name)) return 'threshold';
  if (name === 'relay') return 'callBias';
  return undefined;
}

/** How a swept option is named: its flag, and its key in summary params and sweep directory names. */
export const SWEEP_NAMES: Readonly<Record<NonNullable<ReturnType<typeof sweepParameter>>, { flag: string; param: string }>> = {
  p: { flag: 'p', param: 'p' },
  threshold: { flag: 'threshold', param: 'threshold' },
  callBias: { flag: 'call-bias', param: 'call_bias' },
};

/** The spec's parameters, as written in summary.json. */
export function policyParams(spec: PolicySpec): Record<string, unknown> {
  switch (spec.name) {
    case 'random-router':
      return { p: spec.p, seed: spec.seed };
    case 'uncertainty':
    case 'relay-floor':
      // entropy stays in relay-floor's params (always false): its runs keep the params, labels and directories they had.
      return { threshold: spec.threshold, k: spec.k, entropy: spec.entropy === true };
    case 'fixed':
      return { k: spec.k };
    case 'relay':
      // Only when given: a run without the knobs keeps today's params and label.
      return {
        ...(spec.callBias === undefined ? {} : { call_bias: spec.callBias }),
        ...(spec.maxTurns === undefined ? {} : { max_turns: spec.maxTurns }),
        ...(spec.maxLlmTokensPerCall === undefined ? {} : { max_llm_tokens_per_call: spec.maxLlmTokensPerCall }),
        ...(spec.hideCommands === true ? { hide_commands: true } : {}),
      };
    default:
      return {};
  }
}

/** A short label for tables and plots, e.g. `random-router(p=0.3)`. */
export function policyLabel(spec: PolicySpec): string {
  const params = Object.entries(policyParams(spec))
    .filter(([key, v]) => key !== 'seed' && v !== false)
    .map(([key, v]) => (v === true ? key : `${key}=${String(v)}`));
  return params.length === 0 ? spec.name : `${spec.name}(${params.join(',')})`;
}

/** relay-core's policy for item `index` (random-router draws per item from (seed, index)). */
export function corePolicyFor(spec: PolicySpec, index: number): CorePolicy {
  switch (spec.name) {
    case 'slm':
    case 'teacher-free':
      return 'SLM_ONLY';
    case 'llm':
      return 'LLM_ONLY';
    case 'random-router':
      return routeToLlm(spec.p ?? 0, spec.seed, index) ? 'LLM_ONLY' : 'SLM_ONLY';
    default:
      return 'RELAY';
  }
}

/**
 * Policies that change how the SLM engine behaves (trigger, grant override,
 * bans, hidden commands): they run on engines in this process only, not
 * against a server.
 */
export function needsEmbeddedEngines(spec: PolicySpec): boolean {
  if (spec.name === 'relay') return spec.hideCommands === true;
  return spec.name === 'uncertainty' || spec.name === 'fixed' || spec.name === 'teacher-free';
}
