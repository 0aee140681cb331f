import { readFile } from 'node:fs/promises';
import { goldAnswer } from './graders';

/** One question of a dataset. `extra` holds every other field of the line (e.g. `level`). */
export interface EvalItem {
  /** 0-based position among the valid items of the file (stable across runs: resume keys on it). */
  index: number;
  /** 1-based line number in the file. */
  line: number;
  question: string;
  /** The answer as written in the file. */
  answer: string;
  /** The normalised gold answer (see goldAnswer). */
  gold: string;
  extra: Record<string, unknown>;
}

/** A line that was skipped, with why. */
export interface DatasetProblem {
  line: number;
  message: string;
}

export interface Dataset {
  file: string;
  items: EvalItem[];
  problems: DatasetProblem[];
}

/** An unusable dataset file (missing, unreadable, or without one valid item). */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses JSONL text: one object per line with a string `question` and a string
 * or number `answer`; blank lines are ignored; a malformed line is reported in
 * `problems` (with its 1-based line number) and skipped, never fatal.
 */
export function parseDataset(text: string, file = '<text>'): Dataset {
  const items: EvalItem[] = [];
  const problems: DatasetProblem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      problems.push({ line, message: `not JSON (${error instanceof Error ? error.message : String(error)})` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({ line, message: 'not a JSON object' });
      return;
    }
    const { question, answer, ...extra } = value as Record<string, unknown>;
    if (typeof question !== 'string' || question.trim() === '') {
      problems.push({ line, message: 'missing or empty string field "question"' });
      return;
    }
    if ((typeof answer !== 'string' && typeof answer !== 'number') || String(answer).trim() === '') {
      problems.push({ line, message: 'missing or empty field "answer" (string or number)' });
      return;
    }
    const answerText = String(answer);
    items.push({ index: items.length, line, question, answer: answerText, gold: goldAnswer(answerText), extra });
  });
  return { file, items, problems };
}

/** Reads and parses a dataset file; a missing, unreadable or empty file (no valid item) is a DatasetError naming it. */
export async function loadDataset(file: string): Promise<Dataset> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file does not exist' : code === 'EISDIR' ? 'is a directory' : String((error as Error).message);
    throw new DatasetError(file, `cannot read dataset ${file}: ${why}`);
  }
  const dataset = parseDataset(text, file);
  if (dataset.items.length === 0) {
    const detail = dataset.problems.length > 0 ? ` (${dataset.problems.length} malformed lines)` : '';
    throw new DatasetError(file, `dataset ${file} has no valid items${detail}`);
  }
  return dataset;
}
