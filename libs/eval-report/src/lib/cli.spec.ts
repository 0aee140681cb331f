import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixtureRuns } from '../testing/fixtures';
import { runReport } from './cli';

function captureIo() {
  const io = { out: '', err: '', stdout: { write: (s: string) => (io.out += s) }, stderr: { write: (s: string) => (io.err += s) } };
  return io;
}

describe('runReport', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'eval-report-cli-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes the report and prints the metrics table to stdout', async () => {
    const dirs = writeFixtureRuns(join(root, 'runs'));
    const io = captureIo();
    const out = join(root, 'report');
    expect(await runReport({ dirs, out }, io)).toBe(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(io.out).toMatch(/^label\s+policy\s+dataset/);
    expect(io.out).toMatch(/relay budget b02\s+relay\s+gsm8k\s+1200\s+49\.52\s+47\.2–52\.8\s+1\.07%\s+0\.604\s+98\.2%\s+\+6\.90 pt/);
    expect(io.out).toContain('APGR');
    expect(io.err).toContain('wrote');
  });

  it('exits 1 naming the directory without summary.json', async () => {
    const io = captureIo();
    const missing = join(root, 'nothing');
    expect(await runReport({ dirs: [missing], out: join(root, 'report') }, io)).toBe(1);
    expect(io.err).toContain(missing);
    expect(io.out).toBe('');
  });
});
