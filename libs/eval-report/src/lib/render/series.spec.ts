import { makeSummary } from '../../testing/fixtures';
import { computeMetrics, type LoadedRun } from '../metrics/table';
import { reportFigures } from '../write-report';
import { curveRows } from './format-table';
import { SeriesStyles } from './series';
import { legend, LEGEND_LINE_CHARS, wrapLabel } from './svg';

/** Runs shaped like `npm run eval:reference`'s: baselines, single runs, two sweeps (directories as paths). */
const run = (dir: string, sweep: string | null, over: Parameters<typeof makeSummary>[0]): LoadedRun => ({
  dir,
  sweep,
  summary: makeSummary({ dataset: 'models/reference/data/test.jsonl', ...over }),
});
const RUNS: LoadedRun[] = [
  run('runs/reference/slm-sft', null, { policy: 'slm', label: 'sft:slm', model: 'sft', accuracy: 0.67, llm_token_ratio: 0, call_positions: [] }),
  run('runs/reference/warmup-relay', null, { label: 'warm-up:relay', model: 'warm-up', accuracy: 0.87, llm_token_ratio: 0.03 }),
  run('runs/reference/relay', null, { label: 'relay', accuracy: 0.871, llm_token_ratio: 0.028 }),
  run('runs/reference/llm', null, { policy: 'llm', label: 'llm', accuracy: 0.9875, llm_token_ratio: 1, call_positions: [] }),
  ...[0.25, 0.5, 0.75].map((p) =>
    run(`runs/reference/random-router/p=${p}`, 'runs/reference/random-router', {
      policy: 'random-router', label: `sft:random-router(p=${p})`, model: 'sft', params: { p, seed: 1 },
      accuracy: 0.67 + 0.3 * p, llm_token_ratio: p, call_positions: [],
    }),
  ),
  ...[0.3, 0.5, 0.7].map((threshold) =>
    run(`runs/reference/uncertainty/threshold=${threshold}`, 'runs/reference/uncertainty', {
      policy: 'uncertainty', label: `sft:uncertainty(threshold=${threshold},k=4)`, model: 'sft', params: { threshold, k: 4, entropy: false },
      accuracy: 0.6 + threshold / 3, llm_token_ratio: threshold / 20,
    }),
  ),
];

/** label -> fill of every filled legend entry of a chart (the router's dashed line has none); a wrapped label's lines joined. */
function legendFills(svg: string): Map<string, string> {
  const entries = [...svg.matchAll(/<g transform="translate\([^)]*\)">(.*?)<\/g>/g)].map((m) => m[1]);
  return new Map(
    entries.flatMap((entry) => {
      const lines = [...entry.matchAll(/class="legend">([^<]*)<\/text>/g)].map((m) => m[1]);
      const label = lines.length === 0 ? undefined : lines.join('');
      const fill = /fill="(#[0-9A-Fa-f]{6})"/.exec(entry)?.[1];
      return label === undefined || fill === undefined ? [] : [[label, fill] as const];
    }),
  );
}

/** panel name -> fill of the call-position histogram's bars. */
function panelFills(svg: string): Map<string, string> {
  return new Map([...svg.matchAll(/fill="(#[0-9A-Fa-f]{6})"><title>([^<]*?): [^<]* of calls at/g)].map((m) => [m[2], m[1]]));
}

describe('one name and one colour per series across the report', () => {
  const table = computeMetrics(RUNS);
  const styles = new SeriesStyles(table);
  const [pareto, levels, positions] = reportFigures(table, RUNS).map((f) => f.svg);

  it('names curves by their runs, never by a path, and the same in the table and every chart', () => {
    const names = table.curves.map((c) => c.name);
    expect(names).toEqual([
      'warm-up:relay',
      'relay',
      'sft:random-router (p = 0.25, 0.5, 0.75)',
      'sft:uncertainty (threshold = 0.3, 0.5, 0.7)',
    ]);
    expect(curveRows(table).map((row) => row[0])).toEqual(names);
    for (const name of names) expect(name).not.toMatch(/[/\\]/);
    const paretoLegend = [...legendFills(pareto).keys()];
    expect(paretoLegend).toEqual(expect.arrayContaining(names));
    expect([...panelFills(positions).keys()]).toEqual(['warm-up:relay', 'relay', 'sft:uncertainty (threshold = 0.3, 0.5, 0.7)']);
  });

  it('gives each series one colour in the Pareto, level and call-position charts', () => {
    const paretoFills = legendFills(pareto);
    const levelFills = legendFills(levels);
    const positionFills = panelFills(positions);
    const seen = new Map<string, string>();
    for (const r of table.runs) {
      const { name, colour } = styles.of(r.curve);
      seen.set(name, colour);
      expect({ run: r.label, levels: levelFills.get(r.label) }).toEqual({ run: r.label, levels: colour });
      const inPareto = r.policy === 'slm' || r.policy === 'llm' ? `${r.label} (${r.policy} only)` : name;
      expect({ run: r.label, pareto: paretoFills.get(inPareto) }).toEqual({ run: r.label, pareto: colour });
      if (positionFills.has(name)) expect({ series: name, positions: positionFills.get(name) }).toEqual({ series: name, positions: colour });
    }
    // Distinct series, distinct colours.
    expect(new Set(seen.values()).size).toBe(seen.size);
  });

  it("shades a sweep's runs in the level chart from light to full, in the series' colour", () => {
    const opacities = table.runs
      .filter((r) => r.policy === 'random-router')
      .map((r) => new RegExp(`fill="${styles.of(r.curve).colour}"(?: fill-opacity="([0-9.]+)")?/><text x="18" y="4" class="legend">${r.label.replace(/[()]/g, '\\$&')}<`).exec(levels)?.[1] ?? '1');
    expect(opacities).toEqual(['0.35', '0.68', '1']);
  });
});

describe('legend labels', () => {
  it('wraps a long curve name at spaces into lines that fit the legend, losing nothing', () => {
    const name = 'relay (call_bias = -4, -3, -2, -1, 0, 0.5, 1)';
    const lines = wrapLabel(name);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.every((l) => l.length <= LEGEND_LINE_CHARS)).toBe(true);
    expect(lines.join('')).toBe(name);
    expect(wrapLabel('relay')).toEqual(['relay']);
    // A label without spaces is cut after its commas.
    expect(wrapLabel('sft:uncertainty(threshold=0.3,k=4,entropy)', 20)).toEqual(['sft:uncertainty(threshold=0.3,', 'k=4,entropy)']);
  });

  it('stacks entries below a wrapped one without overlap', () => {
    const [first, second] = legend(0, 0, [
      { label: 'relay (call_bias = -4, -3, -2, -1, 0, 0.5, 1)', swatch: '' },
      { label: 'fixed(k=4)', swatch: '' },
    ]);
    expect(first).toContain('translate(0 0)');
    expect(second).toContain('translate(0 32)');
  });
});
