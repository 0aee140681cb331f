import {
  InvalidArgumentReason,
  RelayError,
  ResourceExhaustedReason,
  UnavailableReason,
  type Engine,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { CapacityRetryingSlmEngine, isSlmCapacityFailure } from './slm-capacity-retry';

const request = (overrides: Partial<EngineRequest> = {}): EngineRequest => ({
  sequenceId: 'g/slm',
  turn: 0,
  context: { text: 'Q\n' },
  appendOnly: false,
  maxTokens: 6,
  sampling: { temperature: 0 },
  stopTokens: [],
  stop: [],
  bannedTokens: [],
  ...overrides,
});

/** Fails each generate listed in `failures` (after `after` chunks), else delegates to a ScriptedEngine. */
class FlakyEngine implements Engine {
  readonly requests: EngineRequest[] = [];
  constructor(
    private readonly inner: ScriptedEngine,
    private readonly failures: Array<{ after: number; error: Error } | undefined>,
  ) {}
  async start(): Promise<void> {
    // nothing to load
  }
  async close(): Promise<void> {
    // nothing to release
  }
  release(): void {
    // keeps nothing per sequence
  }
  async *generate(req: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    this.requests.push(req);
    const failure = this.failures.shift();
    let n = 0;
    for await (const chunk of this.inner.generate(req, signal)) {
      if (failure !== undefined && n >= failure.after) throw failure.error;
      n += 1;
      yield chunk;
    }
    if (failure !== undefined) throw failure.error;
  }
}

async function text(stream: AsyncIterable<EngineChunk>): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.text;
  return out;
}

const full = RelayError.resourceExhausted(ResourceExhaustedReason.WORKER_FULL, 'full');
const none = RelayError.unavailable(UnavailableReason.NO_SLM_WORKER, 'none');

describe('CapacityRetryingSlmEngine', () => {
  it('classifies capacity failures', () => {
    expect(isSlmCapacityFailure(full)).toBe(true);
    expect(isSlmCapacityFailure(none)).toBe(true);
    expect(isSlmCapacityFailure(RelayError.invalidArgument(InvalidArgumentReason.PROMPT_EMPTY, 'bad'))).toBe(false);
    expect(isSlmCapacityFailure(new Error('x'))).toBe(false);
  });

  it('waits for a slot and continues from what it passed on: each token once', async () => {
    const inner = new FlakyEngine(new ScriptedEngine(['abcdef', 'never read', 'cdef'], { mode: 'text' }), [{ after: 2, error: none }, { after: 0, error: full }]);
    const engine = new CapacityRetryingSlmEngine(inner, { retryDelayMs: 1 });
    expect(await text(engine.generate(request(), new AbortController().signal))).toBe('abcdef');
    expect(engine.retries).toBe(2);
    expect(inner.requests[1]).toMatchObject({ context: { text: 'Q\nab' }, maxTokens: 4, appendOnly: false });
  });

  it('other failures, or waiting past the bound, are thrown', async () => {
    const bad = RelayError.invalidArgument(InvalidArgumentReason.PROMPT_EMPTY, 'bad');
    const inner = new FlakyEngine(new ScriptedEngine(['ab'], { mode: 'text' }), [{ after: 0, error: bad }]);
    await expect(text(new CapacityRetryingSlmEngine(inner).generate(request(), new AbortController().signal))).rejects.toBe(bad);

    let t = 0;
    const always = new FlakyEngine(new ScriptedEngine(['a', 'a', 'a', 'a'], { mode: 'text' }), [
      { after: 0, error: full },
      { after: 0, error: full },
      { after: 0, error: full },
      { after: 0, error: full },
    ]);
    const engine = new CapacityRetryingSlmEngine(always, { retryDelayMs: 1, maxWaitMs: 2, now: () => (t += 1) });
    await expect(text(engine.generate(request(), new AbortController().signal))).rejects.toBe(full);
  });

  it('stops waiting when the caller aborts', async () => {
    const inner = new FlakyEngine(new ScriptedEngine(['a', 'a'], { mode: 'text' }), [{ after: 0, error: full }]);
    const engine = new CapacityRetryingSlmEngine(inner, { retryDelayMs: 60_000 });
    const abort = new AbortController();
    const done = text(engine.generate(request(), abort.signal));
    setImmediate(() => abort.abort());
    expect(await done).toBe('');
  });

  it('a capacity change ends the pause early', async () => {
    let notify = (): void => undefined;
    const inner = new FlakyEngine(new ScriptedEngine(['x', 'xy'], { mode: 'text' }), [{ after: 0, error: full }]);
    const engine = new CapacityRetryingSlmEngine(inner, {
      retryDelayMs: 60_000,
      onCapacityChange: (listener) => ((notify = listener), () => undefined),
    });
    const done = text(engine.generate(request(), new AbortController().signal));
    setImmediate(() => notify());
    expect(await done).toBe('xy'); // the first generate's output was lost with its failure
  });
});
