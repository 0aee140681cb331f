import { chunkTokenCount, type EngineChunk } from '../ports/engine';
import { commandTokenIds, type ModelProfile } from '../protocol/model-profile';
import { chunkMode, tokenUnits } from './chunk-units';
import { SegmentBuilder, type RelayTranscript } from './relay-transcript';
import type { TextSegment } from './relay-types';

/**
 * Reads one LLM stream (a relay call, or the whole answer under LLM_ONLY).
 * LLM output is never parsed for commands: only the SLM can call. One of the
 * LLM's end-of-turn ids ends the generation (the caller sees `sawEos`). It is
 * capped at `limit` tokens even if the engine ignores maxTokens (in text mode
 * to chunk granularity, since text cannot be split by tokens).
 */
export class LlmOutputReader {
  written = 0;
  sawEos = false;
  private readonly controlIds: ReadonlySet<number>;
  private readonly endOfTurn: ReadonlySet<number>;

  constructor(
    private readonly transcript: RelayTranscript,
    profile: ModelProfile,
    readonly limit: number,
  ) {
    this.controlIds = new Set(commandTokenIds(profile.commandSyntax));
    this.endOfTurn = new Set(profile.endOfTurnIds);
  }

  /** True once nothing more should be read from this stream. */
  get done(): boolean {
    return this.sawEos || this.written >= this.limit;
  }

  read(chunk: EngineChunk): TextSegment[] {
    const segment = new SegmentBuilder('LLM');
    if (chunk.tokens.length > 0) {
      for (const unit of tokenUnits(chunk, 'LLM')) {
        if (this.endOfTurn.has(unit.id)) {
          this.sawEos = true;
          break;
        }
        if (this.written >= this.limit) break;
        this.count(1);
        segment.tokenCount += 1;
        // Command ids are banned for the LLM; one that slips through is counted
        // (it was generated) but kept out of both views.
        if (this.controlIds.has(unit.id)) continue;
        this.transcript.appendLlmOutput(unit.text, [unit.id], segment);
      }
    } else if (chunkMode(chunk) === 'text' && this.written < this.limit) {
      const count = chunkTokenCount(chunk);
      this.count(count);
      segment.tokenCount += count;
      this.transcript.appendLlmOutput(chunk.text, undefined, segment);
    }
    if (chunk.finish === 'eos') this.sawEos = true;
    return segment.take();
  }

  private count(tokens: number): void {
    this.written += tokens;
    this.transcript.meter.llmTokens += tokens;
  }
}
