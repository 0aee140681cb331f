import { createHash } from 'node:crypto';

/**
 * Hex digest of a string. Injected where keys are built so that callers (and
 * specs) can swap it; the default is SHA-256 from node:crypto, which is pure
 * computation (no I/O, no randomness) and allowed in scope:core.
 */
export type Hasher = (text: string) => string;

export const sha256Hex: Hasher = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
