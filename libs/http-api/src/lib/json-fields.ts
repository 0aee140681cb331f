import { InvalidArgumentReason, RelayError } from '@relayllm/relay-core';

/**
 * Typed reads of a JSON object's fields. Only JSON types are checked here
 * (a number where a number goes), and the member names of RelayLLM's own
 * extension objects; values are checked by relay-core's
 * validateRelayRequest, which every protocol shares. `null` counts as absent,
 * as OpenAI's clients send it for unset options. Errors name the field as the
 * caller wrote it (`relay_limits.max_turns`).
 */
export class JsonFields {
  constructor(
    private readonly object: Readonly<Record<string, unknown>>,
    /** The path of this object in the body ('' for the body itself). */
    private readonly path = '',
  ) {}

  /** The request body as an object, or REQUEST_BODY_INVALID. */
  static ofBody(body: unknown): JsonFields {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, 'the request body must be a JSON object', undefined);
    }
    return new JsonFields(body as Record<string, unknown>);
  }

  fieldPath(name: string): string {
    return this.path === '' ? name : `${this.path}.${name}`;
  }

  has(name: string): boolean {
    const value = this.object[name];
    return value !== undefined && value !== null;
  }

  raw(name: string): unknown {
    const value = this.object[name];
    return value === null ? undefined : value;
  }

  number(name: string): number | undefined {
    return this.typed(name, 'a number', (value): value is number => typeof value === 'number');
  }

  string(name: string): string | undefined {
    return this.typed(name, 'a string', (value): value is string => typeof value === 'string');
  }

  boolean(name: string): boolean | undefined {
    return this.typed(name, 'true or false', (value): value is boolean => typeof value === 'boolean');
  }

  array(name: string): unknown[] | undefined {
    return this.typed(name, 'a list', (value): value is unknown[] => Array.isArray(value));
  }

  nested(name: string): JsonFields | undefined {
    const value = this.typed(name, 'an object', (v): v is Record<string, unknown> => typeof v === 'object' && !Array.isArray(v));
    return value === undefined ? undefined : new JsonFields(value, this.fieldPath(name));
  }

  /**
   * Refuses a member not in `known` (null counts as absent): for RelayLLM's own
   * extension objects, whose members no OpenAI client adds, so a member the
   * server does not know is a misspelling that would otherwise be dropped and
   * the request run on a default (`call_token` for `call_tokens`).
   */
  refuseUnknownMembers(known: readonly string[]): void {
    const unknown = Object.keys(this.object).find((name) => !known.includes(name) && this.has(name));
    if (unknown === undefined) return;
    const field = this.fieldPath(unknown);
    throw RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, `${field} is unknown; the members are ${known.join(', ')}`, field);
  }

  /** A string or a list of strings (OpenAI's `stop`), as a list. */
  stringList(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (typeof value === 'string') return [value];
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
    throw this.wrongType(name, 'a string or a list of strings');
  }

  private typed<T>(name: string, what: string, is: (value: unknown) => value is T): T | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!is(value)) throw this.wrongType(name, what);
    return value;
  }

  private wrongType(name: string, what: string): RelayError {
    const field = this.fieldPath(name);
    return RelayError.invalidArgument(InvalidArgumentReason.REQUEST_BODY_INVALID, `${field} must be ${what}`, field);
  }
}

/** A parameter this server does not implement, set to something other than its no-op value. */
export function unsupported(field: string, what: string): RelayError {
  return RelayError.invalidArgument(InvalidArgumentReason.PARAMETER_UNSUPPORTED, `${field}: ${what} is not supported by RelayLLM`, field);
}
