import { curveKey, type LoadedRun } from '../metrics/table';
import { groupBySeries, pct, type SeriesStyles } from './series';
import { esc, type Frame, line, plotBox, px, svgDoc, text } from './svg';

export const POSITION_BINS = 10;

/**
 * Fraction of calls per bin of relative answer position ([0, 0.1), …, [0.9, 1]).
 * Fractions, not counts, so that runs with many and few calls compare.
 */
export function positionHistogram(positions: readonly number[], bins = POSITION_BINS): number[] {
  const counts: number[] = new Array<number>(bins).fill(0);
  for (const p of positions) counts[Math.min(bins - 1, Math.max(0, Math.floor(p * bins)))]++;
  return positions.length === 0 ? counts : counts.map((c) => c / positions.length);
}

/**
 * Where in the answer the LLM calls fall: one small histogram per series
 * (a sweep's runs pooled) that made calls, named and coloured as in every
 * chart (`styles`); single-model and call-free runs have nothing to show.
 * Same y scale for all.
 */
export function callPositionChart(runs: readonly LoadedRun[], styles: SeriesStyles): string {
  const withCalls = groupBySeries(runs, curveKey)
    .map((s) => ({ ...styles.of(s.key), positions: s.members.flatMap((r) => r.summary.call_positions) }))
    .filter((s) => s.positions.length > 0);
  const panelH = 90;
  const f: Frame = { width: 760, height: 60 + Math.max(1, withCalls.length) * (panelH + 24), left: 230, right: 30, top: 40, bottom: 20 };
  const b = plotBox(f);
  const body: string[] = [];
  if (withCalls.length === 0) {
    body.push(text(f.left, f.top + 30, 'No run made LLM calls.', { class: 'label' }));
  }
  const hists = withCalls.map((s) => positionHistogram(s.positions));
  const peak = Math.max(0.01, ...hists.flat());
  const binW = (b.x1 - b.x0) / POSITION_BINS;
  withCalls.forEach((s, i) => {
    const top = f.top + i * (panelH + 24);
    const base = top + panelH;
    body.push(text(f.left - 10, top + panelH / 2, s.name, { 'text-anchor': 'end', class: 'label' }));
    body.push(
      text(f.left - 10, top + panelH / 2 + 15, `${s.positions.length} calls`, {
        'text-anchor': 'end',
        class: 'tick',
      }),
    );
    hists[i].forEach((h, bin) => {
      const height = (h / peak) * (panelH - 8);
      const tip = `${s.name}: ${pct(h)} of calls at ${bin * 10}–${(bin + 1) * 10}% of the answer`;
      body.push(
        `<rect x="${px(b.x0 + bin * binW + 1)}" y="${px(base - height)}" width="${px(binW - 2)}" ` +
          `height="${px(height)}" fill="${s.colour}"><title>${esc(tip)}</title></rect>`,
      );
    });
    body.push(line(b.x0, base, b.x1, base, 'axis'));
    for (const t of [0, 0.5, 1]) {
      body.push(text(b.x0 + t * (b.x1 - b.x0), base + 14, pct(t, 0), { 'text-anchor': 'middle', class: 'tick' }));
    }
  });
  body.push(text((b.x0 + b.x1) / 2, f.height - 6, 'position of the call in the answer (relative)', {
    'text-anchor': 'middle',
    class: 'label',
  }));
  return svgDoc(f, 'Where the LLM calls fall', body);
}
