import { runReport } from '@relayllm/eval-report';
import { loadApiSecurity, loadConfig, loadObservabilityConfig } from './app/config';
import { parseCli, USAGE } from './cli/args';
import { describeFatal } from './cli/fatal';
import { runEvalCommand } from './cli/eval';
import { runGenerate } from './cli/generate';
import type { CliIo } from './cli/io';
import { runServe } from './cli/serve';
import { shutdownSignals } from './cli/signals';

/** Runs one command line; resolves with the exit code. Throws only for fatal errors (see describeFatal). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
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
  try {
    if (command.command === 'eval') return await runEvalCommand(command, config, io, signals.signal);
    return command.command === 'generate'
      ? await runGenerate(command, config, io, signals.signal)
      : await runServe(command, config, io, signals.signal, { observability: loadObservabilityConfig(), security: loadApiSecurity() });
  } finally {
    signals.dispose();
  }
}

/** Entry point of bin/relayllm.cjs. */
export async function main(argv: string[]): Promise<void> {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr };
  try {
    process.exitCode = await runCli(argv, io);
  } catch (error) {
    const { message, exitCode } = describeFatal(error);
    io.stderr.write(`relayllm: ${message}\n`);
    process.exitCode = exitCode;
  }
}
