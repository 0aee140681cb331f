import {
  BYTE_LEVEL_TOKEN_IDS,
  EngineDecorator,
  FailedPreconditionReason,
  RelayError,
  type Engine,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';
import { CALL, DIGIT_ZERO, END_CALL, commandChunk, splitChunk, type ChunkWithDistributions, withCommandsBanned, withoutCommandSpans } from './command-ids';

export interface UncertaintyTrigger {
  threshold: number;
  k: number;
  /** true: trigger when entropy (nats) > threshold; false: when the top probability < threshold. */
  entropy: boolean;
  /** Triggers per generation at most (the relay makes at most maxTurns - 1 calls). */
  maxCalls: number;
  /**
   * 'banned' (policy uncertainty): a training-free baseline, the SLM may not
   * write commands. 'kept' (policy relay-floor): the learned relay as it
   * serves, its own commands written and kept in its context; the trigger
   * only adds calls where the SLM did not ask for one.
   */
  ownCommands: 'banned' | 'kept';
}

/** One command in a generation's SLM text: injected by the trigger, or the SLM's own with the n it wrote. */
interface CommandEntry {
  injected: boolean;
  n: number;
}

/** What the injected commands added to a generation's SLM count (withoutInjectedCommands takes it). */
export interface InjectedCommands {
  /** Commands injected. */
  count: number;
  /** For each call the relay made, in order: the injected commands up to and including its own. */
  throughCall: readonly number[];
}

/** Shannon entropy in nats. */
export function entropyOf(distribution: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < distribution.length; i++) {
    const p = distribution[i] ?? 0;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

export function topProbability(distribution: ArrayLike<number>): number {
  let top = 0;
  for (let i = 0; i < distribution.length; i++) top = Math.max(top, distribution[i] ?? 0);
  return top;
}

/**
 * uncertainty: training-free token-level relay. The SLM's own commands are
 * banned; when the distribution an SLM token was sampled from is uncertain
 * (top probability < T, or entropy > T) that token is discarded and
 * `<call>K</call>` injected instead, so the relay has the LLM write the next
 * K tokens. Needs the full next-token distribution per token (LlamaCppEngine
 * `probabilities: 'full'`). Should the relay not grant the call (budget), the
 * discarded token follows the command so the SLM's text is unchanged.
 *
 * The injected commands are the relay's bookkeeping, not the SLM's writing: a
 * training-free SLM (BiLD, FS-GEN) never sees command tokens, so they are
 * removed from the context of every request passed to the SLM (relay-core
 * keeps an SLM's commands in its context, as the protocol wants for a model
 * that wrote them). Left in, they put an SLM that never learned them out of
 * distribution: the reference student of 2026-11-26 fell from 46.7% alone to 44.6% at
 * T = 0.3 although the LLM wrote its uncertain tokens.
 */
export class UncertaintyTriggerEngine extends EngineDecorator {
  /** Per SLM sequence: its commands by ordinal (0 for the first `<call>` in its context). */
  private readonly commands = new Map<string, Map<number, CommandEntry>>();

  constructor(
    inner: Engine,
    private readonly trigger: UncertaintyTrigger,
  ) {
    super(inner);
  }

  /** Commands injected so far for a generation's SLM sequence. */
  injected(sequenceId: string): number {
    return [...(this.commands.get(sequenceId)?.values() ?? [])].filter((c) => c.injected).length;
  }

  /**
   * The injected commands of a finished generation that made `calls` calls.
   * The relay grants commands in order while turns and budget last, so its
   * calls are the first `calls` commands that ask for n >= 1.
   */
  injectedCommands(sequenceId: string, calls: number): InjectedCommands {
    const entries = [...(this.commands.get(sequenceId) ?? new Map<number, CommandEntry>()).entries()].sort(([a], [b]) => a - b);
    const throughCall: number[] = [];
    let injected = 0;
    for (const [, entry] of entries) {
      if (entry.injected) injected += 1;
      if ((entry.injected || entry.n >= 1) && throughCall.length < calls) throughCall.push(injected);
    }
    return { count: injected, throughCall };
  }

  /** Forgets a finished generation. */
  forget(sequenceId: string): void {
    this.commands.delete(sequenceId);
  }

  private uncertain(distribution: ArrayLike<number>): boolean {
    const { threshold, entropy } = this.trigger;
    return entropy ? entropyOf(distribution) > threshold : topProbability(distribution) < threshold;
  }

  /** The SLM's request: its commands banned and every span hidden, or (kept) only the injected spans hidden. */
  private slmRequest(request: EngineRequest, commands: Map<number, CommandEntry>): EngineRequest {
    if (this.trigger.ownCommands === 'banned') return withoutCommandSpans(withCommandsBanned(request));
    const injected = new Set([...commands].filter(([, c]) => c.injected).map(([ordinal]) => ordinal));
    return withoutCommandSpans(request, injected);
  }

  async *generate(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const id = request.sequenceId;
    const commands = this.commands.get(id) ?? new Map<number, CommandEntry>();
    this.commands.set(id, commands);
    // The next command's ordinal: the spans already in the context come first.
    let ordinal = (request.context.tokens ?? []).filter((t) => t === CALL).length;
    let own: CommandEntry | undefined;
    for await (const chunk of this.inner.generate(this.slmRequest(request, commands), signal)) {
      for (const unit of splitChunk(chunk)) {
        const token = unit.tokens[0];
        if (token === CALL) {
          own = { injected: false, n: 0 };
          commands.set(ordinal++, own);
        } else if (own !== undefined && token !== undefined && token >= DIGIT_ZERO && token <= DIGIT_ZERO + 9) {
          own.n = own.n * 10 + (token - DIGIT_ZERO);
        } else if (own !== undefined) {
          // `</call>` closes the SLM's command; anything else leaves it malformed (relay-core counts it so)
          if (token !== END_CALL) own.n = 0;
          own = undefined;
        } else if (this.shouldTrigger(unit, commands)) {
          commands.set(ordinal++, { injected: true, n: this.trigger.k });
          yield commandChunk(this.trigger.k);
        }
        yield unit;
      }
    }
  }

  /** A token of the SLM's text (not EOS, not inside its own command) drawn from an uncertain distribution, triggers left. */
  private shouldTrigger(unit: ChunkWithDistributions, commands: Map<number, CommandEntry>): boolean {
    const token = unit.tokens[0];
    if (token === undefined || token === BYTE_LEVEL_TOKEN_IDS.EOS || token === END_CALL) return false;
    if ([...commands.values()].filter((c) => c.injected).length >= this.trigger.maxCalls) return false;
    const distribution = unit.distributions?.[0];
    if (distribution === undefined) {
      throw RelayError.failedPrecondition(
        FailedPreconditionReason.ENGINE_DISTRIBUTIONS_MISSING,
        "the uncertainty and relay-floor policies need full next-token distributions (LlamaCppEngine probabilities: 'full')",
        { field: 'policy' },
      );
    }
    return this.uncertain(distribution);
  }
}
