import type { MetricsTable } from '../metrics/table';
import { CURVE_COLUMNS, curveRows, RUN_COLUMNS, runRows } from './format-table';
import { esc } from './svg';

export interface Figure {
  title: string;
  file: string;
  svg: string;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f4f4f4}
figure{margin:1rem 0;overflow-x:auto}figcaption{font-size:.85rem;color:#555}
.notes{color:#8a4b00}code{font-size:.85rem}
`;

function htmlTable(head: readonly string[], rows: readonly string[][]): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * The whole report as one self-contained page: CSS inline, charts inline as
 * SVG, no scripts, fonts or network references, so it opens offline and can be
 * attached to a paper review as a single file.
 */
export function reportHtml(table: MetricsTable, figures: readonly Figure[], inputs: readonly string[]): string {
  const notes =
    table.notes.length === 0
      ? ''
      : `<ul class="notes">${table.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<title>RelayLLM eval report</title>
<style>${CSS}</style>
</head>
<body>
<h1>RelayLLM eval report</h1>
<p>Inputs: ${inputs.map((d) => `<code>${esc(d)}</code>`).join(', ')}</p>
${notes}
<h2>Runs</h2>
${htmlTable(RUN_COLUMNS, runRows(table))}
<p>PGR = (acc − acc<sub>slm</sub>) / (acc<sub>llm</sub> − acc<sub>slm</sub>). Cost reduction: 1 − share / share of the
analytic random router with the same accuracy. Edge: accuracy − accuracy of the router with the same LLM-token share.</p>
<h2>Curves</h2>
${table.curves.length === 0 ? '<p>No curves.</p>' : htmlTable(CURVE_COLUMNS, curveRows(table))}
<p>APGR: area under PGR vs LLM-token share through (0, 0), the curve's runs and (1, 1) (random router ≈ 0.5).
Share @PGR: smallest share reaching that PGR along (0, 0) and the curve's runs.</p>
${figures
  .map((f) => `<h2>${esc(f.title)}</h2>\n<figure>\n${f.svg}\n<figcaption>Also as <code>${esc(f.file)}</code>.</figcaption>\n</figure>`)
  .join('\n')}
</body>
</html>
`;
}
