/**
 * Answer extraction and normalisation. A prediction is taken from the model's
 * text in this order: the last `\boxed{...}`, else the last `#### N`, else the
 * last number. Gold and prediction are normalised the same way and compared
 * as strings (numbers and simple fractions compare by value).
 */

/** Contents of the last `\boxed{...}` (or `\fbox{...}`), braces balanced; undefined when none. */
export function lastBoxed(text: string): string | undefined {
  const re = /\\(?:boxed|fbox)\s*\{/g;
  let start = -1;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) start = m.index + m[0].length;
  if (start < 0) return undefined;
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(start, i);
  }
  return undefined; // unbalanced: no answer
}

/** What follows the last `####` (GSM8K), up to the end of its line; undefined when none. */
export function afterHashes(text: string): string | undefined {
  const at = text.lastIndexOf('####');
  if (at < 0) return undefined;
  const rest = text.slice(at + 4).split('\n')[0]?.trim() ?? '';
  return rest === '' ? undefined : rest;
}

const NUMBER_RE = /[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\/\d+)?/g;

/** The last number in the text (signs, thousands separators, decimals, a/b); undefined when none. */
export function lastNumber(text: string): string | undefined {
  const all = text.match(NUMBER_RE);
  return all === null ? undefined : all[all.length - 1];
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Canonical number text for integers, decimals and a/b fractions; undefined when `s` is not one. */
function canonicalNumber(s: string): string | undefined {
  const frac = /^([-+]?)(\d+)\/(\d+)$/.exec(s);
  if (frac !== null) {
    const sign = frac[1] === '-' ? -1n : 1n;
    let num = BigInt(frac[2] ?? '0') * sign;
    let den = BigInt(frac[3] ?? '1');
    if (den === 0n) return undefined;
    const g = gcd(num, den);
    if (g !== 0n) {
      num /= g;
      den /= g;
    }
    return den === 1n ? num.toString() : `${num}/${den}`;
  }
  const dec = /^([-+]?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (dec === null) return undefined;
  const sign = dec[1] === '-' ? '-' : '';
  const int = (dec[2] ?? '0').replace(/^0+(?=\d)/, '');
  const fracPart = (dec[3] ?? '').replace(/0+$/, '');
  const body = fracPart === '' ? int : `${int}.${fracPart}`;
  return body === '0' ? '0' : `${sign}${body}`;
}

/**
 * Normalises an answer: strips `$`, `\left`/`\right`, `\!`, `\,`, spaces and a
 * trailing period, thousands separators; `\frac{a}{b}` / `\dfrac{a}{b}` /
 * `\tfrac{a}{b}` become `a/b`; numbers become canonical (`1,785.0` -> `1785`,
 * `+3` -> `3`, `4/6` -> `2/3`, `−5` -> `-5`). Other text is kept lower-cased.
 */
export function normaliseAnswer(raw: string): string {
  let s = raw.trim();
  s = s.replace(/\\text\{([^{}]*)\}/g, '$1');
  s = s.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, '($1)/($2)');
  s = s.replace(/\\[dt]?frac(\d)(\d)/g, '$1/$2');
  s = s.replace(/\\left|\\right|\\!|\\,|\\;|\\ |\\?\$/g, '');
  s = s.replace(/−/g, '-');
  s = s.replace(/\s+/g, '');
  s = s.replace(/\.$/, '');
  // Parentheses around plain numbers (from \frac) are dropped: (3)/(4) -> 3/4, (-3)/(4) -> -3/4.
  s = s.replace(/\(([-+]?[\d.,]+)\)/g, '$1');
  if (/^-\d+\/\d+$/.test(s) || /^\d+\/-\d+$/.test(s)) s = `-${s.replace(/-/g, '')}`;
  const noCommas = /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s) ? s.replace(/,/g, '') : s;
  return canonicalNumber(noCommas) ?? s.toLowerCase();
}

export type ExtractionMethod = 'boxed' | 'hashes' | 'last_number' | 'none';

export interface Graded {
  /** The normalised prediction ('' when nothing could be extracted). */
  predicted: string;
  correct: boolean;
  method: ExtractionMethod;
}

/** The answer a model wrote, normalised: last \boxed{}, else last ####, else last number. */
export function extractPrediction(text: string): { predicted: string; method: ExtractionMethod } {
  const boxed = lastBoxed(text);
  if (boxed !== undefined) return { predicted: normaliseAnswer(boxed), method: 'boxed' };
  const hashes = afterHashes(text);
  if (hashes !== undefined) return { predicted: normaliseAnswer(hashes), method: 'hashes' };
  const num = lastNumber(text);
  if (num !== undefined) return { predicted: normaliseAnswer(num), method: 'last_number' };
  return { predicted: '', method: 'none' };
}

/**
 * The gold answer of a dataset item, normalised: a GSM8K solution's `#### N`,
 * a MATH solution's last `\boxed{}`, else the whole answer string.
 */
export function goldAnswer(answer: string): string {
  const boxed = lastBoxed(answer);
  if (boxed !== undefined) return normaliseAnswer(boxed);
  const hashes = afterHashes(answer);
  if (hashes !== undefined) return normaliseAnswer(hashes);
  return normaliseAnswer(answer);
}

export function grade(text: string, gold: string): Graded {
  const { predicted, method } = extractPrediction(text);
  return { predicted, method, correct: predicted !== '' && predicted === gold };
}
