import type { SavedSegment, SerializedProgress } from './generation-state-record';
import type { RecordedStream } from './stream-recorder';

/** A point of the log: how much of it a checkpoint covers. */
export interface ProgressMark {
  turn: number;
  segments: number;
  streams: number;
  responseTokens: number;
}

/**
 * The growing parts of a generation's checkpoint, each element serialized
 * once when it is added: the answer's segments and the complete engine
 * streams. A checkpoint then joins strings instead of serializing the whole
 * log again at every handoff (which made the hot path's cost grow with the
 * square of a generation's turns).
 */
export class ProgressLog {
  private readonly segments: string[] = [];
  private readonly streams: string[] = [];
  private responseTokens = 0;

  addSegment(segment: SavedSegment): void {
    this.segments.push(JSON.stringify(segment));
    this.responseTokens += segment[2];
  }

  /** Streams complete from now on (their chunks are never changed afterwards). */
  addStreams(streams: readonly RecordedStream[]): void {
    for (const stream of streams) this.streams.push(JSON.stringify(stream));
  }

  /** Where the log stands now: a checkpoint of this point can be serialized later (only when its write starts). */
  mark(turn: number): ProgressMark {
    return { turn, segments: this.segments.length, streams: this.streams.length, responseTokens: this.responseTokens };
  }

  snapshot(mark: ProgressMark): SerializedProgress {
    return {
      turn: mark.turn,
      responseTokens: mark.responseTokens,
      transcriptJson: `[${this.segments.slice(0, mark.segments).join(',')}]`,
      streamsJson: `[${this.streams.slice(0, mark.streams).join(',')}]`,
    };
  }
}
