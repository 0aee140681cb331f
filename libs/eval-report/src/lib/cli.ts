import { SummaryError } from './io/summary-schema';
import { formatMetricsTable } from './render/format-table';
import { writeReport } from './write-report';

/** Structurally the app's CliIo, so `relayllm report` can pass its own streams. */
export interface ReportCliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

export const REPORT_USAGE = `usage: relayllm report <dir>... [--out DIR]

  <dir>      a run directory (with summary.json) or a sweep directory
             (sub-directories each with summary.json); several allowed
  --out DIR  where report.html, report.json and the .svg figures go
             (default: ./report)

Prints the metrics table (accuracy, LLM-token share, PGR, cost reduction and
accuracy edge against the analytic random router, APGR per curve) to stdout.`;

export const DEFAULT_REPORT_OUT = 'report';

class UsageError extends Error {}

export interface ReportArgs {
  dirs: string[];
  out: string;
  help: boolean;
}

/** Parses the arguments after `report`. */
export function parseReportArgs(args: readonly string[]): ReportArgs {
  const dirs: string[] = [];
  let out: string | undefined;
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-h' || a === '--help') help = true;
    else if (a === '--out' || a === '-o') {
      const v = args[++i];
      if (v === undefined || v === '') throw new UsageError(`${a} needs a directory`);
      out = v;
    } else if (a.startsWith('--out=')) {
      out = a.slice('--out='.length);
      if (out === '') throw new UsageError('--out needs a directory');
    } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
    else dirs.push(a);
  }
  if (!help && dirs.length === 0) throw new UsageError('at least one run directory is needed');
  return { dirs, out: out ?? DEFAULT_REPORT_OUT, help };
}

/**
 * `relayllm report <dir>... [--out DIR]`. Resolves with the exit code:
 * 0 written, 1 bad input (missing/invalid summary.json, named in the message),
 * 2 bad arguments. Other errors (disk full, permissions) propagate to the
 * app's fatal handler.
 */
export async function runReportCli(args: string[], io: ReportCliIo = process): Promise<number> {
  let parsed: ReportArgs;
  try {
    parsed = parseReportArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`relayllm report: ${error.message}\n${REPORT_USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    io.stdout.write(`${REPORT_USAGE}\n`);
    return 0;
  }
  try {
    const { table } = writeReport(parsed.dirs, parsed.out);
    io.stdout.write(formatMetricsTable(table));
    io.stderr.write(`relayllm report: wrote ${parsed.out}/report.html\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof SummaryError)) throw error;
    io.stderr.write(`relayllm report: ${error.message}\n`);
    return 1;
  }
}
