import { parseSequenceId } from '@relayllm/relay-core';

/**
 * Tenants apart: a generation, as the cluster knows it, is the caller's
 * request_id inside the caller's tenant (its API key id): `<tenant>/<request_id>`,
 * the tenant percent-encoded so that it holds no `/` (the first `/` ends
 * it; two tenants' ids never collide, whatever their request_ids hold).
 * The front door builds it once per request, and everything keyed by the
 * generation follows: its state and idempotency record, its engine
 * sequences (`<tenant>/<request_id>/slm`: two tenants' generations never
 * share a KV sequence or a worker stream), its LLM affinity, and the scope
 * of its cached LLM outputs (`tenantOfSequence`). So a tenant can neither
 * read another's output nor learn that another's request_id exists.
 */
export function tenantGenerationId(tenantId: string, requestId: string): string {
  return `${encodeURIComponent(tenantId)}/${requestId}`;
}

/**
 * The tenant scope of an engine request's sequence (the encoded tenant of
 * its generation id, as tenantGenerationId wrote it); '' for a generation
 * id that tenantGenerationId did not build (an engine driven without the
 * front door: one shared scope).
 */
export function tenantOfSequence(sequenceId: string): string {
  return tenantOfGeneration(parseSequenceId(sequenceId)?.generationId ?? sequenceId);
}

/** The tenant scope of a generation id (as tenantGenerationId wrote it); '' for one it did not build. */
export function tenantOfGeneration(generationId: string): string {
  const slash = generationId.indexOf('/');
  return slash <= 0 ? '' : generationId.slice(0, slash);
}
