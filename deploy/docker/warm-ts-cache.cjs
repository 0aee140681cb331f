#!/usr/bin/env node
'use strict';
/**
 * Image build step: fills ts-runtime's transpile cache for every non-spec .ts
 * file under the given folders, WITHOUT running any of them (the .ts loader is
 * called with a module whose _compile does nothing). At runtime every require
 * is then a cache hit, so a read-only root filesystem costs nothing.
 * Usage (from the repo root): node deploy/docker/warm-ts-cache.cjs apps libs
 */
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
require(path.join(root, 'apps/relayllm/bin/ts-runtime.cjs'));
const load = Module._extensions['.ts'];

function* tsFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* tsFiles(full);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !/\.(spec|test)\.ts$/.test(entry.name)) {
      yield full;
    }
  }
}

let count = 0;
for (const folder of process.argv.slice(2)) {
  for (const file of tsFiles(path.resolve(root, folder))) {
    load({ _compile() {} }, file);
    count += 1;
  }
}
process.stdout.write(`warm-ts-cache: ${count} files transpiled into node_modules/.cache/relayllm-ts\n`);
