#!/usr/bin/env node
'use strict';
/**
 * The `relayllm` command (root package.json "bin"; `npx relayllm ...` from the
 * repository). Runs apps/relayllm/src/main.ts from source through
 * ts-runtime.cjs (cached transpilation), after making sure the generated
 * protobuf code exists: libs/proto/src/gen is gitignored, so a fresh clone
 * has none until scripts/proto-gen.mjs has run.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Runs proto generation when its output is missing or older than proto/ (it is itself a no-op when up to date). */
function ensureProtoGen() {
  let stamp = 0;
  try {
    stamp = fs.statSync(path.join(root, 'libs/proto/src/gen/.stamp')).mtimeMs;
  } catch {
    // missing: generate
  }
  if (stamp > 0 && stamp >= newestMtime(path.join(root, 'proto'))) return;
  execFileSync(process.execPath, [path.join(root, 'scripts/proto-gen.mjs'), '--quiet'], { stdio: 'inherit' });
}

ensureProtoGen();
require('./ts-runtime.cjs');
require('../src/main.ts').main(process.argv.slice(2));
