import { routerAccuracy, routerShare } from '../metrics/random-router';
import type { MetricsTable } from '../metrics/table';
import { groupBySeries, pct, type SeriesStyles } from './series';
import {
  axes,
  esc,
  type Frame,
  legend,
  linearScale,
  niceTicks,
  plotBox,
  polyline,
  px,
  svgDoc,
  text,
} from './svg';

// Square-root x axis: relay-style policies live at 1–5% share, which a linear
// axis squeezes into the first pixels; sqrt keeps 0 and 1 as the ends.
const SHARE_TICKS = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1];
const ROUTER_STEPS = 100;

function marker(shape: 'circle' | 'square' | 'diamond', x: number, y: number, fill: string, tip: string): string {
  const t = `<title>${esc(tip)}</title>`;
  if (shape === 'circle') return `<circle cx="${px(x)}" cy="${px(y)}" r="4" fill="${fill}">${t}</circle>`;
  if (shape === 'square') {
    return `<rect x="${px(x - 5)}" y="${px(y - 5)}" width="10" height="10" fill="${fill}">${t}</rect>`;
  }
  const d = `M${px(x)} ${px(y - 6)}L${px(x + 6)} ${px(y)}L${px(x)} ${px(y + 6)}L${px(x - 6)} ${px(y)}Z`;
  return `<path d="${d}" fill="${fill}">${t}</path>`;
}

/**
 * Accuracy vs LLM-token share for every run of one dataset: one polyline per
 * curve (sweep/policy group), the SLM (square) and LLM (diamond) runs, and the
 * analytic random router (dashed) between them, each in its series' colour and
 * name (`styles`, shared by every chart). Up-and-left is better.
 */
export function paretoChart(table: MetricsTable, dataset: string, styles: SeriesStyles): string {
  const runs = table.runs.filter((r) => r.dataset === dataset);
  const baselines = table.baselines[dataset];
  const f: Frame = { width: 860, height: 460, left: 60, right: 250, top: 34, bottom: 44 };
  const b = plotBox(f);
  const accs = runs.map((r) => r.accuracy);
  const lo = Math.max(0, Math.min(...accs) - 0.03);
  const hi = Math.min(1, Math.max(...accs) + 0.03);
  const sx = (v: number) => b.x0 + Math.sqrt(Math.min(1, Math.max(0, v))) * (b.x1 - b.x0);
  const sy = linearScale(lo, hi, b.y0, b.y1);
  const body = axes(f, SHARE_TICKS, niceTicks(lo, hi), sx, sy, {
    x: 'LLM-token share (sqrt scale)',
    y: 'accuracy',
    fmtX: (v) => pct(v, 0),
    fmtY: (v) => pct(v, 0),
  });
  const entries: Array<{ label: string; swatch: string }> = [];

  if (baselines) {
    const pts: Array<[number, number]> = [];
    for (let i = 0; i <= ROUTER_STEPS; i++) {
      const p = i / ROUTER_STEPS;
      pts.push([sx(routerShare(p, baselines)), sy(routerAccuracy(p, baselines))]);
    }
    body.push(polyline(pts, '#888', 'router'));
    entries.push({ label: 'random router (analytic)', swatch: polyline([[0, 0], [14, 0]], '#888', 'router') });
  }

  const series = groupBySeries(
    runs.filter((r) => r.policy !== 'slm' && r.policy !== 'llm'),
    (r) => r.curve,
  );
  for (const s of series) {
    const { name, colour: c } = styles.of(s.key);
    const sorted = [...s.members].sort((a, b2) => a.share - b2.share);
    if (sorted.length > 1) body.push(polyline(sorted.map((r) => [sx(r.share), sy(r.accuracy)]), c));
    for (const r of sorted) {
      body.push(marker('circle', sx(r.share), sy(r.accuracy), c, `${r.label}: ${pct(r.accuracy)} at ${pct(r.share, 2)}`));
    }
    entries.push({ label: name, swatch: marker('circle', 7, 0, c, name) });
  }

  for (const r of runs.filter((x) => x.policy === 'slm' || x.policy === 'llm')) {
    const shape = r.policy === 'slm' ? 'square' : 'diamond';
    const c = styles.of(r.curve).colour;
    body.push(marker(shape, sx(r.share), sy(r.accuracy), c, `${r.label}: ${pct(r.accuracy)}`));
    // The LLM sits at the right edge: label it leftwards so it stays off the legend.
    const leftward = r.share > 0.5;
    body.push(
      text(sx(r.share) + (leftward ? -10 : 8), sy(r.accuracy) - 8, r.label, {
        class: 'tick',
        'text-anchor': leftward ? 'end' : 'start',
      }),
    );
    entries.push({ label: `${r.label} (${r.policy} only)`, swatch: marker(shape, 7, 0, c, r.label) });
  }

  body.push(...legend(b.x1 + 20, f.top + 10, entries));
  return svgDoc(f, `Accuracy vs LLM-token share — ${dataset}`, body);
}
