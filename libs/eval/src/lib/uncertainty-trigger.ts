import {
  BYTE_LEVEL_TOKEN_IDS,
  EngineDecorator,
  FailedPreconditionReason,
  RelayError,
  type Engine,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';
import { commandChunk, splitChunk, withCommandsBanned, withoutCommandSpans } from './command-ids';

export interface UncertaintyTrigger {
  threshold: number;
  k: number;
  /** true: trigger when entropy (nats) > threshold; false: when the top probability < threshold. */
  entropy: boolean;
  /** Triggers per generation at most (the relay makes at most maxTurns - 1 calls). */
  maxCalls: number;
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
  private readonly triggers = new Map<string, number>();

  constructor(
    inner: Engine,
    private readonly trigger: UncertaintyTrigger,
  ) {
    super(inner);
  }

  /** Commands injected so far for a generation's SLM sequence. */
  injected(sequenceId: string): number {
    return this.triggers.get(sequenceId) ?? 0;
  }

  /** Forgets a finished generation. */
  forget(sequenceId: string): void {
    this.triggers.delete(sequenceId);
  }

  private uncertain(distribution: ArrayLike<number>): boolean {
    const { threshold, entropy } = this.trigger;
    return entropy ? entropyOf(distribution) > threshold : topProbability(distribution) < threshold;
  }

  async *generate(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const id = request.sequenceId;
    for await (const chunk of this.inner.generate(withoutCommandSpans(withCommandsBanned(request)), signal)) {
      for (const unit of splitChunk(chunk)) {
        const token = unit.tokens[0];
        const isEos = token === BYTE_LEVEL_TOKEN_IDS.EOS;
        if (token !== undefined && !isEos && (this.triggers.get(id) ?? 0) < this.trigger.maxCalls) {
          const distribution = unit.distributions?.[0];
          if (distribution === undefined) {
            throw RelayError.failedPrecondition(
              FailedPreconditionReason.ENGINE_DISTRIBUTIONS_MISSING,
              "the uncertainty policy needs full next-token distributions (LlamaCppEngine probabilities: 'full')",
              { field: 'policy' },
            );
          }
          if (this.uncertain(distribution)) {
            this.triggers.set(id, (this.triggers.get(id) ?? 0) + 1);
            yield commandChunk(this.trigger.k);
          }
        }
        yield unit;
      }
    }
  }
}

