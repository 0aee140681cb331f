import type { RunSummary } from './types';

const show = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Values in natural order: numbers by value, anything else as text. */
function sortValues(values: unknown[]): unknown[] {
  return [...values].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : show(a).localeCompare(show(b), 'en', { numeric: true }),
  );
}

/**
 * The name every chart and table gives a curve, from what its runs say about
 * themselves (never from a path): a single run keeps its own label; several
 * runs are `[<model>:]<policy>` with the parameter(s) they vary, e.g.
 * `sft:random-router (p = 0.25, 0.5, 0.75)`, or the number of runs when no
 * parameter varies.
 */
export function curveName(members: readonly RunSummary[]): string {
  const first = members[0];
  if (first === undefined) return '';
  if (members.length === 1) return first.label;
  const base = `${first.model === undefined ? '' : `${first.model}:`}${first.policy}`;
  const keys = [...new Set(members.flatMap((m) => Object.keys(m.params)))];
  const varying = keys.filter((key) => new Set(members.map((m) => show(m.params[key]))).size > 1);
  if (varying.length === 0) return `${base} (${members.length} runs)`;
  const parts = varying.map((key) => {
    const values = sortValues([...new Map(members.map((m) => [show(m.params[key]), m.params[key]])).values()]);
    return `${key} = ${values.map(show).join(', ')}`;
  });
  return `${base} (${parts.join('; ')})`;
}

/** The parameters every run of a curve has, each with one value across them. */
function fixedParams(members: readonly RunSummary[]): Record<string, unknown> {
  const keys = [...new Set(members.flatMap((m) => Object.keys(m.params)))];
  const fixed = keys.filter((key) => members.every((m) => key in m.params) && new Set(members.map((m) => show(m.params[key]))).size === 1);
  return Object.fromEntries(fixed.map((key) => [key, members[0]?.params[key]]));
}

/**
 * The names of several curves: each curveName, and where two sweeps would share one, the
 * parameters each holds fixed that tell them apart (`relay (call_bias = -1, 0; max_turns = 64)`
 * beside `relay (call_bias = -1, 0)`); a name still repeated is numbered (uniqueNames).
 */
export function curveNames(curves: readonly (readonly RunSummary[])[]): string[] {
  const names = curves.map((members) => curveName(members));
  const fixed = curves.map(fixedParams);
  return uniqueNames(
    names.map((name, i) => {
      const rivals = names.flatMap((other, j) => (other === name && j !== i ? [fixed[j]] : []));
      if (rivals.length === 0 || (curves[i]?.length ?? 0) < 2) return name;
      const own = fixed[i] ?? {};
      const telling = Object.keys(own).filter((key) => rivals.some((rival) => !(key in rival) || show(rival[key]) !== show(own[key])));
      return telling.length === 0 ? name : `${name.slice(0, -1)}; ${telling.map((key) => `${key} = ${show(own[key])}`).join('; ')})`;
    }),
  );
}

/** Names made unique by numbering repeats (` #2`, ` #3`), in order. */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name} #${count}`;
  });
}
