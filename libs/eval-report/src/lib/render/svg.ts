/**
 * Minimal SVG building blocks. Charts are plain strings so that the report has
 * no runtime dependency and no script: the same markup is written as a
 * standalone .svg file and inlined into report.html.
 */
export const SVG_NS = 'http://www.w3.org/2000/svg';

/** Colour-blind-safe categorical palette (Okabe–Ito, then Tableau extras). */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#D55E00',
  '#56B4E9',
  '#8C564B',
  '#7F7F7F',
  '#BCBD22',
  '#17BECF',
] as const;

export function colour(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** Escapes text and attribute values (labels come from user-written summaries). */
export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Coordinates with 2 decimals: enough for pixels, keeps files small and diffable. */
export function px(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0';
}

export type Scale = (v: number) => number;

export function linearScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

/** "Nice" ticks (1, 2, 5 × 10^k steps) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
    ticks.push(Math.round(t / step) * step);
  }
  return ticks;
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Plot area in pixels. */
export function plotBox(f: Frame): { x0: number; x1: number; y0: number; y1: number } {
  return { x0: f.left, x1: f.width - f.right, y0: f.height - f.bottom, y1: f.top };
}

export function text(
  x: number,
  y: number,
  content: string,
  attrs: Record<string, string | number> = {},
): string {
  const extra = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${esc(String(v))}"`)
    .join('');
  return `<text x="${px(x)}" y="${px(y)}"${extra}>${esc(content)}</text>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, cls: string): string {
  return `<line class="${cls}" x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}"/>`;
}

export function polyline(points: ReadonlyArray<[number, number]>, stroke: string, cls = 'series'): string {
  const d = points.map(([x, y]) => `${px(x)},${px(y)}`).join(' ');
  return `<polyline class="${cls}" fill="none" stroke="${stroke}" points="${d}"/>`;
}

/** Axes, grid and tick labels; `fmtX`/`fmtY` turn a tick value into its label. */
export function axes(
  f: Frame,
  xTicks: number[],
  yTicks: number[],
  sx: Scale,
  sy: Scale,
  labels: { x: string; y: string; fmtX: (v: number) => string; fmtY: (v: number) => string },
): string[] {
  const b = plotBox(f);
  const out: string[] = [];
  for (const t of yTicks) {
    out.push(line(b.x0, sy(t), b.x1, sy(t), 'grid'));
    out.push(text(b.x0 - 6, sy(t) + 4, labels.fmtY(t), { 'text-anchor': 'end', class: 'tick' }));
  }
  for (const t of xTicks) {
    out.push(line(sx(t), b.y0, sx(t), b.y0 + 4, 'axis'));
    out.push(text(sx(t), b.y0 + 17, labels.fmtX(t), { 'text-anchor': 'middle', class: 'tick' }));
  }
  out.push(line(b.x0, b.y0, b.x1, b.y0, 'axis'), line(b.x0, b.y0, b.x0, b.y1, 'axis'));
  out.push(text((b.x0 + b.x1) / 2, f.height - 8, labels.x, { 'text-anchor': 'middle', class: 'label' }));
  const yMid = (b.y0 + b.y1) / 2;
  out.push(
    text(14, yMid, labels.y, { 'text-anchor': 'middle', class: 'label', transform: `rotate(-90 14 ${px(yMid)})` }),
  );
  return out;
}

/** Characters of a legend line: what the charts' 250 px right margin holds at the legend's 12 px. */
export const LEGEND_LINE_CHARS = 32;

/**
 * A label cut into lines of at most `width` characters, before a space or
 * after a comma (a piece longer than that keeps its own line): a sweep's curve
 * name lists its values (`relay (call_bias = -4, -3, -2, -1, 0, 0.5, 1)`) and
 * a run label its parameters (`sft:uncertainty(threshold=0.3,k=4)`); either
 * would run off the chart. The lines concatenate to the label (a line may
 * start with the space it was cut before, which SVG does not draw).
 */
export function wrapLabel(label: string, width = LEGEND_LINE_CHARS): string[] {
  const lines: string[] = [];
  let current = '';
  for (const piece of label.split(/(?= )|(?<=,)/)) {
    if (current.trim() !== '' && current.length + piece.length > width) {
      lines.push(current);
      current = piece;
    } else {
      current += piece;
    }
  }
  lines.push(current);
  return lines;
}

/** The height `legend` stacks its entries in. */
export function legendHeight(labels: readonly string[]): number {
  return labels.reduce((h, label) => h + 18 + (wrapLabel(label).length - 1) * 14, 0);
}

/** Legend entries stacked at (x, y), long labels wrapped (continued lines indented); `marker` draws the swatch. */
export function legend(x: number, y: number, entries: ReadonlyArray<{ label: string; swatch: string }>): string[] {
  let ly = y;
  return entries.map((e) => {
    const lines = wrapLabel(e.label);
    const label = lines.map((l, i) => text(i === 0 ? 18 : 26, 4 + i * 14, l, { class: 'legend' })).join('');
    const entry = `<g transform="translate(${px(x)} ${px(ly)})">${e.swatch}${label}</g>`;
    ly += 18 + (lines.length - 1) * 14;
    return entry;
  });
}

const STYLE = [
  'text{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;fill:#222}',
  '.tick{font-size:11px;fill:#555}',
  '.label{font-size:12px}',
  '.legend{font-size:12px}',
  '.title{font-size:14px;font-weight:600}',
  '.grid{stroke:#e6e6e6;stroke-width:1}',
  '.axis{stroke:#333;stroke-width:1}',
  '.series{stroke-width:2}',
  '.router{stroke-width:1.5;stroke-dasharray:6 4}',
].join('');

/** A complete standalone SVG document (no XML declaration, so it also inlines into HTML). */
export function svgDoc(f: Frame, title: string, body: readonly string[]): string {
  return [
    `<svg xmlns="${SVG_NS}" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img">`,
    `<title>${esc(title)}</title>`,
    `<style>${STYLE}</style>`,
    `<rect width="${f.width}" height="${f.height}" fill="#fff"/>`,
    text(f.left, 18, title, { class: 'title' }),
    ...body,
    '</svg>',
  ].join('\n');
}
