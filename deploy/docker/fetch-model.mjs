#!/usr/bin/env node
/**
 * Init-container step: downloads a model file once into a volume, verifies
 * its SHA-256 when given, and renames it into place (a reader never sees a
 * half-written file). An existing file with the right digest is kept.
 * Usage: node deploy/docker/fetch-model.mjs <url> <destination> [sha256]
 * Env: RELAYLLM_MODEL_FETCH_TIMEOUT_MS (default 1 800 000), RELAYLLM_MODEL_FETCH_TOKEN
 * (sent as "Authorization: Bearer", e.g. a Hugging Face token from a Secret).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [url, destination, expected] = process.argv.slice(2);
if (!url || !destination) {
  process.stderr.write('usage: fetch-model.mjs <url> <destination> [sha256]\n');
  process.exit(2);
}
const timeoutMs = Number(process.env.RELAYLLM_MODEL_FETCH_TIMEOUT_MS ?? 1_800_000);

async function sha256(file) {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

if (existsSync(destination) && (!expected || (await sha256(destination)) === expected.toLowerCase())) {
  process.stdout.write(`fetch-model: ${destination} present\n`);
  process.exit(0);
}
mkdirSync(dirname(destination), { recursive: true });
const partial = `${destination}.partial`;
const headers = process.env.RELAYLLM_MODEL_FETCH_TOKEN ? { authorization: `Bearer ${process.env.RELAYLLM_MODEL_FETCH_TOKEN}` } : {};
const response = await fetch(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
if (!response.ok || response.body === null) {
  process.stderr.write(`fetch-model: ${url} answered ${response.status}\n`);
  process.exit(1);
}
await pipeline(Readable.fromWeb(response.body), createWriteStream(partial));
if (expected && (await sha256(partial)) !== expected.toLowerCase()) {
  rmSync(partial, { force: true });
  process.stderr.write(`fetch-model: sha256 of ${url} does not match\n`);
  process.exit(1);
}
renameSync(partial, destination);
process.stdout.write(`fetch-model: ${destination} written\n`);
