/**
 * Rules shared by both command parsers (token ids and text), so that a command
 * means the same thing whichever way an engine reports its output.
 *
 * A command is `<call>` + 1..MAX_COMMAND_DIGITS ASCII digits + `</call>`; it
 * yields `command(n)` with n the decimal value (leading zeros allowed, n = 0 is
 * a valid "no call"). Anything else that starts with `<call>` or is a lone
 * `</call>` is a malformed command:
 *
 * | reason            | when                                                                   |
 * |-------------------|------------------------------------------------------------------------|
 * | `empty`           | `<call></call>`                                                        |
 * | `non_digit`       | content closed by `</call>` holds a non-digit                          |
 * | `too_many_digits` | closed content is all digits but longer than MAX_COMMAND_DIGITS        |
 * | `too_long`        | MAX_COMMAND_CONTENT_LENGTH content units seen and the next is no close |
 * | `nested`          | `<call>` inside an open command                                        |
 * | `stray_close`     | `</call>` outside any command                                          |
 * | `unterminated`    | the output ends (EOS, length, end of stream) inside a command          |
 *
 * A malformed command never calls the LLM and is never capped into a call
 * ("never unbounded"). Its span is removed from the user's / LLM's view like a
 * valid command. Resynchronisation, so that parsing never gets stuck:
 * - `too_long`: the span is `<call>` + the first MAX_COMMAND_CONTENT_LENGTH
 *   units; the unit that overflowed is parsed again as ordinary output.
 * - `nested`: the span is the open command up to (not including) the new
 *   `<call>`, which starts a new command.
 * Content is counted in tokens by the token parser and in characters (Unicode
 * code points) by the text parser.
 */
export const MAX_COMMAND_DIGITS = 6;
export const MAX_COMMAND_CONTENT_LENGTH = 8;

export type MalformedCommandReason =
  | 'empty'
  | 'non_digit'
  | 'too_many_digits'
  | 'too_long'
  | 'nested'
  | 'stray_close'
  | 'unterminated';

/**
 * What a parser reports, in output order. `raw` is exactly the output the
 * event covers (it goes to the SLM's own view); `text` events are the only
 * output that reaches the LLM's and user's view. `tokens` holds the ids in
 * token mode and is empty in text mode.
 */
export type CommandParserEvent =
  | { type: 'text'; text: string; tokens: number[] }
  | { type: 'command'; n: number; raw: string; tokens: number[] }
  | { type: 'malformed'; reason: MalformedCommandReason; raw: string; tokens: number[] };

/** Raw output covered by an event. */
export function eventRaw(event: CommandParserEvent): string {
  return event.type === 'text' ? event.text : event.raw;
}

/** Judges the content of a command once `</call>` closed it. */
export function evaluateClosedCommand(
  digits: string,
  contentLength: number,
  sawNonDigit: boolean,
): { n: number } | { reason: MalformedCommandReason } {
  if (contentLength === 0) return { reason: 'empty' };
  if (sawNonDigit) return { reason: 'non_digit' };
  if (digits.length > MAX_COMMAND_DIGITS) return { reason: 'too_many_digits' };
  return { n: Number.parseInt(digits, 10) };
}

/** Common interface of TokenCommandParser and TextCommandParser as seen by the session. */
export interface CommandParser {
  /** True while inside `<call>` ... (waiting for `</call>`). */
  readonly inCommand: boolean;
  /** True when nothing is held: no open command and no undecided text (a token read now starts afresh). */
  readonly idle: boolean;
  /** End of output: flushes held-back text and reports an open command as `unterminated`. */
  finish(): CommandParserEvent[];
  /** Drops all state (used when the relay stops reading a stream mid-way). */
  reset(): void;
}
