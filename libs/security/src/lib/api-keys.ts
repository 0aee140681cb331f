import { createHash, timingSafeEqual } from 'node:crypto';
import { SecurityConfigError } from './security-config-error';

/** Shortest secret accepted: shorter ones are guessable. */
export const MIN_API_KEY_LENGTH = 16;
/** Bounded parsing: a key file longer than this is refused. */
export const MAX_API_KEYS = 10_000;

interface StoredKey {
  id: string;
  digest: Buffer;
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * The API keys the orchestrator accepts, each with an id (the quota and logs
 * use the id, never the secret). Only SHA-256 digests are kept; a presented
 * key is hashed too, so every comparison is `timingSafeEqual` on two 32-byte
 * buffers, and all stored keys are compared (no early exit), so the time
 * taken says nothing about which key or how much of it matched.
 */
export class ApiKeyRing {
  private readonly keys: readonly StoredKey[];

  private constructor(keys: StoredKey[]) {
    this.keys = keys;
  }

  /**
   * Parses `<id>:<secret>` entries, one per line or comma-separated (the
   * format of a mounted Secret file); blank lines and `#` comments are
   * skipped. `setting` names the source in errors (never the secret).
   */
  static parse(text: string, setting: string): ApiKeyRing {
    const entries = text
      .split(/[\n,]/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    if (entries.length === 0) throw new SecurityConfigError(`${setting}: no API keys (expected <id>:<secret> entries)`);
    if (entries.length > MAX_API_KEYS) throw new SecurityConfigError(`${setting}: more than ${MAX_API_KEYS} API keys`);
    const seen = new Set<string>();
    const keys = entries.map((entry, index) => {
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon).trim() : '';
      const secret = colon > 0 ? entry.slice(colon + 1).trim() : '';
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
        throw new SecurityConfigError(`${setting}: entry ${index + 1} is not <id>:<secret> with an id of [A-Za-z0-9._-]{1,64}`);
      }
      if (secret.length < MIN_API_KEY_LENGTH) {
        throw new SecurityConfigError(`${setting}: the key of "${id}" is shorter than ${MIN_API_KEY_LENGTH} characters`);
      }
      if (seen.has(id)) throw new SecurityConfigError(`${setting}: the id "${id}" appears twice`);
      seen.add(id);
      return { id, digest: sha256(secret) };
    });
    return new ApiKeyRing(keys);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The id of the key `presented` matches, or undefined. Constant time in the presented key. */
  identify(presented: string): string | undefined {
    const digest = sha256(presented);
    let match: string | undefined;
    for (const key of this.keys) {
      // Every key is compared, whatever matched before.
      if (timingSafeEqual(key.digest, digest) && match === undefined) match = key.id;
    }
    return match;
  }
}
