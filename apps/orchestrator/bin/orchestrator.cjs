#!/usr/bin/env node
'use strict';
/**
 * Starts one orchestrator from source (configuration: RELAYLLM_* variables,
 * see apps/orchestrator/README.md). Uses the relayllm launcher's cached TS
 * transpile; the generated protobuf code must exist (`npm run proto:gen`).
 */
const path = require('node:path');
require('../../relayllm/bin/ts-runtime.cjs');
// main() reports its own start failures (exit code 2 for a configuration error).
void require(path.join(__dirname, '../src/main.ts')).main();
