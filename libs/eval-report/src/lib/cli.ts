import { SummaryError } from './io/summary-schema';
import { formatMetricsTable } from './render/format-table';
import { writeReport } from './write-report';

/** Structurally the app's CliIo, so `relayllm report` can pass its own streams. */
export interface ReportCliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/** The default directory of `relayllm report --out`. */
export const DEFAULT_REPORT_OUT = 'report';

/** What `relayllm report` was asked for (its command line is parsed by the app's one CLI parser). */
export interface ReportArgs {
  dirs: readonly string[];
  out: string;
}

/**
 * `relayllm report <dir>... [--out DIR]`. Resolves with the exit code:
 * 0 written, 1 bad input (missing/invalid summary.json, named in the
 * message). Other errors (disk full, permissions) propagate to the app's
 * fatal handler.
 */
export async function runReport(parsed: ReportArgs, io: ReportCliIo = process): Promise<number> {
  try {
    const { table } = writeReport([...parsed.dirs], parsed.out);
    io.stdout.write(formatMetricsTable(table));
    io.stderr.write(`relayllm report: wrote ${parsed.out}/report.html\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof SummaryError)) throw error;
    io.stderr.write(`relayllm report: ${error.message}\n`);
    return 1;
  }
}
