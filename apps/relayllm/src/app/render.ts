import type { RelaySource } from '@relayllm/relay-core';

export type MarkStyle = 'ansi' | 'brackets';

/** Cyan foreground; 39 resets the foreground only, so a terminal's other attributes survive. */
const ANSI = { open: '\x1b[36m', close: '\x1b[39m' } as const;
/** For pipes and files: plain text that still shows who wrote what. */
const BRACKETS = { open: '[[', close: ']]' } as const;

/** Colour on a terminal, brackets otherwise (a pipe must not receive escape codes). */
export function markStyleFor(stream: { isTTY?: boolean }): MarkStyle {
  return stream.isTTY === true ? 'ansi' : 'brackets';
}

/**
 * Turns streamed answer text into output where every LLM-written span is
 * marked. A span opens at the first LLM text and closes at the next SLM text,
 * at the end of the call (two calls in a row stay two spans) or at the end.
 */
export class SpanMarker {
  private open = false;
  private readonly marks: { open: string; close: string };

  constructor(style: MarkStyle) {
    this.marks = style === 'ansi' ? ANSI : BRACKETS;
  }

  text(source: RelaySource, text: string): string {
    if (text === '') return '';
    if (source === 'LLM' && !this.open) {
      this.open = true;
      return this.marks.open + text;
    }
    if (source === 'SLM' && this.open) return this.close() + text;
    return text;
  }

  /** The LLM call ended. */
  callEnded(): string {
    return this.open ? this.close() : '';
  }

  /** The answer ended. */
  end(): string {
    return this.callEnded();
  }

  private close(): string {
    this.open = false;
    return this.marks.close;
  }
}

export interface UsageSummary {
  slmTokens: number;
  llmTokens: number;
  calls: number;
  llmTokenRatio: number;
}

/** One line: who wrote how much, and ρ (the share of response tokens the LLM wrote). */
export function usageLine(usage: UsageSummary, finishReason: string): string {
  return (
    `[usage] slm ${usage.slmTokens} tokens, llm ${usage.llmTokens} tokens, ` +
    `${usage.calls} call${usage.calls === 1 ? '' : 's'}, ρ ${usage.llmTokenRatio.toFixed(3)}, finish ${finishReason}`
  );
}
