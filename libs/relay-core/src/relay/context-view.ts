import type { AppendOffsets, EngineContext } from '../ports/engine';

/**
 * One model's view of the generation: prompt + the output it is shown. Text is
 * always kept; ids are kept only while every appended piece came with ids
 * (once a text-only piece arrives, the view becomes text-only for good).
 */
export class ContextView {
  private text: string;
  private tokens: number[] | undefined;

  constructor(prompt: string, promptTokens?: readonly number[]) {
    this.text = prompt;
    this.tokens = promptTokens === undefined ? undefined : [...promptTokens];
  }

  /** Appends output; `tokens` undefined means the piece's ids are unknown. */
  append(text: string, tokens: readonly number[] | undefined): void {
    this.text += text;
    if (this.tokens === undefined) return;
    if (tokens === undefined) this.tokens = undefined;
    else this.tokens.push(...tokens);
  }

  /** A copy, safe to hand to an engine. */
  toContext(): EngineContext {
    const context: EngineContext = { text: this.text };
    if (this.tokens !== undefined) context.tokens = [...this.tokens];
    return context;
  }

  /** The current end of the view, as append offsets for the next request. */
  offsets(): AppendOffsets {
    const offsets: AppendOffsets = { text: this.text.length };
    if (this.tokens !== undefined) offsets.tokens = this.tokens.length;
    return offsets;
  }

  get textValue(): string {
    return this.text;
  }
}

/**
 * Remembers where the previous request on one sequence ended so the next one
 * can be marked append-only. Views only ever grow, so the previous context is
 * always a prefix of the next one; the one exception is a view that lost its
 * ids in between, where the token offset no longer applies and is dropped.
 */
export class AppendTracker {
  private previous: AppendOffsets | undefined;

  next(view: ContextView): { appendOnly: boolean; appendFrom?: AppendOffsets } {
    const previous = this.previous;
    const current = view.offsets();
    this.previous = current;
    if (previous === undefined) return { appendOnly: false };
    const appendFrom: AppendOffsets = { text: previous.text };
    if (previous.tokens !== undefined && current.tokens !== undefined) appendFrom.tokens = previous.tokens;
    return { appendOnly: true, appendFrom };
  }
}
