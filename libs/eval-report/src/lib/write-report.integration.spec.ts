import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixtureRuns } from '../testing/fixtures';
import { checkWellFormedXml } from '../testing/xml-check';
import { SummaryError } from './io/summary-schema';
import { writeReport } from './write-report';

const CHROMIUM = '/usr/bin/chromium';
const SVG_XMLNS = 'http://www.w3.org/2000/svg';
const LABELS = [
  'Qwen3-1.7B alone',
  'Qwen3-8B alone',
  'relay budget b01',
  'relay budget b02',
  'relay budget b05',
  'uncertainty <τ=0.3> & more',
  'random router p=0.3',
];
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Every http(s) reference in the text other than the SVG namespace. */
function networkRefs(text: string): string[] {
  return (text.match(/https?:\/\/[^\s"'<>)]*/g) ?? []).filter((u) => u !== SVG_XMLNS);
}

describe('writeReport', () => {
  let root: string;
  let out: string;
  let dirs: string[];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'eval-report-'));
    dirs = writeFixtureRuns(join(root, 'runs'));
    out = join(root, 'out');
    writeReport(dirs, out);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes report.html, report.json and the three figures', () => {
    for (const f of ['report.html', 'report.json', 'pareto.svg', 'levels.svg', 'call-positions.svg']) {
      expect(existsSync(join(out, f))).toBe(true);
    }
  });

  it('writes well-formed standalone SVG with no network references', () => {
    for (const f of ['pareto.svg', 'levels.svg', 'call-positions.svg']) {
      const svg = readFileSync(join(out, f), 'utf8');
      expect(checkWellFormedXml(svg)).toBe('svg');
      expect(svg).toContain(`xmlns="${SVG_XMLNS}"`);
      expect(networkRefs(svg)).toEqual([]);
    }
  });

  it('writes a self-contained, XML-well-formed report.html naming every run', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(checkWellFormedXml(html)).toBe('html');
    expect(networkRefs(html)).toEqual([]);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    for (const label of LABELS) expect(html).toContain(escapeXml(label));
    expect(html.match(/<svg /g)).toHaveLength(3);
  });

  it('puts every policy on the Pareto chart, with the router line and the baselines', () => {
    const svg = readFileSync(join(out, 'pareto.svg'), 'utf8');
    expect(svg).toContain('random router (analytic)');
    expect(svg).toContain('relay (budget = b01, b02, b05)');
    expect(svg).toContain(escapeXml('uncertainty <τ=0.3> & more'));
    expect(svg).toContain('Qwen3-1.7B alone (slm only)');
    expect(svg).toContain('Qwen3-8B alone (llm only)');
  });

  it('writes the metrics table as report.json', () => {
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.inputs).toEqual(dirs);
    const b02 = json.runs.find((r: { label: string }) => r.label === 'relay budget b02');
    expect(b02.pgr).toBeCloseTo(0.604, 3);
    expect(b02.costReduction).toBeCloseTo(0.982, 3);
    expect(b02.accuracyEdge).toBeCloseTo(0.069, 3);
    const sweep = json.curves.find((c: { curve: string }) => c.curve.endsWith('relay-sweep'));
    expect(sweep.points).toBe(3);
    expect(sweep.apgr).toBeGreaterThan(0.5);
  });

  it('opens in headless Chromium when it is installed', () => {
    if (!existsSync(CHROMIUM)) {
      console.log(`note: ${CHROMIUM} not found; the browser render check was not run`);
      return;
    }
    const dom = execFileSync(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${join(out, 'report.html')}`],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    expect(dom.match(/<svg /g)).toHaveLength(3);
    expect(dom).toContain('relay budget b02');
  });
});

describe('writeReport input errors', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'eval-report-err-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names a directory without summary.json', () => {
    const empty = join(root, 'no-summary-here');
    mkdirSync(empty);
    expect(() => writeReport([empty], join(root, 'out'))).toThrow(SummaryError);
    expect(() => writeReport([empty], join(root, 'out'))).toThrow(`${empty}: no summary.json`);
    expect(existsSync(join(root, 'out'))).toBe(false);
  });

  it('names a missing directory', () => {
    expect(() => writeReport([join(root, 'typo')], join(root, 'out'))).toThrow(`${join(root, 'typo')}: not a directory`);
  });

  it('names the file and the field of an invalid summary', () => {
    const dir = join(root, 'bad');
    mkdirSync(dir);
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ policy: 'relay', accuracy: 49.5 }));
    expect(() => writeReport([dir], join(root, 'out'))).toThrow(/bad[/\\]summary\.json: invalid run summary[\s\S]*accuracy/);
  });

  it('names a file that is not JSON', () => {
    const dir = join(root, 'garbled');
    mkdirSync(dir);
    writeFileSync(join(dir, 'summary.json'), '{not json');
    expect(() => writeReport([dir], join(root, 'out'))).toThrow(/garbled[/\\]summary\.json: cannot read JSON/);
  });
});
