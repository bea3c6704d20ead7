/** `gbo-vault verify <stack>`: proves offline that the stack's policies give each principal exactly its access. */
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { loadCatalog } from "../core/catalog";
import { loadProject } from "../core/project";
import { loadStackSettings, sharedVaultProblems, type StackSettings } from "../core/settings";
import { loadStack } from "../core/load";
import { formatVerifyMarkdown, formatVerifyText } from "../verify/format";
import { reportFails, type Violation, verifyPlan } from "../verify/verify";
import { parseArgs, single, UsageError } from "./args";
import type { Command } from "./io";
import { reportLoadError } from "./render";

export const VERIFY_USAGE = `usage: gbo-vault verify <stack> [--format text|json|markdown] [--json] [--strict] [--root DIR]

Evaluates the stack's own policies with the offline Vault ACL evaluator for synthetic principals of every
kind (app, org admin, users and bots of two orgs, deployer, operator, a token with only the default policy,
and users with hostile identity claims) over every path kind of the layout and the control plane. Prints the
access matrix and every violation of the access model; exits 1 when there is an error.

  --format   text (default), json, or markdown
  --json     same as --format json
  --strict   treat warnings as errors
  --root     project folder that holds Pulumi.yaml (default: this repository)
`;

/**
 * Stacks never share mutable objects, so two stacks must not manage the same Vault and namespace. Stack files
 * that fail to load are skipped here; verifying them reports their own problems.
 */
function sharedVaultViolations(stack: string, root: string | undefined): Violation[] {
  const project = loadProject(root);
  const folder = path.join(project.root, project.stackConfigDir);
  const settings: StackSettings[] = [];
  const catalog = loadCatalog(path.join(project.root, "config"));
  for (const file of readdirSync(folder)) {
    const match = /^Pulumi\.(.+)\.yaml$/.exec(file);
    if (match === null) continue;
    try {
      settings.push(loadStackSettings(match[1]!, { root: project.root, catalog }));
    } catch {
      continue;
    }
  }
  return sharedVaultProblems(settings)
    .filter((message) => message.includes(`"${stack}"`))
    .map((message) => ({ kind: "shared Vault", severity: "error", message }));
}

export const verifyCommand: Command = async (args, io) => {
  let stack: string;
  let format: string;
  let strict: boolean;
  let root: string | undefined;
  try {
    const parsed = parseArgs(args, { valued: ["format", "root"], flags: ["help", "json", "strict"] });
    if (parsed.flags.has("help")) {
      io.stdout(VERIFY_USAGE);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new UsageError("verify needs exactly one stack name");
    stack = parsed.positionals[0]!;
    format = parsed.flags.has("json") ? "json" : single(parsed, "format", "text")!;
    if (!["text", "json", "markdown"].includes(format)) throw new UsageError(`unknown format "${format}"; use text, json or markdown`);
    strict = parsed.flags.has("strict");
    root = single(parsed, "root");
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`gbo-vault verify: ${error.message}\n${VERIFY_USAGE}`);
      return 2;
    }
    throw error;
  }
  let loaded;
  try {
    loaded = loadStack(stack, { root: root === undefined ? undefined : path.resolve(io.cwd, root) });
  } catch (error) {
    return reportLoadError(error, io.stderr);
  }
  const report = verifyPlan(loaded.plan, loaded.catalog);
  report.violations.push(...sharedVaultViolations(stack, root === undefined ? undefined : path.resolve(io.cwd, root)));
  const fails = reportFails(report, { strict });
  if (format === "json") io.stdout(`${JSON.stringify({ ...report, ok: !fails }, null, 2)}\n`);
  else if (format === "markdown") io.stdout(formatVerifyMarkdown(report));
  else io.stdout(formatVerifyText(report));
  return fails ? 1 : 0;
};
