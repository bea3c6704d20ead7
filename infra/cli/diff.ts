/** `gbo-vault diff <stack> --base REF`: what a change to the stack does, compared with a git revision, offline. */
import * as path from "node:path";
import { PassphraseFileError, readPassphrase } from "../core/passphrase";
import { PROJECT_ROOT } from "../core/project";
import { BaseRevisionError, buildDiff, type DiffReport } from "../diff/diff";
import { formatDiffMarkdown, formatDiffText } from "../diff/format";
import { AllowFileError } from "../diff/gate";
import { RevisionError } from "../diff/revision";
import { StackDecryptionError } from "../diff/values";
import { parseArgs, single, UsageError } from "./args";
import type { Command } from "./io";
import { reportLoadError } from "./errors";

export const DIFF_USAGE = `usage: gbo-vault diff <stack> --base REF [--format text|markdown|json] [--fail-on-destructive]
                      [--allow FILE] [--root DIR]

Compares the stack in the working tree with the same stack at the git revision REF, without touching the
working tree or the index. Prints the Pulumi resources added, updated, replaced and removed, policy rule
changes, who gains or loses access (and whether anyone gains cross-org access), and values that changed,
by fingerprint only. With PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE set, secure values are
decrypted and compared, so a value encrypted again is not a change.

Removing or replacing the KV mount or an auth mount, and removing or moving a managed secret, is destructive.

  --base                  git revision to compare with, for example origin/main (required)
  --format                text (default), markdown (a pull-request comment under 65,536 characters), or json
  --fail-on-destructive   exit 1 unless the allow file lists every destructive change
  --allow                 allow file: a YAML list of { stack, kind, path, reason } with kind kv-mount,
                          auth-mount or secret (default: .gbo-vault/allow-destructive.yaml when it exists)
  --root                  project folder that holds Pulumi.yaml (default: this repository)

Exit codes: 0 no gated change, 1 a destructive change not in the allow file (with --fail-on-destructive),
2 a usage or input error.
`;

export const diffCommand: Command = async (args, io) => {
  let stack: string;
  let base: string;
  let format: string;
  let failOnDestructive: boolean;
  let allow: string | undefined;
  let root: string | undefined;
  try {
    const parsed = parseArgs(args, { valued: ["base", "format", "allow", "root"], flags: ["help", "fail-on-destructive"] });
    if (parsed.flags.has("help")) {
      io.stdout(DIFF_USAGE);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new UsageError("diff needs exactly one stack name");
    stack = parsed.positionals[0]!;
    const baseRef = single(parsed, "base");
    if (baseRef === undefined) throw new UsageError("diff needs --base REF, the git revision to compare with");
    base = baseRef;
    format = single(parsed, "format", "text")!;
    if (!["text", "json", "markdown"].includes(format)) throw new UsageError(`unknown format "${format}"; use text, markdown or json`);
    failOnDestructive = parsed.flags.has("fail-on-destructive");
    allow = single(parsed, "allow");
    root = single(parsed, "root");
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`gbo-vault diff: ${error.message}\n${DIFF_USAGE}`);
      return 2;
    }
    throw error;
  }

  let report: DiffReport;
  try {
    const passphrase = readPassphrase(io.env, io.cwd);
    report = buildDiff({
      root: root === undefined ? PROJECT_ROOT : path.resolve(io.cwd, root),
      stack,
      base,
      passphrase,
      allowFile: allow === undefined ? undefined : path.resolve(io.cwd, allow),
    });
  } catch (error) {
    if (
      error instanceof RevisionError ||
      error instanceof BaseRevisionError ||
      error instanceof AllowFileError ||
      error instanceof PassphraseFileError ||
      error instanceof StackDecryptionError
    ) {
      io.stderr(`gbo-vault diff: ${error.message}\n`);
      return 2;
    }
    return reportLoadError(error, io.stderr);
  }

  if (format === "json") io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else if (format === "markdown") io.stdout(formatDiffMarkdown(report));
  else io.stdout(formatDiffText(report));
  for (const note of report.values.notes) io.stderr(`gbo-vault diff: ${note}\n`);

  const gated = report.gate.gated;
  if (gated.length > 0) {
    const what = gated.map((change) => `${change.kind} ${change.path}`).join(", ");
    if (failOnDestructive) {
      io.stderr(`gbo-vault diff: ${gated.length} destructive change(s) not in the allow file: ${what}\n`);
      return 1;
    }
    io.stderr(`gbo-vault diff: warning: ${gated.length} destructive change(s): ${what}\n`);
  }
  return 0;
};
