/**
 * `gbo-vault acl ...`: run ACL case files and show capabilities on a path, offline.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { CliIo, Command } from "../cli/io";
import { capabilities, compileAcl } from "./acl";
import { defaultPolicy } from "./builtin";
import { CaseFileError, type CheckResult, identitySchema, loadCaseFile, runCases, type AclCase } from "./cases";
import { parsePolicy, type Policy, PolicyParseError } from "./policy";
import type { Identity } from "./template";

const ACL_USAGE = `usage: gbo-vault acl <subcommand> [options]

subcommands:
  test FILE... [--json]                                   run Vault ACL case files
  capabilities --policy FILE... [--identity FILE] PATH    print the capabilities on PATH, offline

Run "gbo-vault acl <subcommand> --help" for the options of one subcommand.
`;

const TEST_USAGE = `usage: gbo-vault acl test FILE... [--json]

Runs Vault ACL case files (JSON, or YAML for .yaml/.yml) against the offline evaluator.
Prints each failing check with its expected and actual result, then a summary line.

options:
  --json      print one JSON object {"passed", "failed", "results"} instead of text
  -h, --help  print this help

exit codes: 0 all checks passed, 1 a check failed, 2 invalid arguments or case files
`;

const CAPABILITIES_USAGE = `usage: gbo-vault acl capabilities --policy FILE... [--identity FILE] [options] PATH

Prints the capabilities that the given policies grant on PATH, the way
"vault token capabilities" reports them (sorted, comma-separated), without a Vault server.

options:
  --policy FILE...     policy files (HCL or JSON); repeat the flag or list several files.
                       Each policy is named after its file name without the extension.
  --identity FILE      token identity (JSON or YAML): {"entity": {...}, "groups": [...]} in the
                       case-file shape; templated paths are rendered for it. Without it, templated
                       stanzas are dropped, as for a token without an entity.
  --default-policy     add Vault's built-in "default" policy, which tokens carry unless created
                       with no_default_policy
  --deny-slash-in-templated-paths
                       model the server setting of that name (drop stanzas whose rendered value
                       contains "/")
  --json               print {"path", "capabilities", "dropped"} as JSON
  -h, --help           print this help

exit codes: 0 success, 2 invalid arguments, policy or identity files
`;

class UsageError extends Error {}

function wantsHelp(args: string[]): boolean {
  return args.includes("-h") || args.includes("--help");
}

export const aclCommand: Command = async (args, io) => {
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === "-h" || subcommand === "--help" || subcommand === "help") {
    io.stdout(ACL_USAGE);
    return subcommand === undefined ? 2 : 0;
  }
  try {
    switch (subcommand) {
      case "test":
        return runTestCommand(rest, io);
      case "capabilities":
        return runCapabilitiesCommand(rest, io);
      default:
        io.stderr(`gbo-vault acl: unknown subcommand "${subcommand}"\n${ACL_USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError) {
      const usage = subcommand === "test" ? TEST_USAGE : CAPABILITIES_USAGE;
      io.stderr(`gbo-vault acl ${subcommand}: ${error.message}\n${usage}`);
      return 2;
    }
    if (error instanceof CaseFileError || error instanceof PolicyParseError) {
      io.stderr(`gbo-vault acl ${subcommand}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
};

function runTestCommand(args: string[], io: CliIo): number {
  if (wantsHelp(args)) {
    io.stdout(TEST_USAGE);
    return 0;
  }
  let json = false;
  const files: string[] = [];
  for (const arg of args) {
    if (arg === "--json") json = true;
    else if (arg.startsWith("-")) throw new UsageError(`unknown option "${arg}"`);
    else files.push(path.resolve(io.cwd, arg));
  }
  if (files.length === 0) throw new UsageError("missing case FILE");

  const cases: AclCase[] = [];
  for (const file of files) {
    const loaded = loadCaseFile(file);
    // A file without cases would make the run pass while testing nothing.
    if (loaded.length === 0) throw new UsageError(`case file ${file} contains no cases`);
    cases.push(...loaded);
  }
  const summary = runCases(cases);

  if (json) {
    io.stdout(`${JSON.stringify({ passed: summary.passed, failed: summary.failed, results: summary.results })}\n`);
  } else {
    for (const result of summary.results) if (!result.pass) io.stdout(formatFailure(result, cases));
    const checks = summary.passed + summary.failed;
    io.stdout(`${summary.passed} passed, ${summary.failed} failed (${checks} checks in ${cases.length} cases)\n`);
  }
  return summary.failed === 0 ? 0 : 1;
}

/** Prints one failed check with its request, so the reader need not count checks in the file (they start at 0). */
function formatFailure(result: CheckResult, cases: readonly AclCase[]): string {
  const found = cases.find((candidate) => candidate.id === result.id) as { checks?: unknown[] } | undefined;
  const check = found?.checks?.[result.index] as { path?: unknown; operation?: unknown } | undefined;
  const request = check?.path === undefined ? "" : ` ${String(check.operation ?? "")} ${String(check.path)}`.trimEnd();
  return (
    `FAIL ${result.id} [check ${result.index}]${request}\n` +
    `  expected: ${JSON.stringify(result.expected)}\n  actual:   ${JSON.stringify(result.actual)}\n`
  );
}

interface CapabilitiesArgs {
  policyFiles: string[];
  identityFile?: string;
  requestPath: string;
  withDefault: boolean;
  denySlash: boolean;
  json: boolean;
}

function parseCapabilitiesArgs(args: string[], cwd: string): CapabilitiesArgs {
  const policyFiles: string[] = [];
  const positional: string[] = [];
  let identityFile: string | undefined;
  let withDefault = false;
  let denySlash = false;
  let json = false;
  let inPolicyList = false;

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--policy") {
      inPolicyList = true;
      continue;
    }
    if (arg.startsWith("--policy=")) {
      policyFiles.push(arg.slice("--policy=".length));
      inPolicyList = false;
      continue;
    }
    if (arg === "--identity" || arg.startsWith("--identity=")) {
      const value = arg === "--identity" ? args[++i] : arg.slice("--identity=".length);
      if (value === undefined || value === "") throw new UsageError("--identity needs a FILE");
      identityFile = path.resolve(cwd, value);
      inPolicyList = false;
      continue;
    }
    if (arg === "--default-policy") withDefault = true;
    else if (arg === "--deny-slash-in-templated-paths") denySlash = true;
    else if (arg === "--json") json = true;
    else if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option "${arg}"`);
    else if (inPolicyList) policyFiles.push(arg);
    else positional.push(arg);
    if (arg.startsWith("-")) inPolicyList = false;
  }

  // With "--policy a.hcl b.hcl PATH" the last word is the path, not a policy file.
  if (positional.length === 0 && policyFiles.length > 1) positional.push(policyFiles.pop()!);
  if (policyFiles.length === 0 && !withDefault) throw new UsageError("missing --policy FILE");
  if (positional.length !== 1) throw new UsageError(positional.length === 0 ? "missing PATH" : `expected one PATH, found ${positional.join(" ")}`);
  return {
    policyFiles: policyFiles.map((file) => path.resolve(cwd, file)),
    identityFile,
    requestPath: positional[0],
    withDefault,
    denySlash,
    json,
  };
}

function readText(file: string, fileKind: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${fileKind} ${file}: ${(error as Error).message}`);
  }
}

function loadIdentity(file: string): Identity {
  const text = readText(file, "identity file");
  let content: unknown;
  try {
    content = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new UsageError(`invalid identity file ${file}: ${(error as Error).message}`);
  }
  const parsed = identitySchema.safeParse(content);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`);
    throw new UsageError(`invalid identity file ${file}: ${issues.join("; ")}`);
  }
  return parsed.data;
}

function runCapabilitiesCommand(args: string[], io: CliIo): number {
  if (wantsHelp(args)) {
    io.stdout(CAPABILITIES_USAGE);
    return 0;
  }
  const options = parseCapabilitiesArgs(args, io.cwd);
  const policies: Policy[] = options.policyFiles.map((file) => {
    const name = path.basename(file).replace(/\.(hcl|json)$/i, "");
    const policy = parsePolicy(readText(file, "policy file"), name, file);
    for (const warning of policy.warnings) io.stderr(`warning: ${file}: ${warning}\n`);
    return policy;
  });
  if (options.withDefault) policies.push(defaultPolicy());
  const identity = options.identityFile === undefined ? undefined : loadIdentity(options.identityFile);

  const acl = compileAcl(policies, identity, { denySlashInTemplatedPaths: options.denySlash });
  for (const dropped of acl.dropped) {
    io.stderr(`note: policy "${dropped.policy}": stanza "${dropped.path}" dropped: ${dropped.error}\n`);
  }
  // The HTTP endpoint sorts the list, which is what the vault CLI prints.
  const found = capabilities(acl, options.requestPath).sort();
  if (options.json) {
    io.stdout(`${JSON.stringify({ path: options.requestPath, capabilities: found, dropped: acl.dropped })}\n`);
  } else {
    io.stdout(`${found.join(", ")}\n`);
  }
  return 0;
}
