// Pure metrics (PGR, APGR, analytic random router, comparisons): no fs.
export * from './lib/metrics';
// Rendering (pure: strings in, strings out).
export { paretoChart } from './lib/render/pareto-chart';
export { levelChart } from './lib/render/level-chart';
export { callPositionChart, positionHistogram } from './lib/render/call-position-chart';
export { formatMetricsTable } from './lib/render/format-table';
export { SeriesStyles, type SeriesStyle } from './lib/render/series';
export { reportHtml, type Figure } from './lib/render/html';
// fs: reading summaries, writing the report, the CLI.
export { parseSummary, SummaryError } from './lib/io/summary-schema';
export { readRunDir, readRuns, SUMMARY_FILE } from './lib/io/read-summaries';
export { reportFigures, writeReport, type ReportResult } from './lib/write-report';
export { DEFAULT_REPORT_OUT, runReport, type ReportArgs, type ReportCliIo } from './lib/cli';
