/** `gbo-vault verify <stack>`: proves offline that the stack's policies give each principal exactly its access. */
import * as path from "node:path";
import { loadCatalog } from "../core/catalog";
import { readPassphrase } from "../core/passphrase";
import { loadProject, stackFilePath } from "../core/project";
import { checkSecureValues } from "../core/securecheck";
import { YamlSource } from "../core/yamlfile";
import { knownStacks, loadStackSettings, sharedVaultProblems, type StackSettings } from "../core/settings";
import { loadStack } from "../core/load";
import { formatVerifyMarkdown, formatVerifyText } from "../verify/format";
import { reportFails, type Violation, verifyPlan } from "../verify/verify";
import { parseArgs, single, UsageError } from "./args";
import type { CliIo, Command } from "./io";
import { reportLoadError } from "./errors";

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
 * Stacks never share mutable objects, so two stacks must not manage the same Vault and namespace. A stack file
 * that fails to load cannot be compared; it is named in a warning, and verifying it reports its own problems.
 */
function sharedVaultViolations(stack: string, root: string | undefined): Violation[] {
  const project = loadProject(root);
  const catalog = loadCatalog(path.join(project.root, "config"));
  const settings: StackSettings[] = [];
  const unreadable: string[] = [];
  for (const name of knownStacks(project)) {
    try {
      settings.push(loadStackSettings(name, { root: project.root, catalog }));
    } catch {
      unreadable.push(name);
    }
  }
  const violations: Violation[] = sharedVaultProblems(settings)
    .filter((message) => message.includes(`"${stack}"`))
    .map((message) => ({ kind: "shared Vault", severity: "error", message }));
  if (unreadable.length > 0) {
    violations.push({
      kind: "shared Vault",
      severity: "warning",
      message: `stacks ${unreadable.join(", ")} failed to load, so whether they share this stack's Vault is unknown; run verify on each`,
    });
  }
  return violations;
}

/** With a passphrase in the environment, every secure value of the stack file must decrypt. */
function secureValueViolations(stack: string, root: string | undefined, io: CliIo): Violation[] {
  const passphrase = readPassphrase(io.env, io.cwd);
  if (passphrase === undefined) return [];
  const project = loadProject(root);
  const file = stackFilePath(project, stack);
  const source = YamlSource.read(file, path.relative(project.root, file));
  return checkSecureValues(source, passphrase).map((problem) => ({
    kind: "secure value",
    severity: "error",
    message: `${source.file}${problem.line === undefined ? "" : `:${problem.line}`}: ${problem.key}: ${problem.message}`,
  }));
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
    if (parsed.flags.has("json") && single(parsed, "format", "json") !== "json") {
      throw new UsageError("--json and --format name different formats; give one of them");
    }
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
  report.violations.push(...secureValueViolations(stack, root === undefined ? undefined : path.resolve(io.cwd, root), io));
  const fails = reportFails(report, { strict });
  if (format === "json") io.stdout(`${JSON.stringify({ ...report, ok: !fails }, null, 2)}\n`);
  else if (format === "markdown") io.stdout(formatVerifyMarkdown(report));
  else io.stdout(formatVerifyText(report));
  return fails ? 1 : 0;
};
