#!/usr/bin/env node
'use strict';
/**
 * Starts one orchestrator from source (configuration: RELAYLLM_* variables,
 * see apps/orchestrator/README.md). Uses the relayllm launcher's cached TS
 * transpile; the generated protobuf code must exist (`npm run proto:gen`).
 */
const path = require('node:path');
require('../../relayllm/bin/ts-runtime.cjs');
require(path.join(__dirname, '../src/main.ts'))
  .main()
  .catch((error) => {
    process.stderr.write(`[orchestrator] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
