/**
 * The id of one model's sequence within one generation: `<generationId>/slm`
 * or `<generationId>/llm`. Engines key their KV cache (and remote engines
 * their stream or worker) by it, so it is built and read here only.
 */

export type SequenceRole = 'slm' | 'llm';

export interface ParsedSequenceId {
  generationId: string;
  role: SequenceRole;
}

export function sequenceIdOf(generationId: string, role: SequenceRole): string {
  return `${generationId}/${role}`;
}

/** The generation and role of a sequence id, or undefined for an id this helper did not build. */
export function parseSequenceId(sequenceId: string): ParsedSequenceId | undefined {
  const slash = sequenceId.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const role = sequenceId.slice(slash + 1);
  if (role !== 'slm' && role !== 'llm') return undefined;
  return { generationId: sequenceId.slice(0, slash), role };
}
