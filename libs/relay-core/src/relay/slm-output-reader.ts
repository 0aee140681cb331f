import { RelayError } from '../errors/relay-error';
import { chunkTokenCount, type EngineChunk } from '../ports/engine';
import type { CommandParserEvent } from '../protocol/command-rules';
import { TextCommandParser } from '../protocol/text-command-parser';
import { TokenCommandParser } from '../protocol/token-command-parser';
import type { TokenVocabulary } from '../protocol/vocabulary';
import { chunkMode, tokenUnits } from './chunk-units';
import { SegmentBuilder, type RelayTranscript } from './relay-transcript';
import type { TextSegment } from './relay-types';
import { InternalReason } from '../errors/reasons';

/** What reading SLM output concluded (besides the text it released). */
export interface SlmReadState {
  /** A command was granted: stop reading, the LLM takes over. */
  calling: boolean;
  /** The SLM wrote the EOS token. */
  sawEos: boolean;
  /** The response budget ran out. */
  hitLength: boolean;
}

/**
 * Reads the SLM's output stream: picks the parser from the first non-empty
 * chunk (ids: token parser; text only: text parser) for the whole generation,
 * counts every SLM token, feeds only SLM output to the parser (never the
 * prompt, never LLM text: only commands the SLM itself wrote count) and stops
 * at the first command `onCommand` grants.
 */
export class SlmOutputReader {
  private mode: 'token' | 'text' | undefined;
  private parser: TokenCommandParser | TextCommandParser | undefined;
  /** Text mode: tokens read but not yet attributed to a segment. */
  private unattributedTokens = 0;
  readonly state: SlmReadState = { calling: false, sawEos: false, hitLength: false };

  constructor(
    private readonly transcript: RelayTranscript,
    private readonly vocabulary: TokenVocabulary,
    private readonly budgetLeft: () => number,
    /** Returns true when the command is granted a call. */
    private readonly onCommand: (requestedN: number) => boolean,
  ) {}

  /** Starts a new SLM stream (a new turn or the first one). */
  beginStream(): void {
    this.state.calling = false;
    this.state.sawEos = false;
    this.state.hitLength = false;
  }

  /** Reads one chunk; the caller stops the stream once any state flag is set. */
  read(chunk: EngineChunk): TextSegment[] {
    const parser = this.parserFor(chunk);
    if (parser === undefined) return [];
    const segment = new SegmentBuilder('SLM');
    if (parser instanceof TokenCommandParser) {
      for (const unit of tokenUnits(chunk, 'SLM')) {
        if (unit.id === this.vocabulary.eosId) {
          this.state.sawEos = true;
          break;
        }
        if (!this.takeBudget(1)) break;
        this.apply(parser.push(unit.id, unit.text), segment);
        if (this.state.calling) break;
      }
    } else if (this.takeBudget(chunkTokenCount(chunk))) {
      this.unattributedTokens += chunkTokenCount(chunk);
      this.apply(parser.push(chunk.text), segment);
      if (segment.text !== '' || this.state.calling) {
        // Tokens up to here belong to this text (or to the command that ended it).
        segment.tokenCount = segment.text === '' ? 0 : this.unattributedTokens;
        this.unattributedTokens = 0;
      }
    }
    if (!this.state.calling && this.budgetLeft() <= 0) this.state.hitLength = true;
    return segment.take();
  }

  /** The stream ended without a call: release held-back text, report an open command as unterminated. */
  endWithoutCall(): TextSegment[] {
    const segment = new SegmentBuilder('SLM');
    if (this.parser !== undefined) this.apply(this.parser.finish(), segment);
    segment.tokenCount += this.unattributedTokens;
    this.unattributedTokens = 0;
    return segment.take();
  }

  /** The stream was cut after a granted command: what the parser still holds came after it and is dropped. */
  endForCall(): void {
    this.parser?.reset();
    this.unattributedTokens = 0;
  }

  private parserFor(chunk: EngineChunk): TokenCommandParser | TextCommandParser | undefined {
    const mode = chunkMode(chunk);
    if (mode === undefined) return undefined;
    if (this.mode === undefined) {
      this.mode = mode;
      this.parser = mode === 'token' ? new TokenCommandParser(this.vocabulary) : new TextCommandParser();
    } else if (this.mode !== mode) {
      throw RelayError.internal(InternalReason.ENGINE_PROTOCOL, 'SLM engine mixed token-id chunks and text-only chunks');
    }
    return this.parser;
  }

  /**
   * Counts `count` SLM tokens if any budget is left. A text-only chunk cannot
   * be split by tokens, so it is taken whole when it starts within the budget.
   */
  private takeBudget(count: number): boolean {
    if (this.budgetLeft() <= 0) {
      this.state.hitLength = true;
      return false;
    }
    this.transcript.meter.slmTokens += count;
    return true;
  }

  private apply(events: CommandParserEvent[], segment: SegmentBuilder): void {
    const tokenMode = this.mode === 'token';
    for (const event of events) {
      this.transcript.appendSlmEvent(event, tokenMode, segment);
      if (event.type === 'command' && this.onCommand(event.n)) {
        this.state.calling = true;
        return;
      }
    }
  }
}
