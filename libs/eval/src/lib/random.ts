/**
 * Seeded per-item randomness: the draw for item `index` depends only on
 * (seed, index), so a run is reproducible whatever the concurrency, order of
 * completion or resumption.
 */
export function itemUniform(seed: number, index: number): number {
  // splitmix32-style mix of seed and index -> [0, 1).
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 0x1_0000_0000;
}

/** random-router: the whole question goes to the LLM with probability p, else to the SLM. */
export function routeToLlm(p: number, seed: number, index: number): boolean {
  return itemUniform(seed, index) < p;
}
