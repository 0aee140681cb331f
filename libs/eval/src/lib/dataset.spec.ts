import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError, loadDataset, parseDataset } from './dataset';

describe('parseDataset', () => {
  it('reads question/answer, carries extra fields, extracts GSM8K and MATH gold answers', () => {
    const text = [
      '{"question": "Compute 37*48+15-6.", "answer": "1785", "level": 4}',
      '{"question": "q2", "answer": "step\\n#### 1,200", "source": "gsm8k"}',
      '{"question": "q3", "answer": "so $\\\\boxed{\\\\frac{1}{2}}$", "level": "Level 5"}',
      '{"question": "q4", "answer": 7}',
    ].join('\n');
    const { items, problems } = parseDataset(text, 'x.jsonl');
    expect(problems).toEqual([]);
    expect(items.map((i) => [i.index, i.line, i.gold])).toEqual([
      [0, 1, '1785'],
      [1, 2, '1200'],
      [2, 3, '1/2'],
      [3, 4, '7'],
    ]);
    expect(items[0]?.extra).toEqual({ level: 4 });
    expect(items[1]?.extra).toEqual({ source: 'gsm8k' });
  });

  it('reports each malformed line with its 1-based line number and skips it; blank lines are ignored', () => {
    const text = [
      '{"question": "a", "answer": "1"}',
      '',
      '{not json',
      '[1, 2]',
      '{"question": "", "answer": "1"}',
      '{"question": "b"}',
      '{"question": "c", "answer": "3"}',
      '',
    ].join('\n');
    const { items, problems } = parseDataset(text);
    expect(items.map((i) => [i.question, i.index, i.line])).toEqual([
      ['a', 0, 1],
      ['c', 1, 7],
    ]);
    expect(problems.map((p) => p.line)).toEqual([3, 4, 5, 6]);
    expect(problems[0]?.message).toMatch(/not JSON/);
    expect(problems[3]?.message).toMatch(/answer/);
  });
});

describe('loadDataset', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eval-dataset-'));
  });

  it('a missing file is a DatasetError naming the file', async () => {
    const file = join(dir, 'nope.jsonl');
    await expect(loadDataset(file)).rejects.toThrow(DatasetError);
    await expect(loadDataset(file)).rejects.toThrow(`cannot read dataset ${file}: file does not exist`);
  });

  it('an empty file, or one without a valid item, is a DatasetError naming the file', async () => {
    const empty = join(dir, 'empty.jsonl');
    await writeFile(empty, '\n\n');
    await expect(loadDataset(empty)).rejects.toThrow(`dataset ${empty} has no valid items`);
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, 'x\ny\n');
    await expect(loadDataset(bad)).rejects.toThrow(`dataset ${bad} has no valid items (2 malformed lines)`);
  });

  it('a file with malformed lines loads with the problems listed', async () => {
    const file = join(dir, 'ok.jsonl');
    await writeFile(file, '{"question": "a", "answer": "1"}\nbroken\n');
    const dataset = await loadDataset(file);
    expect(dataset.items).toHaveLength(1);
    expect(dataset.problems).toEqual([{ line: 2, message: expect.stringMatching(/not JSON/) }]);
  });
});
