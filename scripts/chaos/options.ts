/** The command line of `npm run chaos` (pure). */
import { Policy } from '@relayllm/proto';
import { ChaosUsageError, DEFAULT_FAULTS, parseFaultList, type FaultSpec } from './fault-spec';

export interface ChaosOptions {
  readonly faults: readonly FaultSpec[];
  /** Generations per run (the baseline and the faulted run each). */
  readonly n: number;
  readonly concurrency: number;
  /** Seeds the fault timing and the victim worker. */
  readonly seed: number;
  readonly maxTokens: number;
  /** Each generation's deadline (the client's gRPC deadline). */
  readonly deadlineMs: number;
  /** Who decodes: the relay (default), or the LLM alone (every token through NATS and the LLM workers). */
  readonly policy: Policy;
  /** `--json` alone: JSON on stdout instead of the table; `--json FILE`: the table on stdout and JSON in FILE. */
  readonly json: { readonly to: 'stdout' } | { readonly to: 'file'; readonly path: string } | undefined;
  /** Plain NATS, Redis and SLM streams instead of the generated credentials and TLS of `npm run cluster`. */
  readonly insecure: boolean;
  /** A folder for each process's output (its last 64 KB) after each row: `<dir>/<fault>/<process>.log`. */
  readonly logs: string | undefined;
  readonly help: boolean;
}

export const CHAOS_USAGE = `npm run chaos -- [options]
  --faults a,b        faults to run (default: ${DEFAULT_FAULTS.join(',')})
                      each <target>-<action>[-<duration>]: target llm|slm|nats|redis, action kill|freeze
  --n N               generations per run, baseline and faulted each (default 200)
  --concurrency C     generations in flight (default 32)
  --seed S            seeds when each fault strikes and which worker (default 1)
  --max-tokens T      max_tokens of each generation (default 128)
  --deadline-ms D     deadline of each generation (default 30000)
  --policy P          relay (default) | llm-only (every token from the LLM workers)
  --json [FILE]       JSON: to FILE (the table still prints), or alone: on stdout instead of the table
  --insecure          plain NATS, Redis and SLM streams (default: generated credentials and TLS, as npm run cluster)
  --logs DIR          each process's output (last 64 KB) after each row, in DIR/<fault>/<process>.log
  --help`;

const DEFAULTS = { n: 200, concurrency: 32, seed: 1, maxTokens: 128, deadlineMs: 30_000, policy: Policy.POLICY_RELAY } as const;

const POLICIES: Readonly<Record<string, Policy>> = { relay: Policy.POLICY_RELAY, 'llm-only': Policy.POLICY_LLM_ONLY };

function policyFlag(raw: string | undefined): Policy {
  const policy = raw === undefined ? undefined : POLICIES[raw];
  if (policy === undefined) throw new ChaosUsageError(`--policy: "${raw ?? ''}" is not one of ${Object.keys(POLICIES).join(', ')}`);
  return policy;
}

function integerFlag(flag: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined || raw.startsWith('--')) throw new ChaosUsageError(`${flag}: needs a value`);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new ChaosUsageError(`${flag}: "${raw}" is not an integer in [${min}, ${max}]`);
  return value;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Parses `argv` (without node and the script); throws ChaosUsageError naming the flag. `--flag=value` works too. */
export function parseChaosArgs(argv: readonly string[]): ChaosOptions {
  const args = argv.flatMap((arg) => (arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg]));
  const options: Mutable<ChaosOptions> = { faults: parseFaultList(DEFAULT_FAULTS.join(',')), ...DEFAULTS, json: undefined, insecure: false, logs: undefined, help: false };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const value = (): string | undefined => args[++i];
    switch (flag) {
      case '--faults': {
        const list = value();
        if (list === undefined) throw new ChaosUsageError('--faults: needs a value');
        options.faults = parseFaultList(list);
        break;
      }
      case '--n': options.n = integerFlag(flag, value(), 1, 100_000); break;
      case '--concurrency': options.concurrency = integerFlag(flag, value(), 1, 1_024); break;
      case '--seed': options.seed = integerFlag(flag, value(), 0, 2 ** 32 - 1); break;
      case '--max-tokens': options.maxTokens = integerFlag(flag, value(), 1, 2_048); break;
      case '--deadline-ms': options.deadlineMs = integerFlag(flag, value(), 100, 3_600_000); break;
      case '--policy': options.policy = policyFlag(value()); break;
      case '--json': {
        const next = args[i + 1];
        options.json = next === undefined || next.startsWith('--') ? { to: 'stdout' } : { to: 'file', path: (i++, next) };
        break;
      }
      case '--insecure': options.insecure = true; break;
      case '--logs': {
        const dir = value();
        if (dir === undefined || dir.startsWith('--')) throw new ChaosUsageError('--logs: needs a folder');
        options.logs = dir;
        break;
      }
      case '--help': case '-h': options.help = true; break;
      default: throw new ChaosUsageError(`unknown argument "${flag}" (see --help)`);
    }
  }
  return options;
}
