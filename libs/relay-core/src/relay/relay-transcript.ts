import { eventRaw, type CommandParserEvent } from '../protocol/command-rules';
import { ContextView } from './context-view';
import type { TextSegment } from './relay-types';
import { UsageMeter } from './usage';

/** Accumulates the answer text of one stream event. */
export class SegmentBuilder {
  text = '';
  tokenCount = 0;

  constructor(private readonly source: TextSegment['source']) {}

  /** The segment, or nothing when no answer text was produced (e.g. only a command). */
  take(): TextSegment[] {
    if (this.text === '') return [];
    return [{ source: this.source, text: this.text, tokenCount: this.tokenCount }];
  }
}

/**
 * Everything a generation has written so far, in the three forms the protocol
 * needs, plus its counters. Keeping them in one place is what guarantees they
 * stay consistent:
 * - SLM view: prompt + every SLM output unit verbatim (commands, malformed ones
 *   too: it is the SLM's own context) + the LLM's output;
 * - LLM view: prompt + SLM plain text + the LLM's output (no command, ever);
 * - answer: the LLM view without the prompt, i.e. what the user receives.
 */
export class RelayTranscript {
  readonly meter = new UsageMeter();
  readonly slmView: ContextView;
  readonly llmView: ContextView;
  private answerText = '';

  constructor(prompt: string, promptTokens: readonly number[] | undefined) {
    this.slmView = new ContextView(prompt, promptTokens);
    this.llmView = new ContextView(prompt, promptTokens);
  }

  get answer(): string {
    return this.answerText;
  }

  /**
   * Records one parser event of SLM output (tokens are passed on only in
   * token mode). Commands go to the SLM view only; their tokens were already
   * counted when read.
   */
  appendSlmEvent(event: CommandParserEvent, tokenMode: boolean, segment: SegmentBuilder): void {
    this.slmView.append(eventRaw(event), tokenMode ? event.tokens : undefined);
    if (event.type === 'malformed') this.meter.malformedCommands += 1;
    if (event.type !== 'text') return;
    this.llmView.append(event.text, tokenMode ? event.tokens : undefined);
    this.answerText += event.text;
    segment.text += event.text;
    if (tokenMode) segment.tokenCount += event.tokens.length;
  }

  /** LLM output goes to both views and the answer. */
  appendLlmOutput(text: string, tokens: readonly number[] | undefined, segment: SegmentBuilder): void {
    this.slmView.append(text, tokens);
    this.llmView.append(text, tokens);
    this.answerText += text;
    segment.text += text;
  }
}
