import { RelayError } from '../errors/relay-error';
import { FailedPreconditionReason, InternalReason } from '../errors/reasons';
import { chunkTokenCount, type EngineChunk } from '../ports/engine';
import { eventRaw, type CommandParserEvent } from '../protocol/command-rules';
import { commandTokenIds, type ModelProfile } from '../protocol/model-profile';
import { TextCommandParser } from '../protocol/text-command-parser';
import { TokenCommandParser } from '../protocol/token-command-parser';
import { chunkMode, tokenUnits, type TokenUnit } from './chunk-units';
import type { ConfidenceFloor } from './confidence-floor';
import { SegmentBuilder, type RelayTranscript } from './relay-transcript';
import type { TextSegment } from './relay-types';
import { TokenTextAligner } from './token-text-aligner';
import type { CallOrigin } from './usage';

/** What reading SLM output concluded (besides the text it released). */
export interface SlmReadState {
  /** A command was granted: stop reading, the LLM takes over. */
  calling: boolean;
  /** The SLM wrote one of its end-of-turn ids. */
  sawEos: boolean;
  /** The response budget ran out. */
  hitLength: boolean;
}

/**
 * How the SLM's output is read, fixed by its first non-empty chunk:
 * - `token`: ids, and the SLM's command syntax is token (control ids);
 * - `text-ids`: ids, text syntax: the text parser reads each token's text,
 *   tokens are counted by id and attributed to text through a TokenTextAligner;
 * - `text`: a text-only engine: the text parser reads chunks whatever the syntax.
 */
type SlmReadMode = 'token' | 'text-ids' | 'text';

/**
 * Reads the SLM's output stream: counts every SLM token, feeds only SLM output
 * to the parser (never the prompt, never LLM text: only commands the SLM
 * itself wrote count) and stops at the first call `onCall` grants: a command,
 * or (with a confidence floor) a token the SLM was unsure of, which is then
 * dropped unread for the LLM to write in its place.
 */
export class SlmOutputReader {
  private mode: SlmReadMode | undefined;
  private parser: TokenCommandParser | TextCommandParser | undefined;
  private readonly aligner = new TokenTextAligner();
  private readonly endOfTurn: ReadonlySet<number>;
  private readonly commandIds: ReadonlySet<number>;
  /** Text mode: tokens read but not yet attributed to a segment. */
  private unattributedTokens = 0;
  readonly state: SlmReadState = { calling: false, sawEos: false, hitLength: false };

  constructor(
    private readonly transcript: RelayTranscript,
    private readonly profile: ModelProfile,
    private readonly budgetLeft: () => number,
    /** Returns true when the call (a command's, or the floor's) is granted. */
    private readonly onCall: (requestedN: number, origin: CallOrigin) => boolean,
    private readonly floor: ConfidenceFloor | undefined = undefined,
  ) {
    this.endOfTurn = new Set(profile.endOfTurnIds);
    this.commandIds = new Set(commandTokenIds(profile.commandSyntax));
  }

  /** Starts a new SLM stream (a new turn or the first one). */
  beginStream(): void {
    this.state.calling = false;
    this.state.sawEos = false;
    this.state.hitLength = false;
  }

  /** Reads one chunk; the caller stops the stream once any state flag is set. */
  read(chunk: EngineChunk): TextSegment[] {
    const mode = this.modeFor(chunk);
    if (mode === undefined) return [];
    const segment = new SegmentBuilder('SLM');
    if (mode === 'text') this.readTextChunk(chunk, segment);
    else {
      const probabilities = chunk.probabilities?.length === chunk.tokens.length ? chunk.probabilities : undefined;
      for (const [i, unit] of tokenUnits(chunk, 'SLM').entries()) {
        if (this.endOfTurn.has(unit.id)) {
          this.state.sawEos = true;
          break;
        }
        if (this.floorCalls(unit, probabilities?.[i])) break;
        if (!this.takeBudget(1)) break;
        if (mode === 'token') this.readControlToken(unit, segment);
        else this.readTextToken(unit, segment);
        if (this.state.calling) break;
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
    this.aligner.reset();
    this.unattributedTokens = 0;
  }

  private modeFor(chunk: EngineChunk): SlmReadMode | undefined {
    const chunkKind = chunkMode(chunk);
    if (chunkKind === undefined) return undefined;
    const syntax = this.profile.commandSyntax;
    const mode: SlmReadMode = chunkKind === 'text' ? 'text' : syntax.kind === 'token' ? 'token' : 'text-ids';
    if (this.mode === undefined) {
      this.mode = mode;
      this.parser = syntax.kind === 'token' && mode === 'token' ? new TokenCommandParser(syntax) : new TextCommandParser();
    } else if (this.mode !== mode) {
      throw RelayError.internal(InternalReason.ENGINE_PROTOCOL, 'SLM engine mixed token-id chunks and text-only chunks');
    }
    return mode;
  }

  /** Token syntax: the parser reads ids; each event's ids are exact. */
  private readControlToken(unit: TokenUnit, segment: SegmentBuilder): void {
    for (const event of (this.parser as TokenCommandParser).push(unit.id, unit.text)) {
      this.transcript.appendSlmRaw(eventRaw(event), event.tokens);
      this.transcript.appendSlmEvent(event, event.tokens, segment);
      if (event.type === 'text') segment.tokenCount += event.tokens.length;
      if (this.granted(event)) return;
    }
  }

  /**
   * Text syntax over ids: the parser reads the token's text. The SLM's view
   * takes the token whole (its ids as written), except when a granted command
   * ends inside it: then only the text up to the command's end, without ids.
   */
  private readTextToken(unit: TokenUnit, segment: SegmentBuilder): void {
    this.aligner.push(unit.id, unit.text);
    for (const event of (this.parser as TextCommandParser).push(unit.text)) {
      const span = this.aligner.take(eventRaw(event).length);
      this.transcript.appendSlmEvent(event, span.ids, segment);
      if (event.type === 'text') segment.tokenCount += span.endedTokens;
      if (this.granted(event)) break;
    }
    const { taken, length } = this.aligner.takenOfLast();
    if (this.state.calling && taken < length) this.transcript.appendSlmRaw(unit.text.slice(0, taken), undefined);
    else this.transcript.appendSlmRaw(unit.text, [unit.id]);
  }

  /**
   * A text-only chunk cannot be split by tokens: it is counted whole, its
   * tokens attributed to the text it releases. The floor can only take a
   * chunk that stands for one token (servers stream one token an event); a
   * chunk of several is read as written.
   */
  private readTextChunk(chunk: EngineChunk, segment: SegmentBuilder): void {
    const count = chunkTokenCount(chunk);
    if (this.floor !== undefined && count === 1 && this.floorCalls({ id: undefined, text: chunk.text }, chunk.probabilities?.[0])) return;
    if (!this.takeBudget(count)) return;
    this.unattributedTokens += count;
    this.apply((this.parser as TextCommandParser).push(chunk.text), segment);
    if (segment.text !== '' || this.state.calling) {
      // Tokens up to here belong to this text (or to the command that ended it).
      segment.tokenCount = segment.text === '' ? 0 : this.unattributedTokens;
      this.unattributedTokens = 0;
    }
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

  /** Events of text read without ids (text-only chunks, or held-back text at the end of a stream). */
  private apply(events: CommandParserEvent[], segment: SegmentBuilder): void {
    for (const event of events) {
      const span = this.mode === 'text-ids' ? this.aligner.take(eventRaw(event).length) : undefined;
      if (this.mode !== 'text-ids') this.transcript.appendSlmRaw(eventRaw(event), this.mode === 'token' ? event.tokens : undefined);
      this.transcript.appendSlmEvent(event, this.mode === 'token' ? event.tokens : span?.ids, segment);
      if (span !== undefined && event.type === 'text') segment.tokenCount += span.endedTokens;
      if (this.granted(event)) return;
    }
  }

  private granted(event: CommandParserEvent): boolean {
    if (event.type !== 'command' || !this.onCall(event.n, 'command')) return false;
    this.state.calling = true;
    return true;
  }

  /**
   * The floor hands this token to the LLM: the SLM gave it less than the
   * threshold, it is plain text read afresh (never part of, or the start of,
   * a command the SLM writes itself) and the grant rule allows a call. The
   * token is then neither counted nor shown to anyone.
   */
  private floorCalls(unit: FloorCandidate, probability: number | undefined): boolean {
    const floor = this.floor;
    if (floor === undefined) return false;
    if (probability === undefined) throw floorUnsupported();
    if (probability >= floor.threshold || !this.isPlainTextAfresh(unit)) return false;
    if (!this.onCall(floor.callTokens, 'floor')) return false;
    this.state.calling = true;
    return true;
  }

  /** Token syntax: not a command id; text syntax: no '<' that could begin a marker. Either way nothing held. */
  private isPlainTextAfresh(unit: FloorCandidate): boolean {
    if (this.parser?.idle !== true) return false;
    return this.mode === 'token' && unit.id !== undefined ? !this.commandIds.has(unit.id) : !unit.text.includes('<');
  }
}

/** A token the floor may take: its id (unknown in a text-only chunk) and its text. */
interface FloorCandidate {
  id: number | undefined;
  text: string;
}

function floorUnsupported(): RelayError {
  return RelayError.failedPrecondition(FailedPreconditionReason.CONFIDENCE_FLOOR_UNSUPPORTED,
    'confidenceFloor needs the probability of each token the SLM writes, and its engine reports none',
    { field: 'confidenceFloor' },
  );
}
