#!/usr/bin/env node
'use strict';
/** Runs bench/support/fake-workers.main.ts from source (the relayllm launcher's cached TS transpile). */
const path = require('node:path');
require('../../apps/relayllm/bin/ts-runtime.cjs');
require(path.join(__dirname, 'fake-workers.main.ts'));
