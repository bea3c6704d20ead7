#!/usr/bin/env node
// Runs one TypeScript script (benchmarks, maintenance scripts) with the project's loader.
"use strict";
require("tsx/cjs");
const path = require("node:path");
const script = process.argv[2];
if (!script) {
  process.stderr.write("usage: node bin/run-ts.js SCRIPT.ts [ARGS...]\n");
  process.exit(2);
}
process.argv.splice(1, 1);
require(path.resolve(script));
