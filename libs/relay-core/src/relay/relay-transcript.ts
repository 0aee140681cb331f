import type { CommandParserEvent } from '../protocol/command-rules';
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
 *
 * Ids go from one model's output into the other's view only when the pair
 * shares its vocabulary (`idsTravel`); otherwise the other view is text-only
 * (from the start for the LLM, whose prompt ids are the SLM's).
 */
export class RelayTranscript {
  readonly meter = new UsageMeter();
  readonly slmView: ContextView;
  readonly llmView: ContextView;
  private answerText = '';

  constructor(
    prompt: string,
    promptTokens: readonly number[] | undefined,
    private readonly idsTravel: boolean,
  ) {
    this.slmView = new ContextView(prompt, promptTokens);
    this.llmView = new ContextView(prompt, idsTravel ? promptTokens : undefined);
  }

  get answer(): string {
    return this.answerText;
  }

  /** SLM output as the SLM wrote it (its own view only); `tokens` undefined: ids unknown. */
  appendSlmRaw(text: string, tokens: readonly number[] | undefined): void {
    this.slmView.append(text, tokens);
  }

  /**
   * Records one parser event of SLM output for the LLM's view and the answer:
   * text goes there (with `tokens` when they are exactly its ids), commands
   * nowhere (a malformed one is counted).
   */
  appendSlmEvent(event: CommandParserEvent, tokens: readonly number[] | undefined, segment: SegmentBuilder): void {
    if (event.type === 'malformed') this.meter.malformedCommands += 1;
    if (event.type !== 'text') return;
    this.llmView.append(event.text, this.idsTravel ? tokens : undefined);
    this.answerText += event.text;
    segment.text += event.text;
  }

  /** LLM output goes to both views and the answer. */
  appendLlmOutput(text: string, tokens: readonly number[] | undefined, segment: SegmentBuilder): void {
    this.slmView.append(text, this.idsTravel ? tokens : undefined);
    this.llmView.append(text, tokens);
    this.answerText += text;
    segment.text += text;
  }
}
