import { wireErrorMessage, wireFieldPath } from '@relayllm/grpc-api';
import { DatasetError, PolicyError, ResumeMismatchError } from '@relayllm/eval';
import { ModelLoadError } from '@relayllm/llama-cpp';
import { isRelayError } from '@relayllm/relay-core';
import { CONFIG_ENV, ConfigError } from '../app/config';
import { UsageError } from './args';
import { ListenError } from './serve';

/**
 * The message and exit code for an error that ends the CLI. Expected failures
 * (bad usage or configuration, a missing or corrupt model file, a port in use,
 * a rejected request) get one clear line and no stack trace; only a bug shows
 * its stack. Exit codes: 2 = the command line or configuration is wrong,
 * 1 = anything else.
 */
export function describeFatal(error: unknown): { message: string; exitCode: number } {
  if (error instanceof UsageError) return { message: `${error.message}\nRun \`relayllm help\` for usage.`, exitCode: 2 };
  if (error instanceof ConfigError) return { message: error.message, exitCode: 2 };
  if (error instanceof DatasetError) return { message: error.message, exitCode: 2 };
  if (error instanceof ResumeMismatchError) return { message: error.message, exitCode: 2 };
  if (error instanceof PolicyError) return { message: `${error.message}\nRun \`relayllm help\` for usage.`, exitCode: 2 };
  if (error instanceof ModelLoadError) {
    const hint = `choose the models with --slm FILE.gguf / --llm FILE.gguf (${CONFIG_ENV.slmModel} / ${CONFIG_ENV.llmModel}), or a directory holding slm.gguf and llm.gguf with --models DIR (${CONFIG_ENV.modelsDir})`;
    return { message: `${error.message}\n  ${hint}`, exitCode: 1 };
  }
  if (error instanceof ListenError) return { message: error.message, exitCode: 1 };
  if (isRelayError(error)) {
    const field = error.field === undefined ? '' : `${wireFieldPath(error.field)}: `;
    return { message: `${error.kind}: ${field}${wireErrorMessage(error.message, error.field)} (${error.reason})`, exitCode: error.kind === 'invalid_argument' ? 2 : 1 };
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { message: `unexpected error: ${detail}`, exitCode: 1 };
}
