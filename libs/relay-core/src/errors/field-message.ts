/**
 * A RelayError message as a client of one protocol reads it. The core writes
 * messages with its own field names (`topP must be in (0, 1]`, field
 * `sampling.topP`); each protocol front names fields as its callers wrote them
 * (gRPC `top_p`, HTTP `top_p`, `relay_limits.max_turns`, `x-request-id`). The
 * field's whole path and its last segment are replaced wherever they stand as
 * a name, so one error never names one field two ways. Each front supplies
 * only its own name for the field; this is the one rewrite they share.
 */
export function messageWithFieldName(message: string, coreField: string | undefined, wireName: string): string {
  if (coreField === undefined) return message;
  const leaf = coreField.split('.').at(-1) ?? coreField;
  let out = message;
  for (const name of new Set([coreField, leaf])) {
    out = out.replace(new RegExp(`(?<![\\w.])${name.replace(/\./g, '\\.')}(?![\\w.])`, 'g'), () => wireName);
  }
  return out;
}
