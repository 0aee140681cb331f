import { RelayError, toEngineError } from '../errors/relay-error';
import { CancelledReason } from '../errors/reasons';
import type { Clock } from '../ports/clock';
import type { Engine } from '../ports/engine';
import type { RelayPairProfile } from '../protocol/model-profile';
import { abortableIteration } from './abortable-iteration';
import type { RelayStreamEvent } from './relay-events';
import type { RelayRunOptions } from './relay-types';
import { DEFAULT_SERVER_LIMITS, validateRelayRequest, type RelayRequest, type RelayServerLimits } from './relay-request';
import { RelaySession } from './relay-session';

/**
 * The reason a stream is aborted once the relay has read it. One shared
 * instance: abort() without a reason builds a DOMException (and its stack) at
 * every handoff, which profiling showed on the hot path.
 */
const STREAM_READ = RelayError.cancelled(CancelledReason.RELAY_ABORTED, 'the relay has read this stream');

export interface RelayDeps {
  /** Started engines (the host calls start() once; runRelay never starts or closes them). */
  slm: Engine;
  llm: Engine;
  clock: Clock;
  /**
   * The two models (command syntax, end-of-turn ids, whether ids travel).
   * Required: the reference pair's is REFERENCE_PAIR_PROFILE.
   */
  pair: RelayPairProfile;
  serverLimits?: RelayServerLimits;
}

/**
 * Runs one generation: validates the request (throws RelayError
 * invalid_argument before any event), then alternates SLM and LLM streams as
 * the RelaySession decides, yielding text / relayStarted / relayFinished events
 * and finally `completed`.
 *
 * Cancellation: every engine stream gets its own AbortSignal, aborted when
 * `signal` is, when the session has read all it needs from it (e.g. the SLM
 * just wrote a granted command), or when the consumer stops iterating. Waiting
 * on a stream is raced against `signal`, so the driver returns promptly even if
 * an engine ignores it; a cancelled generation ends with `completed`
 * (finishReason 'cancelled'). An engine error is thrown as RelayError
 * (ENGINE_FAILED unless the engine threw a RelayError itself).
 *
 * `run.deadlineAtMs` (the caller's deadline, see EngineRequest.deadlineAtMs)
 * goes into every engine request; enforcing it is `signal`'s job here.
 */
export async function* runRelay(
  deps: RelayDeps,
  request: RelayRequest,
  signal: AbortSignal,
  run: RelayRunOptions = {},
): AsyncGenerator<RelayStreamEvent, void, undefined> {
  const { pair } = deps;
  if (pair === undefined) {
    // Callers compiled without types (bench scripts, old specs) get a clear message, not a crash deep inside.
    throw new TypeError('runRelay: deps.pair (the model pair profile) is required; the reference pair is REFERENCE_PAIR_PROFILE');
  }
  const validated = validateRelayRequest(request, pair.slm.commandSyntax, deps.serverLimits ?? DEFAULT_SERVER_LIMITS);
  const session = new RelaySession(validated, pair, run);
  for (;;) {
    if (signal.aborted) session.cancel();
    const action = session.nextAction();
    if (action.type === 'finish') {
      yield { type: 'completed', finishReason: action.finishReason, usage: action.usage, text: action.text };
      return;
    }
    if (action.type === 'call_llm') yield { type: 'relayStarted', ...action.call };
    const startedAt = deps.clock.now();
    const streamAbort = new AbortController();
    const forwardAbort = (): void => streamAbort.abort(signal.reason);
    signal.addEventListener('abort', forwardAbort, { once: true });
    const role = action.type === 'generate_slm' ? 'SLM' : 'LLM';
    try {
      const engine = action.type === 'generate_slm' ? deps.slm : deps.llm;
      const stream = engine.generate(action.request, streamAbort.signal);
      for await (const chunk of abortableIteration(stream, streamAbort.signal)) {
        const outcome = session.acceptChunk(chunk);
        for (const segment of outcome.segments) yield { type: 'text', ...segment };
        if (outcome.stopStream) break;
      }
    } catch (error) {
      if (!signal.aborted) throw toEngineError(error, role);
    } finally {
      signal.removeEventListener('abort', forwardAbort);
      // Stops the engine's work on this stream whatever ended it (done, a
      // command, cancellation, an error, or the consumer leaving).
      streamAbort.abort(STREAM_READ);
    }
    if (signal.aborted) continue;
    const latencyMs = deps.clock.now() - startedAt;
    const ended = session.endStream({ latencyMs });
    for (const segment of ended.segments) yield { type: 'text', ...segment };
    if (ended.call !== undefined) {
      yield { type: 'relayFinished', callIndex: ended.call.callIndex, tokensWritten: ended.call.tokensWritten, latencyMs };
    }
  }
}
