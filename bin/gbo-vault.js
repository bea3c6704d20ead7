#!/usr/bin/env node
// Runs the TypeScript CLI in place, so a clone needs only `npm ci` and no build step.
"use strict";
require("tsx/cjs");
const { main } = require("../infra/cli/main.ts");

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`gbo-vault: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
