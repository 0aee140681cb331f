import {
  MAX_COMMAND_CONTENT_LENGTH,
  evaluateClosedCommand,
  type CommandParser,
  type CommandParserEvent,
  type MalformedCommandReason,
} from './command-rules';
import type { TokenCommandSyntax } from './model-profile';

/** An open `<call>`: what it has collected so far. */
interface OpenCommand {
  raw: string;
  tokens: number[];
  digits: string;
  contentLength: number;
  sawNonDigit: boolean;
}

/**
 * Incremental command parser over token ids (engines with control tokens).
 * Feed it, one token at a time, only what the SLM generated: never the prompt
 * and never LLM output, so that the same characters written by a user are
 * plain text and can never trigger a call. The EOS token is a signal for the
 * caller (call finish()), not something to push. Rules: see command-rules.ts.
 */
export class TokenCommandParser implements CommandParser {
  private open: OpenCommand | undefined;

  constructor(private readonly syntax: TokenCommandSyntax) {}

  get inCommand(): boolean {
    return this.open !== undefined;
  }

  get idle(): boolean {
    return this.open === undefined;
  }

  /** Feeds one generated token and its decoded text (control tokens: their literal). */
  push(tokenId: number, text = ''): CommandParserEvent[] {
    const events: CommandParserEvent[] = [];
    this.consume(tokenId, text, events);
    return events;
  }

  finish(): CommandParserEvent[] {
    if (this.open === undefined) return [];
    return [this.closeMalformed('unterminated')];
  }

  reset(): void {
    this.open = undefined;
  }

  private consume(tokenId: number, text: string, events: CommandParserEvent[]): void {
    const { callId, endCallId } = this.syntax;
    const open = this.open;
    if (open === undefined) {
      if (tokenId === callId) this.open = this.openCommand(tokenId, text);
      else if (tokenId === endCallId) events.push({ type: 'malformed', reason: 'stray_close', raw: text, tokens: [tokenId] });
      else events.push({ type: 'text', text, tokens: [tokenId] });
      return;
    }
    if (tokenId === callId) {
      events.push(this.closeMalformed('nested'));
      this.open = this.openCommand(tokenId, text);
      return;
    }
    if (tokenId === endCallId) {
      open.raw += text;
      open.tokens.push(tokenId);
      const verdict = evaluateClosedCommand(open.digits, open.contentLength, open.sawNonDigit);
      this.open = undefined;
      events.push(
        'n' in verdict
          ? { type: 'command', n: verdict.n, raw: open.raw, tokens: open.tokens }
          : { type: 'malformed', reason: verdict.reason, raw: open.raw, tokens: open.tokens },
      );
      return;
    }
    if (open.contentLength === MAX_COMMAND_CONTENT_LENGTH) {
      // Bounded: the command is given up and this token is read as ordinary output.
      events.push(this.closeMalformed('too_long'));
      this.consume(tokenId, text, events);
      return;
    }
    const digits = this.syntax.digitsOf(tokenId);
    open.raw += text;
    open.tokens.push(tokenId);
    open.contentLength += 1;
    if (digits === undefined) open.sawNonDigit = true;
    else open.digits += digits;
  }

  private openCommand(tokenId: number, text: string): OpenCommand {
    return { raw: text, tokens: [tokenId], digits: '', contentLength: 0, sawNonDigit: false };
  }

  private closeMalformed(reason: MalformedCommandReason): CommandParserEvent {
    const open = this.open as OpenCommand;
    this.open = undefined;
    return { type: 'malformed', reason, raw: open.raw, tokens: open.tokens };
  }
}
