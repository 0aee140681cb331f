import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_REPORT_OUT } from '@relayllm/eval-report';
import type { ConfigKey } from '../app/config';

export const USAGE = `Usage:
  relayllm generate "<prompt>" [--policy relay|slm|llm] [--json] [--max-tokens N]
                    [--temperature T] [--seed S] [--max-turns N] [--call-bias=X]
                    [--confidence-floor T [--floor-tokens K]] [model flags]
      Runs one generation in this process and prints the answer, LLM-written
      spans marked (colour on a terminal, [[...]] otherwise), and a usage line.
      --json prints the response object of the gRPC API instead. --max-turns N:
      the SLM makes at most N - 1 calls (default 5). --call-bias=X (in [-10, 10])
      adds X to the logit of the SLM's command-opening token: > 0 calls the LLM
      more often, < 0 less (write negative values with =). --confidence-floor T
      (in [0, 1]) also calls the LLM for K tokens (--floor-tokens, default 4)
      wherever the SLM is less sure than T of a token it writes; its calls count
      as turns, so raise --max-turns with it.
  relayllm serve [--port 50051] [--host 127.0.0.1] [--http-port 8080] [--demo] [model flags]
      Serves relayllm.v1.RelayService (plus health and reflection) on the
      embedded engines until SIGINT/SIGTERM. --http-port also serves the
      OpenAI-compatible API (/v1/chat/completions, /v1/completions, /v1/models)
      and the playground page (/) on that port, same host. --demo first prints
      one sample generation made through the gRPC API.
  relayllm report DIR... [--out DIR]
      Combines eval runs (a run directory with summary.json, or a sweep directory
      of them): PGR, APGR, teacher share for PGR 0.5/0.8, cost reduction and
      accuracy edge against the analytic random router; writes report.html +
      SVG charts to --out (default ./report) and prints the metrics table.
  relayllm eval --dataset FILE.jsonl --policy NAME --out DIR [--limit N] [--concurrency C]
                [--target HOST:PORT] [--resume] [--sweep V1,V2,...] [--max-tokens N]
                [--temperature T] [--seed S] [--model-label NAME] [model flags] [policy options]
      Runs a policy over a dataset (embedded, or against a server with --target);
      per-item results in DIR/results.jsonl, the summary in DIR/summary.json, what
      made them in DIR/run.json (--resume refuses a DIR made by other models,
      dataset, policy, max tokens or temperature).
      Policies: relay [--call-bias=X] [--max-turns N] [--max-llm-tokens-per-call N]
      [--hide-commands] | slm | llm | random-router
      --p P | uncertainty --threshold T --k K [--entropy] | relay-floor --threshold T
      --k K | fixed --k K | teacher-free.
      relay-floor is the relay with the request's confidence floor (T, K tokens a call)
      and 64 turns: the SLM's own commands, and a K-token call wherever it is less sure
      than T of a token it writes. --hide-commands is an eval-only diagnostic: it hides
      the SLM's own commands from its context (the protocol keeps them; embedded
      engines only).
      --sweep runs random-router over P values, uncertainty and relay-floor over T
      values or relay over call_bias values (--sweep=-2,0,2; one sub-directory each).
      See libs/eval/README.md.
  relayllm help

Model flags (default: the reference pair in models/reference):
  --slm MODEL --llm MODEL   a .gguf file (llama.cpp in this process) or the URL of an
                            OpenAI-compatible server: http://host:8000/v1[#served-model-name]
  --models DIR              DIR/slm.gguf and DIR/llm.gguf
  --chat-template FILE      a tokenizer_config.json or .jinja file: overrides the SLM's own
                            template (needed for servers: /v1/completions does not expose it)

Settings also come from RELAYLLM_* environment variables (apps/relayllm/README.md).`;

/** A command line that cannot be run; printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface GenerateArgs {
  command: 'generate';
  prompt: string;
  policy: string;
  json: boolean;
  maxTokens?: string;
  temperature?: string;
  seed?: string;
  /** `--max-turns N`: the request's limits.max_turns. */
  maxTurns?: string;
  /** `--call-bias=X`: the request's call_bias (checked by the core, which names the field). */
  callBias?: string;
  /** `--confidence-floor T`: the request's confidence floor threshold. */
  confidenceFloor?: string;
  /** `--floor-tokens K`: the floor's call length (only with --confidence-floor). */
  floorTokens?: string;
}

export interface ServeArgs {
  command: 'serve';
  demo: boolean;
}

export interface EvalArgs {
  command: 'eval';
  dataset: string;
  policy: string;
  out: string;
  limit?: string;
  concurrency?: string;
  target?: string;
  resume: boolean;
  sweep?: string;
  maxTokens?: string;
  temperature?: string;
  seed?: string;
  p?: string;
  threshold?: string;
  k?: string;
  entropy: boolean;
  /** `--call-bias=X` (relay): the call_bias of every request. */
  callBias?: string;
  /** `--hide-commands` (relay, eval-only diagnostic): the SLM's commands are removed from its own context. */
  hideCommands: boolean;
  /** `--max-turns N` (relay): the limits.max_turns of every request. */
  maxTurns?: string;
  /** `--max-llm-tokens-per-call N` (relay): the limits.max_llm_tokens_per_call of every request. */
  maxLlmTokensPerCall?: string;
  /** `--model-label NAME`: names the checkpoint in summary.json (`model`) and the run's label. */
  modelLabel?: string;
}

export interface ReportCommand {
  command: 'report';
  dirs: string[];
  out: string;
}

export type CliCommand = GenerateArgs | ServeArgs | EvalArgs | ReportCommand | { command: 'help' };

export interface ParsedCli {
  command: CliCommand;
  /** Flags that are configuration settings (validated by loadConfig with the environment). */
  configFlags: Partial<Record<ConfigKey, string>>;
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true } as const);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;

/** The flags that choose the model pair, on every command that runs models. */
const MODEL_FLAGS = { models: str, slm: str, llm: str, 'chat-template': str } as const;

function modelFlags(values: { models?: string; slm?: string; llm?: string; 'chat-template'?: string }): Partial<Record<ConfigKey, string>> {
  return definedOnly({ modelsDir: values.models, slmModel: values.slm, llmModel: values.llm, chatTemplate: values['chat-template'] });
}

export function parseCli(argv: string[]): ParsedCli {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return { command: { command: 'help' }, configFlags: {} };
  if (name === 'generate') return parseGenerate(rest);
  if (name === 'serve') return parseServe(rest);
  if (name === 'eval') return parseEval(rest);
  if (name === 'report') return { command: parseReport(rest), configFlags: {} };
  throw new UsageError(`unknown command ${name}`);
}

function parseGenerate(args: string[]): ParsedCli {
  const { values, positionals } = parse(args, {
    policy: str,
    json: bool,
    'max-tokens': str,
    temperature: str,
    seed: str,
    'max-turns': str,
    'call-bias': str,
    'confidence-floor': str,
    'floor-tokens': str,
    ...MODEL_FLAGS,
  });
  if (positionals.length !== 1) throw new UsageError('generate takes exactly one prompt argument (quote it)');
  if (values['floor-tokens'] !== undefined && values['confidence-floor'] === undefined) throw new UsageError('--floor-tokens goes with --confidence-floor');
  const command: GenerateArgs = {
    command: 'generate',
    prompt: positionals[0] ?? '',
    policy: values.policy ?? 'relay',
    json: values.json === true,
    maxTokens: values['max-tokens'],
    temperature: values.temperature,
    seed: values.seed,
    maxTurns: values['max-turns'],
    callBias: values['call-bias'],
    confidenceFloor: values['confidence-floor'],
    floorTokens: values['floor-tokens'],
  };
  return { command, configFlags: modelFlags(values) };
}

function parseServe(args: string[]): ParsedCli {
  const { values, positionals } = parse(args, { port: str, host: str, 'http-port': str, demo: bool, ...MODEL_FLAGS });
  if (positionals.length > 0) throw new UsageError(`serve takes no arguments, got ${positionals.join(' ')}`);
  return {
    command: { command: 'serve', demo: values.demo === true },
    configFlags: { ...modelFlags(values), ...definedOnly({ port: values.port, host: values.host, httpPort: values['http-port'] }) },
  };
}

function parseEval(args: string[]): ParsedCli {
  const { values, positionals } = parse(args, {
    dataset: str,
    policy: str,
    out: str,
    limit: str,
    concurrency: str,
    target: str,
    resume: bool,
    sweep: str,
    'max-tokens': str,
    temperature: str,
    seed: str,
    ...MODEL_FLAGS,
    p: str,
    threshold: str,
    k: str,
    entropy: bool,
    'call-bias': str,
    'hide-commands': bool,
    'max-turns': str,
    'max-llm-tokens-per-call': str,
    'model-label': str,
  });
  if (positionals.length > 0) throw new UsageError(`eval takes no arguments, got ${positionals.join(' ')}`);
  for (const flag of ['dataset', 'policy', 'out'] as const) {
    if (values[flag] === undefined || values[flag] === '') throw new UsageError(`eval needs --${flag}`);
  }
  const command: EvalArgs = {
    command: 'eval',
    dataset: values.dataset ?? '',
    policy: values.policy ?? '',
    out: values.out ?? '',
    limit: values.limit,
    concurrency: values.concurrency,
    target: values.target,
    resume: values.resume === true,
    sweep: values.sweep,
    maxTokens: values['max-tokens'],
    temperature: values.temperature,
    seed: values.seed,
    p: values.p,
    threshold: values.threshold,
    k: values.k,
    entropy: values.entropy === true,
    callBias: values['call-bias'],
    hideCommands: values['hide-commands'] === true,
    maxTurns: values['max-turns'],
    maxLlmTokensPerCall: values['max-llm-tokens-per-call'],
    modelLabel: values['model-label'],
  };
  return { command, configFlags: modelFlags(values) };
}

function parseReport(args: string[]): ReportCommand | { command: 'help' } {
  const { values, positionals } = parse(args, { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } });
  if (values.help === true) return { command: 'help' };
  if (positionals.length === 0) throw new UsageError('report needs at least one run directory');
  if (values.out === '') throw new UsageError('--out needs a directory');
  return { command: 'report', dirs: positionals, out: values.out ?? DEFAULT_REPORT_OUT };
}

function definedOnly(flags: Partial<Record<ConfigKey, string | undefined>>): Partial<Record<ConfigKey, string>> {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)) as Partial<Record<ConfigKey, string>>;
}
