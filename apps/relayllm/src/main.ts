import { runReport } from '@relayllm/eval-report';
import { loadApiSecurity, loadConfig, loadObservabilityConfig } from './app/config';
import { parseCli, USAGE } from './cli/args';
import { describeFatal } from './cli/fatal';
import { runEvalCommand } from './cli/eval';
import { runGenerate } from './cli/generate';
import { watchOutput, type CliIo } from './cli/io';
import { runServe } from './cli/serve';
import { shutdownSignals } from './cli/signals';

/**
 * Runs one command line; resolves with the exit code. Throws only for fatal
 * errors (see describeFatal). `outputClosed` stops the command like Ctrl-C
 * does, when nobody reads its stdout any more.
 */
export async function runCli(argv: string[], io: CliIo, outputClosed: AbortSignal = new AbortController().signal): Promise<number> {
  const { command, configFlags } = parseCli(argv);
  if (command.command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // `report` only reads run directories: no models, no configuration.
  if (command.command === 'report') return runReport(command, io);
  // The one read of the configuration (flags > RELAYLLM_* > defaults).
  const config = loadConfig({ flags: configFlags });
  const signals = shutdownSignals((signal) => {
    io.stderr.write(`relayllm: ${signal} again, exiting now\n`);
    process.exit(130);
  });
  const stop = AbortSignal.any([signals.signal, outputClosed]);
  try {
    if (command.command === 'eval') return await runEvalCommand(command, config, io, stop);
    return command.command === 'generate'
      ? await runGenerate(command, config, io, stop)
      : await runServe(command, config, io, stop, { observability: loadObservabilityConfig(), security: loadApiSecurity() });
  } finally {
    signals.dispose();
  }
}

/**
 * Entry point of bin/relayllm.cjs. When stdout's reader goes away
 * (`relayllm generate … | head -1`) the command is cancelled and exits 0
 * quietly: the reader took what it wanted, which is not a failure (and 141,
 * the shell's SIGPIPE code, would fail `set -o pipefail` scripts for it).
 */
export async function main(argv: string[]): Promise<void> {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr };
  const output = watchOutput(process.stdout, process.stderr);
  try {
    const exitCode = await runCli(argv, io, output.closed);
    process.exitCode = output.closed.aborted ? 0 : exitCode;
  } catch (error) {
    // Whatever the cancellation caused after the reader left is nobody's business on a closed pipe.
    if (output.closed.aborted) {
      process.exitCode = 0;
      return;
    }
    const { message, exitCode } = describeFatal(error);
    io.stderr.write(`relayllm: ${message}\n`);
    process.exitCode = exitCode;
  }
}
