import type { LoadedRun } from '../metrics/table';
import { pct } from './series';
import { axes, colour, esc, type Frame, legend, linearScale, plotBox, px, svgDoc } from './svg';

/** Level keys in natural order ("2" before "10", "Level 2" before "Level 10"). */
export function sortLevels(levels: Iterable<string>): string[] {
  return [...new Set(levels)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * Accuracy per difficulty level: one group of bars per level, one bar per run
 * (same colour per run across groups). Runs without a level simply have no bar
 * there; n is in each bar's tooltip, because small levels are noisy.
 */
export function levelChart(runs: readonly LoadedRun[]): string {
  const levels = sortLevels(runs.flatMap((r) => Object.keys(r.summary.by_level)));
  const bars = Math.max(1, runs.length);
  const groupWidth = Math.max(60, bars * 14 + 16);
  const f: Frame = {
    width: Math.max(520, 70 + levels.length * groupWidth + 250),
    height: 380,
    left: 60,
    right: 250,
    top: 34,
    bottom: 44,
  };
  const b = plotBox(f);
  const sy = linearScale(0, 1, b.y0, b.y1);
  const slot = (b.x1 - b.x0) / Math.max(1, levels.length);
  const barW = Math.min(24, (slot - 16) / bars);
  const levelX = (i: number) => b.x0 + slot * i + slot / 2;
  const body = axes(
    f,
    [],
    [0, 0.2, 0.4, 0.6, 0.8, 1],
    () => 0,
    sy,
    { x: 'level', y: 'accuracy', fmtX: String, fmtY: (v) => pct(v, 0) },
  );
  levels.forEach((level, li) => {
    const left = levelX(li) - (barW * bars) / 2;
    runs.forEach((r, ri) => {
      const cell = r.summary.by_level[level];
      if (!cell) return;
      const x = left + ri * barW;
      const tip = `${r.summary.label}, level ${level}: ${pct(cell.accuracy)} (n=${cell.n})`;
      body.push(
        `<rect x="${px(x)}" y="${px(sy(cell.accuracy))}" width="${px(Math.max(1, barW - 2))}" ` +
          `height="${px(b.y0 - sy(cell.accuracy))}" fill="${colour(ri)}"><title>${esc(tip)}</title></rect>`,
      );
    });
    body.push(
      `<text x="${px(levelX(li))}" y="${px(b.y0 + 17)}" text-anchor="middle" class="tick">${esc(level)}</text>`,
    );
  });
  const entries = runs.map((r, i) => ({
    label: r.summary.label,
    swatch: `<rect x="0" y="-5" width="12" height="10" fill="${colour(i)}"/>`,
  }));
  body.push(...legend(b.x1 + 20, f.top + 10, entries));
  return svgDoc(f, 'Accuracy per level', body);
}
