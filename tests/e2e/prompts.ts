import { readFileSync } from 'fs';
import { resolve } from 'path';
import { referenceModelDir } from '@relayllm/testing';

/** The first `count` questions of the reference test split (models/reference/data/test.jsonl). */
export function referencePrompts(count: number): string[] {
  const lines = readFileSync(resolve(referenceModelDir(), 'data/test.jsonl'), 'utf8').split('\n');
  const prompts: string[] = [];
  for (const line of lines) {
    if (prompts.length >= count) break;
    if (line.trim() === '') continue;
    prompts.push((JSON.parse(line) as { question: string }).question);
  }
  return prompts;
}

/** Runs `task` over `items` with at most `concurrency` in flight; results in input order. */
export async function mapConcurrent<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}
