import { RelayError } from '../errors/relay-error';
import { InternalReason } from '../errors/reasons';

interface PlacedToken {
  id: number;
  /** Offsets of the token's text in the stream's text (UTF-16 units). */
  start: number;
  end: number;
}

/** The tokens behind a run of text read by the text parser. */
export interface AlignedSpan {
  /** The ids of exactly this text, when it starts and ends on token boundaries; undefined otherwise. */
  ids: number[] | undefined;
  /** Tokens whose last character is in this text (a token is attributed once, where it ends). */
  endedTokens: number;
}

/**
 * Text syntax over an engine that reports ids: the text parser sees
 * characters, the views need ids. Tokens are pushed as they are read; the
 * parser's events then take their characters in order, and each learns which
 * ids it covers. A command whose characters share a token with text (BPE:
 * `" <"`, `">b"`) gives text that does not fall on whole tokens: its ids are
 * unknown (the view that gets it becomes text-only, and the engine tokenizes).
 * A token with empty text (the leading bytes of a multi-byte character)
 * belongs to the character that follows it.
 */
export class TokenTextAligner {
  private readonly queue: PlacedToken[] = [];
  private written = 0;
  private read = 0;
  private last: PlacedToken | undefined;

  push(id: number, text: string): void {
    const token = { id, start: this.written, end: this.written + text.length };
    this.written = token.end;
    this.queue.push(token);
    this.last = token;
  }

  /** The next `chars` characters of text, as an event of the parser consumed them. */
  take(chars: number): AlignedSpan {
    const from = this.read;
    const to = from + chars;
    if (to > this.written) {
      throw RelayError.internal(InternalReason.ENGINE_PROTOCOL, `text parser read ${to} characters, only ${this.written} were pushed`);
    }
    this.read = to;
    let aligned = !this.straddles(from);
    const ids: number[] = [];
    while (this.queue.length > 0 && isDoneAt(this.queue[0], to)) ids.push((this.queue.shift() as PlacedToken).id);
    if (this.straddles(to)) aligned = false;
    return { ids: aligned ? ids : undefined, endedTokens: ids.length };
  }

  /** Characters of the last pushed token already taken (a granted command may end inside it). */
  takenOfLast(): { taken: number; length: number } {
    const last = this.last;
    if (last === undefined) return { taken: 0, length: 0 };
    return { taken: Math.max(0, Math.min(last.end, this.read) - last.start), length: last.end - last.start };
  }

  /** Drops what is left (the relay stopped reading the stream). */
  reset(): void {
    this.queue.length = 0;
    this.written = 0;
    this.read = 0;
    this.last = undefined;
  }

  private straddles(offset: number): boolean {
    const head = this.queue[0];
    return head !== undefined && head.start < offset && offset < head.end;
  }
}

/** A token is done once its text is read; an empty one once the character after it is. */
function isDoneAt(token: PlacedToken, read: number): boolean {
  return token.start === token.end ? token.start < read : token.end <= read;
}
