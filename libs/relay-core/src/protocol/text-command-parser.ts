import {
  MAX_COMMAND_CONTENT_LENGTH,
  evaluateClosedCommand,
  type CommandParser,
  type CommandParserEvent,
  type MalformedCommandReason,
} from './command-rules';
import { CALL_CLOSE_TEXT, CALL_OPEN_TEXT } from './vocabulary';

interface OpenCommand {
  raw: string;
  digits: string;
  contentLength: number;
  sawNonDigit: boolean;
}

const isAsciiDigit = (ch: string): boolean => ch.length === 1 && ch >= '0' && ch <= '9';

/**
 * Incremental command parser over generated text (engines that only return
 * text, where `<call>` / `</call>` are literal). Chunks may split a marker or
 * a number anywhere: text that could still become a marker is held back until
 * it is decided, so `pending` is at most one marker long. Like the token
 * parser, it must only be fed the SLM's own output, never the prompt. Rules:
 * see command-rules.ts.
 */
export class TextCommandParser implements CommandParser {
  private open: OpenCommand | undefined;
  /** Undecided characters that are a proper prefix of `<call>` or `</call>`. */
  private pending = '';
  private events: CommandParserEvent[] = [];

  get inCommand(): boolean {
    return this.open !== undefined;
  }

  get idle(): boolean {
    return this.open === undefined && this.pending === '';
  }

  /** Feeds a chunk of generated text; returns the events it completes, in order. */
  push(text: string): CommandParserEvent[] {
    for (const ch of text) this.consumeChar(ch);
    return this.takeEvents();
  }

  finish(): CommandParserEvent[] {
    const held = this.pending;
    this.pending = '';
    for (const ch of held) this.ordinary(ch);
    if (this.open !== undefined) this.closeMalformed('unterminated');
    return this.takeEvents();
  }

  reset(): void {
    this.open = undefined;
    this.pending = '';
    this.events = [];
  }

  private consumeChar(ch: string): void {
    this.pending += ch;
    for (;;) {
      if (this.pending === CALL_OPEN_TEXT) return this.onMarker(true);
      if (this.pending === CALL_CLOSE_TEXT) return this.onMarker(false);
      if (CALL_OPEN_TEXT.startsWith(this.pending) || CALL_CLOSE_TEXT.startsWith(this.pending)) return;
      // The first held character cannot start a marker any more: release it and
      // re-examine the rest (e.g. "<<call>" releases one "<").
      const first = String.fromCodePoint(this.pending.codePointAt(0) as number);
      this.pending = this.pending.slice(first.length);
      this.ordinary(first);
      if (this.pending === '') return;
    }
  }

  private onMarker(isOpen: boolean): void {
    const marker = this.pending;
    this.pending = '';
    const open = this.open;
    if (isOpen) {
      if (open !== undefined) this.closeMalformed('nested');
      this.open = { raw: marker, digits: '', contentLength: 0, sawNonDigit: false };
      return;
    }
    if (open === undefined) {
      this.events.push({ type: 'malformed', reason: 'stray_close', raw: marker, tokens: [] });
      return;
    }
    open.raw += marker;
    this.open = undefined;
    const verdict = evaluateClosedCommand(open.digits, open.contentLength, open.sawNonDigit);
    this.events.push(
      'n' in verdict
        ? { type: 'command', n: verdict.n, raw: open.raw, tokens: [] }
        : { type: 'malformed', reason: verdict.reason, raw: open.raw, tokens: [] },
    );
  }

  /** A character that is not part of a marker. */
  private ordinary(ch: string): void {
    const open = this.open;
    if (open === undefined) {
      const last = this.events[this.events.length - 1];
      if (last !== undefined && last.type === 'text') last.text += ch;
      else this.events.push({ type: 'text', text: ch, tokens: [] });
      return;
    }
    if (open.contentLength === MAX_COMMAND_CONTENT_LENGTH) {
      this.closeMalformed('too_long');
      this.ordinary(ch);
      return;
    }
    open.raw += ch;
    open.contentLength += 1;
    if (isAsciiDigit(ch)) open.digits += ch;
    else open.sawNonDigit = true;
  }

  private closeMalformed(reason: MalformedCommandReason): void {
    const open = this.open as OpenCommand;
    this.open = undefined;
    this.events.push({ type: 'malformed', reason, raw: open.raw, tokens: [] });
  }

  private takeEvents(): CommandParserEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }
}
