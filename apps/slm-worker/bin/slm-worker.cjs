#!/usr/bin/env node
'use strict';
/**
 * Starts one SLM worker from source (configuration: RELAYLLM_* variables, see
 * apps/slm-worker/README.md). Uses the relayllm launcher's cached TS
 * transpile; the generated protobuf code must exist (`npm run proto:gen`).
 */
const path = require('node:path');
require('../../relayllm/bin/ts-runtime.cjs');
require(path.join(__dirname, '../src/main.ts'));
