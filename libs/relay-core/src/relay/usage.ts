/** What started a call: a command the SLM wrote, or the request's confidence floor (see ConfidenceFloor). */
export const CALL_ORIGINS = ['command', 'floor'] as const;
export type CallOrigin = (typeof CALL_ORIGINS)[number];

/** One LLM call of a generation. Offsets count response tokens (SLM + LLM), 0-based. */
export interface RelayCallRecord {
  /** 0-based index of the call within the generation. */
  callIndex: number;
  /** Who asked for it. */
  origin: CallOrigin;
  /** n as the SLM wrote it (a floor call: the floor's callTokens). */
  requestedN: number;
  /** n after the caps: min(requested, per-call cap, remaining budget, remaining LLM total). */
  grantedN: number;
  /** LLM tokens actually written (<= grantedN; fewer when the LLM ended or stopped early). */
  tokensWritten: number;
  /** Response tokens before the LLM's first token (the SLM's command included; a floor call has none). */
  responseTokenStart: number;
  /** responseTokenStart + tokensWritten (exclusive end). */
  responseTokenEnd: number;
  /** The LLM wrote end-of-sequence, which ended the whole generation. */
  endedGeneration: boolean;
  /** Wall time of the call as measured by the driver's clock. */
  latencyMs?: number;
}

export interface RelayUsage {
  /** Tokens the SLM wrote, command tokens (valid or malformed) included. */
  slmTokens: number;
  /** Tokens the LLM wrote. */
  llmTokens: number;
  /** slmTokens + llmTokens; never above maxTokens for engines that honour maxTokens. */
  responseTokens: number;
  /** LLM calls made (commands that were granted n >= 1). */
  calls: number;
  /** ρ = llmTokens / responseTokens (0 when nothing was written). */
  llmTokenRatio: number;
  /** Malformed commands seen (each one counted once; see command-rules.ts). */
  malformedCommands: number;
  /** Well-formed commands that did not call: n = 0, policy, turns or LLM budget exhausted. */
  noCallCommands: number;
  callRecords: readonly RelayCallRecord[];
  /**
   * Tokens of the prompt as the SLM reads it (framed by the chat format, BOS
   * included). Set by the front door when it knows the prompt's ids (the SLM
   * describes a tokenizer, or its format computes ids: the reference pair);
   * undefined when the prompt travels as text only (a text-only SLM engine,
   * or a cluster whose workers describe a chat template: their engines
   * tokenize it). runRelay leaves it unset.
   */
  promptTokens?: number;
}

export function llmTokenRatio(llmTokens: number, responseTokens: number): number {
  return responseTokens === 0 ? 0 : llmTokens / responseTokens;
}

/** Mutable counters behind RelayUsage; snapshot() returns an immutable copy. */
export class UsageMeter {
  slmTokens = 0;
  llmTokens = 0;
  malformedCommands = 0;
  noCallCommands = 0;
  private readonly records: RelayCallRecord[] = [];

  get responseTokens(): number {
    return this.slmTokens + this.llmTokens;
  }

  get calls(): number {
    return this.records.length;
  }

  addCall(record: RelayCallRecord): void {
    this.records.push(record);
  }

  snapshot(): RelayUsage {
    return {
      slmTokens: this.slmTokens,
      llmTokens: this.llmTokens,
      responseTokens: this.responseTokens,
      calls: this.calls,
      llmTokenRatio: llmTokenRatio(this.llmTokens, this.responseTokens),
      malformedCommands: this.malformedCommands,
      noCallCommands: this.noCallCommands,
      callRecords: this.records.map((r) => ({ ...r })),
    };
  }
}
