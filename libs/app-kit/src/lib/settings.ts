import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error';

/**
 * Field parsers for settings that arrive as strings (environment variables,
 * command-line flags). One set of rules for every app:
 * - an unset or empty value (after trimming) takes the default;
 * - integers are decimal digits with an optional minus sign and surrounding
 *   spaces ("1e3", "0x10", "1.0" and "12ms" are refused), within [min, max];
 * - every error message says what was expected and repeats what was given.
 */
/** How a numeric setting is written and checked: its pattern, what a parsed value must be, and its name in messages. */
interface NumberForm {
  pattern: RegExp;
  accepts: (value: number) => boolean;
  noun: string;
}

const INTEGER: NumberForm = { pattern: /^\s*-?\d+\s*$/, accepts: Number.isSafeInteger, noun: 'an integer' };
const DECIMAL: NumberForm = { pattern: /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/, accepts: Number.isFinite, noun: 'a number' };

/** A number in [min, max] written in `form`; the fallback when unset or blank. */
function numberSetting(form: NumberForm, min: number, max: number, fallback: number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = form.pattern.test(raw) ? Number(raw) : Number.NaN;
      if (!form.accepts(value) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `must be ${form.noun} in [${min}, ${max}], got "${raw}"` });
        return z.NEVER;
      }
      return value;
    });
}

export const setting = {
  integer(min: number, max: number, fallback: number) {
    return numberSetting(INTEGER, min, max, fallback);
  },

  /** A finite decimal number (digits, one optional point, optional sign) within [min, max]. */
  decimal(min: number, max: number, fallback: number) {
    return numberSetting(DECIMAL, min, max, fallback);
  },

  /** A non-empty string (trimmed), at most `maxLength` characters. */
  text(fallback: string, maxLength = 4096) {
    return z.string().trim().max(maxLength).optional().transform((raw) => (raw === undefined || raw === '' ? fallback : raw));
  },

  /** A value kept exactly as given (passwords, tokens): not trimmed; empty means unset. */
  secret(fallback = '') {
    return z.string().optional().transform((raw) => (raw === undefined || raw === '' ? fallback : raw));
  },

  /** One of `choices`. */
  choice<const T extends readonly [string, ...string[]]>(choices: T, fallback: T[number]) {
    return z
      .string()
      .trim()
      .optional()
      .transform((raw, ctx): T[number] => {
        if (raw === undefined || raw === '') return fallback;
        if ((choices as readonly string[]).includes(raw)) return raw;
        ctx.addIssue({ code: 'custom', message: `must be one of ${choices.join(', ')}, got "${raw}"` });
        return z.NEVER;
      });
  },

  /** A string matching `pattern` (e.g. a URL scheme); `describe` says what is expected. */
  matching(pattern: RegExp, describe: string, fallback: string) {
    return z
      .string()
      .trim()
      .optional()
      .transform((raw, ctx) => {
        if (raw === undefined || raw === '') return fallback;
        if (pattern.test(raw)) return raw;
        ctx.addIssue({ code: 'custom', message: `must be ${describe}, got "${raw}"` });
        return z.NEVER;
      });
  },

  /**
   * A port that is off unless set (undefined), within [min, max]: by default
   * any port, 0 meaning any free one; a caller that needs room above it (a
   * block of ports from a base) narrows the range.
   */
  optionalPort(min = 0, max = 65_535) {
    return z
      .string()
      .optional()
      .transform((raw, ctx) => {
        if (raw === undefined || raw.trim() === '') return undefined;
        const parsed = setting.integer(min, max, min).safeParse(raw);
        if (parsed.success) return parsed.data;
        ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? 'must be a port' });
        return z.NEVER;
      });
  },

  /** A file or directory path, resolved against the working directory like any CLI path. */
  path(fallback: string) {
    return z.string().trim().optional().transform((raw) => (raw === undefined || raw === '' ? fallback : resolve(raw)));
  },
};

/** Where each setting comes from: its environment variable, and its flag when it has one. */
export interface SettingNames<K extends string> {
  env: Readonly<Record<K, string>>;
  flags?: Readonly<Partial<Record<K, string>>>;
}

export interface SettingSources<K extends string> {
  env: Readonly<Record<string, string | undefined>>;
  /** Values from command-line flags: they win over the environment. */
  flags?: Readonly<Partial<Record<K, string>>>;
}

/**
 * Reads and validates a whole configuration once: flags > environment >
 * the schema's defaults. Throws ConfigError listing every offending
 * variable or flag (by the name the user set it with). `what` names the
 * configuration in the message (e.g. "SLM worker configuration").
 */
export function loadSettings<K extends string, S extends z.ZodType<unknown, Partial<Record<K, string>>>>(
  schema: S,
  names: SettingNames<K>,
  sources: SettingSources<K>,
  what = 'configuration',
): Readonly<z.output<S>> {
  const raw: Partial<Record<K, string>> = {};
  const origin: Partial<Record<string, string>> = {};
  for (const key of Object.keys(names.env) as K[]) {
    const fromFlag = sources.flags?.[key];
    const value = fromFlag ?? sources.env[names.env[key]];
    if (value === undefined) continue;
    raw[key] = value;
    origin[key] = fromFlag !== undefined ? (names.flags?.[key] ?? key) : names.env[key];
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return Object.freeze(parsed.data) as Readonly<z.output<S>>;
  const lines = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    return `${origin[key] ?? names.env[key as K] ?? key}: ${issue.message}`;
  });
  throw new ConfigError(`invalid ${what}:\n  ${lines.join('\n  ')}`);
}

/** Runs a lib's own config reader, reporting any failure as a ConfigError (the app then refuses to start). */
export function asConfigError<T>(read: () => T, what = 'configuration'): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`invalid ${what}:\n  ${error instanceof Error ? error.message : String(error)}`);
  }
}
