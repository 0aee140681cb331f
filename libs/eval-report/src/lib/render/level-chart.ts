import { curveKey, type LoadedRun } from '../metrics/table';
import { groupBySeries, pct, type SeriesStyles } from './series';
import { axes, esc, type Frame, legend, legendHeight, linearScale, plotBox, px, svgDoc } from './svg';

/** Level keys in natural order ("2" before "10", "Level 2" before "Level 10"). */
export function sortLevels(levels: Iterable<string>): string[] {
  return [...new Set(levels)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * Each run's fill: its series' colour (`styles`, the same in every chart); the
 * runs of a curve of several (a sweep) from light to full strength in order.
 */
function runFills(runs: readonly LoadedRun[], styles: SeriesStyles): Array<{ colour: string; opacity: number }> {
  const fills = new Map<LoadedRun, { colour: string; opacity: number }>();
  for (const { key, members } of groupBySeries(runs, curveKey)) {
    const { colour } = styles.of(key);
    members.forEach((run, i) => fills.set(run, { colour, opacity: members.length === 1 ? 1 : 0.35 + (0.65 * i) / (members.length - 1) }));
  }
  return runs.map((run) => fills.get(run) as { colour: string; opacity: number });
}

/**
 * Accuracy per difficulty level: one group of bars per level, one bar per run
 * (same fill per run across groups: its series' colour, see runFills). Runs
 * without a level simply have no bar there; n is in each bar's tooltip,
 * because small levels are noisy.
 */
export function levelChart(runs: readonly LoadedRun[], styles: SeriesStyles): string {
  const levels = sortLevels(runs.flatMap((r) => Object.keys(r.summary.by_level)));
  const bars = Math.max(1, runs.length);
  const groupWidth = Math.max(60, bars * 14 + 16);
  const f: Frame = {
    width: Math.max(520, 70 + levels.length * groupWidth + 250),
    // Tall enough for the legend: one entry per run, long labels wrapped.
    height: Math.max(380, 34 + 10 + legendHeight(runs.map((r) => r.summary.label)) + 10),
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
  const fills = runFills(runs, styles);
  const fill = (i: number): string => `fill="${fills[i].colour}"${fills[i].opacity === 1 ? '' : ` fill-opacity="${px(fills[i].opacity)}"`}`;
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
          `height="${px(b.y0 - sy(cell.accuracy))}" ${fill(ri)}><title>${esc(tip)}</title></rect>`,
      );
    });
    body.push(
      `<text x="${px(levelX(li))}" y="${px(b.y0 + 17)}" text-anchor="middle" class="tick">${esc(level)}</text>`,
    );
  });
  const entries = runs.map((r, i) => ({
    label: r.summary.label,
    swatch: `<rect x="0" y="-5" width="12" height="10" ${fill(i)}/>`,
  }));
  body.push(...legend(b.x1 + 20, f.top + 10, entries));
  return svgDoc(f, 'Accuracy per level', body);
}
