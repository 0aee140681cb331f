import { DEFAULT_FLOOR_CALL_TOKENS, type CompletedEvent, type RelayRequest, type RelaySource } from '@relayllm/relay-core';
import { sha256Hex, type Hasher } from './hashing';
import type { RecordedStream } from './stream-recorder';

/** One answer segment as saved: [source, text, tokenCount]. */
export type SavedSegment = [RelaySource, string, number];

/**
 * What `relay:state:<generationId>` holds (JSON). Written when a generation
 * starts, at every handoff (relayStarted / relayFinished) and lease renewal,
 * and when it completes; deleted when it fails or is cancelled (a retry may
 * run again). Every write after the first is fenced by `run`.
 */
export type GenerationStateRecord =
  | {
      v: 1;
      status: 'running';
      /** The replica running it. */
      owner: string;
      /**
       * This owner's run of the generation (new at every start or takeover):
       * a write of the record goes through only while the record still names
       * this run, so a replica whose generation was taken over cannot
       * overwrite or delete the new owner's record.
       */
      run: string;
      /** Hash of the request: a retry must ask for the same generation. */
      fingerprint: string;
      updatedAtMs: number;
      /** The owner is presumed dead after this (it renews the lease while it runs). */
      leaseUntilMs: number;
      /** LLM calls finished so far. */
      turn: number;
      /** Answer so far, in segments. */
      transcript: SavedSegment[];
      responseTokens: number;
      /** Every engine stream consumed so far: what a resuming replica replays. */
      streams: RecordedStream[];
    }
  | {
      v: 1;
      status: 'completed';
      owner: string;
      run: string;
      fingerprint: string;
      updatedAtMs: number;
      transcript: SavedSegment[];
      completed: Omit<CompletedEvent, 'type'>;
    };

export type RunningRecord = Extract<GenerationStateRecord, { status: 'running' }>;
export type CompletedRecord = Extract<GenerationStateRecord, { status: 'completed' }>;

/** Hash of everything that defines a generation's output. */
export function requestFingerprint(request: RelayRequest, hasher: Hasher = sha256Hex): string {
  return hasher(
    JSON.stringify([
      request.prompt,
      request.policy ?? null,
      request.maxTokens,
      request.maxTurns ?? null,
      request.maxLlmTokensPerCall ?? null,
      request.maxLlmTokensTotal ?? null,
      request.sampling ?? null,
      request.stop ?? null,
      // Appended only when set: the fingerprints of unbiased requests stay what they were.
      ...(request.callBias === undefined || request.callBias === 0 ? [] : [request.callBias]),
      ...floorFingerprint(request.confidenceFloor),
    ]),
  );
}

/**
 * A confidence floor as the fingerprint's last element, with its call length
 * filled in (the same floor written two ways is one request); none (absent or
 * threshold 0) adds nothing, and is marked so a floor never reads as a bias.
 */
function floorFingerprint(floor: RelayRequest['confidenceFloor']): unknown[] {
  if (floor === undefined || floor.threshold === 0) return [];
  return [{ confidenceFloor: [floor.threshold, floor.callTokens ?? DEFAULT_FLOOR_CALL_TOKENS] }];
}

/** The record a stored value holds, or undefined for a value this version cannot read. */
export function parseGenerationState(value: string | undefined): GenerationStateRecord | undefined {
  if (value === undefined) return undefined;
  try {
    const record = JSON.parse(value) as GenerationStateRecord;
    if (record.v !== 1) return undefined;
    // Written by a replica that predates fencing: readable, and no run of this version is its writer.
    if (typeof record.run !== 'string') record.run = '';
    if (record.status === 'running') return Array.isArray(record.streams) && typeof record.leaseUntilMs === 'number' ? record : undefined;
    return record.status === 'completed' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** What a checkpoint saves. */
export interface GenerationProgress {
  turn: number;
  transcript: SavedSegment[];
  streams: RecordedStream[];
}

/**
 * A checkpoint's progress with its two growing arrays already serialized
 * (ProgressLog serializes each segment and stream once, when it is added):
 * re-serializing the whole stream log at every handoff was the largest
 * single cost of the orchestrator's hot path.
 */
export interface SerializedProgress {
  turn: number;
  responseTokens: number;
  /** JSON array of SavedSegment. */
  transcriptJson: string;
  /** JSON array of RecordedStream. */
  streamsJson: string;
}

export const NO_PROGRESS: SerializedProgress = { turn: 0, responseTokens: 0, transcriptJson: '[]', streamsJson: '[]' };

/** A saved running record's progress, serialized again for its new owner. */
export function progressOf(record: RunningRecord): SerializedProgress {
  return { turn: record.turn, responseTokens: record.responseTokens, transcriptJson: JSON.stringify(record.transcript), streamsJson: JSON.stringify(record.streams) };
}

/** Who writes a record and when: the fields every write of one run shares. */
export interface RecordWriter {
  owner: string;
  run: string;
  fingerprint: string;
  nowMs: number;
}

/** A running record's JSON: the header serialized here, the arrays as given (already JSON). */
export function encodeRunning(writer: RecordWriter, leaseMs: number, progress: SerializedProgress): string {
  const header: Omit<RunningRecord, 'transcript' | 'streams'> = {
    v: 1,
    status: 'running',
    owner: writer.owner,
    run: writer.run,
    fingerprint: writer.fingerprint,
    updatedAtMs: writer.nowMs,
    leaseUntilMs: writer.nowMs + leaseMs,
    turn: progress.turn,
    responseTokens: progress.responseTokens,
  };
  const json = JSON.stringify(header);
  return `${json.slice(0, -1)},"transcript":${progress.transcriptJson},"streams":${progress.streamsJson}}`;
}

export function encodeCompleted(writer: RecordWriter, transcript: SavedSegment[], completed: CompletedEvent): string {
  const record: CompletedRecord = {
    v: 1,
    status: 'completed',
    owner: writer.owner,
    run: writer.run,
    fingerprint: writer.fingerprint,
    updatedAtMs: writer.nowMs,
    transcript,
    completed: { finishReason: completed.finishReason, usage: completed.usage, text: completed.text },
  };
  return JSON.stringify(record);
}
