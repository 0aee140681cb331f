import type { ModelTokenizer } from '../ports/model-description';

/**
 * TEST DOUBLE: a tokenizer where every character is one token (its code
 * point) and each listed special string is one token (1_000_000 + its index)
 * when special tokens are parsed. Enough to see which text a caller tokenized
 * with specials and which as plain text.
 */
export class CharTokenizerFake implements ModelTokenizer {
  static readonly SPECIAL_BASE = 1_000_000;
  readonly calls: Array<{ text: string; special: boolean }> = [];

  constructor(
    private readonly specials: readonly string[],
    readonly bosToPrepend: number | undefined = undefined,
  ) {}

  tokenize(text: string, special: boolean): number[] {
    this.calls.push({ text, special });
    const ids: number[] = [];
    let i = 0;
    while (i < text.length) {
      const index = special ? this.specials.findIndex((s) => text.startsWith(s, i)) : -1;
      if (index >= 0) {
        ids.push(CharTokenizerFake.SPECIAL_BASE + index);
        i += this.specials[index].length;
        continue;
      }
      const codePoint = text.codePointAt(i) as number;
      ids.push(codePoint);
      i += String.fromCodePoint(codePoint).length;
    }
    return ids;
  }

  idOf(special: string): number {
    return CharTokenizerFake.SPECIAL_BASE + this.specials.indexOf(special);
  }
}
