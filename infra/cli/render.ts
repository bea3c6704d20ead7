/** `gbo-vault render <stack>`: prints the stack's whole Vault layout, offline and without secret values. */
import * as path from "node:path";
import { loadStack } from "../core/load";
import { describeLayout } from "../render/layout";
import { formatMarkdown, formatText } from "../render/format";
import { parseArgs, single, UsageError } from "./args";
import { reportLoadError } from "./errors";
import type { Command } from "./io";

export const RENDER_USAGE = `usage: gbo-vault render <stack> [--format text|json|markdown] [--root DIR]

Prints the Vault layout that the stack declares: the mount, every secret path with its key names and the
config key that feeds each (never a value), policies with their HCL, auth backends, roles and identity
objects. Needs no passphrase, no Vault and no Pulumi CLI.

  --format   text (default), json (one object), or markdown (for a pull-request comment)
  --root     project folder that contains Pulumi.yaml (default: this repository)
`;

export const renderCommand: Command = async (args, io) => {
  let stack: string;
  let format: string;
  let root: string | undefined;
  try {
    const parsed = parseArgs(args, { valued: ["format", "root"], flags: ["help"] });
    if (parsed.flags.has("help")) {
      io.stdout(RENDER_USAGE);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new UsageError("render needs exactly one stack name");
    stack = parsed.positionals[0]!;
    format = single(parsed, "format", "text")!;
    if (!["text", "json", "markdown"].includes(format)) {
      throw new UsageError(`unknown format "${format}"; use text, json or markdown`);
    }
    root = single(parsed, "root");
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`gbo-vault render: ${error.message}\n${RENDER_USAGE}`);
      return 2;
    }
    throw error;
  }
  let view;
  try {
    const loaded = loadStack(stack, { root: root === undefined ? undefined : resolveFrom(io.cwd, root) });
    view = describeLayout(loaded.plan, loaded.catalog);
  } catch (error) {
    return reportLoadError(error, io.stderr);
  }
  if (format === "json") io.stdout(`${JSON.stringify(view, null, 2)}\n`);
  else if (format === "markdown") io.stdout(formatMarkdown(view));
  else io.stdout(formatText(view));
  return 0;
};

function resolveFrom(cwd: string, target: string): string {
  return path.resolve(cwd, target);
}
