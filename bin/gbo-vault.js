#!/usr/bin/env node
// Runs the TypeScript CLI in place, so a clone needs only `npm ci` and no build step. Start it through
// bin/gbo-vault, which passes the arguments after `--` so that Node itself never reads them.
"use strict";

const args = process.argv.slice(2);
if (args[0] === "--") {
  args.shift();
} else if (args.some((arg) => arg === "--env-file" || arg.startsWith("--env-file="))) {
  // Node has already read the file as its own --env-file by now; refuse so the habit does not stick.
  process.stderr.write(
    "gbo-vault: run this command through bin/gbo-vault (or npx gbo-vault): Node 20 reads --env-file itself " +
      "when it follows `node bin/gbo-vault.js`, and applies NODE_OPTIONS from that file\n",
  );
  process.exit(2);
}

// A reader that stops early (`gbo-vault render dev | head`) closes the pipe; that is not an error of ours.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

require("tsx/cjs");
const { main } = require("../infra/cli/main.ts");

main(args).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`gbo-vault: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
