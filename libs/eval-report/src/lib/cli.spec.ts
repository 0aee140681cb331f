import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixtureRuns } from '../testing/fixtures';
import { parseReportArgs, runReportCli } from './cli';

function captureIo() {
  const io = { out: '', err: '', stdout: { write: (s: string) => (io.out += s) }, stderr: { write: (s: string) => (io.err += s) } };
  return io;
}

describe('parseReportArgs', () => {
  it('takes several dirs and --out in either form', () => {
    expect(parseReportArgs(['a', '--out', 'o', 'b'])).toEqual({ dirs: ['a', 'b'], out: 'o', help: false });
    expect(parseReportArgs(['a', '--out=o2'])).toMatchObject({ out: 'o2' });
    expect(parseReportArgs(['a'])).toMatchObject({ out: 'report' });
  });

  it('rejects no dirs, a dangling --out and unknown options', () => {
    expect(() => parseReportArgs([])).toThrow('at least one run directory');
    expect(() => parseReportArgs(['a', '--out'])).toThrow('--out needs a directory');
    expect(() => parseReportArgs(['a', '--bogus'])).toThrow('unknown option --bogus');
  });
});

describe('runReportCli', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'eval-report-cli-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes the report and prints the metrics table to stdout', async () => {
    const dirs = writeFixtureRuns(join(root, 'runs'));
    const io = captureIo();
    const out = join(root, 'report');
    expect(await runReportCli([...dirs, '--out', out], io)).toBe(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(io.out).toMatch(/^label\s+policy\s+dataset/);
    expect(io.out).toMatch(/relay budget b02\s+relay\s+gsm8k\s+200\s+49\.52\s+1\.07%\s+0\.604\s+98\.2%\s+\+6\.90 pt/);
    expect(io.out).toContain('APGR');
    expect(io.err).toContain('wrote');
  });

  it('exits 1 naming the directory without summary.json', async () => {
    const io = captureIo();
    const missing = join(root, 'nothing');
    expect(await runReportCli([missing], io)).toBe(1);
    expect(io.err).toContain(missing);
    expect(io.out).toBe('');
  });

  it('exits 2 with the usage on bad arguments, 0 on --help', async () => {
    const bad = captureIo();
    expect(await runReportCli([], bad)).toBe(2);
    expect(bad.err).toContain('usage: relayllm report');
    const help = captureIo();
    expect(await runReportCli(['--help'], help)).toBe(0);
    expect(help.out).toContain('usage: relayllm report');
  });
});
