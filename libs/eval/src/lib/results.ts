import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One call of an item's generation (offsets in response tokens). */
export interface CallResult {
  requested_n: number;
  granted_n: number;
  tokens_written: number;
  response_token_start: number;
  response_token_end: number;
}

export interface UsageResult {
  slm_tokens: number;
  llm_tokens: number;
  response_tokens: number;
  calls: number;
  llm_token_ratio: number;
  malformed_commands: number;
  no_call_commands: number;
}

/** One line of results.jsonl. The dataset's extra fields (e.g. `level`) are also top-level keys. */
export interface ItemResult {
  index: number;
  question: string;
  answer: string;
  gold: string;
  text: string;
  predicted: string;
  correct: boolean;
  finish_reason: string;
  usage: UsageResult;
  calls: CallResult[];
  latency_ms: number;
  /** Tokens the LLM evaluated as new context, summed over its requests; null when not measured (--target). */
  llm_prefill_tokens: number | null;
  /** What the item was run as ('RELAY' | 'SLM_ONLY' | 'LLM_ONLY'): random-router's choice. */
  routed: string;
  [extra: string]: unknown;
}

export const RESULTS_FILE = 'results.jsonl';
export const SUMMARY_FILE = 'summary.json';

/** Reads results.jsonl; unparsable lines (e.g. a line cut by a crash) are skipped; a later line for an index wins. */
export async function readResults(dir: string): Promise<ItemResult[]> {
  let text: string;
  try {
    text = await readFile(join(dir, RESULTS_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const byIndex = new Map<number, ItemResult>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as ItemResult;
      if (typeof r.index === 'number') byIndex.set(r.index, r);
    } catch {
      // a partial last line: the item is simply run again
    }
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** Appends results as they finish, one JSON line each (one write per line). */
export class ResultsLog {
  private constructor(readonly path: string) {}

  /** Opens `<dir>/results.jsonl`: emptied unless `resume`; a resumed file missing its last newline gets one. */
  static async open(dir: string, resume: boolean): Promise<ResultsLog> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, RESULTS_FILE);
    if (!resume) await writeFile(path, '');
    else {
      const existing = await readFile(path, 'utf8').catch(() => '');
      if (existing !== '' && !existing.endsWith('\n')) await appendFile(path, '\n');
    }
    return new ResultsLog(path);
  }

  async append(result: ItemResult): Promise<void> {
    await appendFile(this.path, `${JSON.stringify(result)}\n`);
  }
}
