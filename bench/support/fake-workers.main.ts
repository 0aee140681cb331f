/**
 * The worker side of `bench:scale` as its own process, so that the
 * orchestrator's memory and CPU are measured alone: SLM and LLM worker apps
 * (real Nest modules, gRPC and NATS) on zero-cost engines.
 * `node bench/support/fake-workers.cjs --nats URL [--slm-workers 1 --slm-sequences 1024 --llm-workers 2 --llm-sequences 512 --gap 24 --n 16 --calls 4 --tail 8]`
 * Prints `fake workers ready ...` once both kinds heartbeat; SIGTERM/SIGINT close them.
 */
import { parseArgs } from 'node:util';
import { startFakeWorkers } from './fake-workers';
import { ZeroCostLlmEngine, ZeroCostSlmEngine } from './zero-cost-engines.fake';

const option = { type: 'string' } as const;
const { values } = parseArgs({
  options: { nats: option, 'slm-workers': option, 'slm-sequences': option, 'llm-workers': option, 'llm-sequences': option, gap: option, n: option, calls: option, tail: option },
});
const int = (name: keyof typeof values, fallback: number): number => (values[name] === undefined ? fallback : Number(values[name]));

async function main(): Promise<void> {
  if (values.nats === undefined) throw new Error('--nats URL is required');
  const script = { gap: int('gap', 24), n: int('n', 16), calls: int('calls', 4), tail: int('tail', 8) };
  const workers = await startFakeWorkers({
    natsUrl: values.nats,
    slmEngines: Array.from({ length: int('slm-workers', 1) }, () => new ZeroCostSlmEngine(script)),
    slmMaxSequences: int('slm-sequences', 1024),
    llmEngines: Array.from({ length: int('llm-workers', 2) }, () => new ZeroCostLlmEngine()),
    llmMaxSequences: int('llm-sequences', 512),
  });
  process.stdout.write(`fake workers ready slm=${workers.slmAddresses.join(',')} pid=${process.pid}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void workers.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`fake workers failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
