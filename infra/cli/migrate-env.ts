/** `gbo-vault migrate-env <stack> --env-file FILE`: maps a `.env` file onto a stack's config, and writes it. */
import * as path from "node:path";
import { IncorrectPassphraseError, InvalidCiphertextError, PassphraseFileError } from "../core/passphrase";
import { type EnvMigrationReport, migrateEnv, MigrationError } from "../migrate/env";
import { parseArgs, single, UsageError } from "./args";
import type { Command } from "./io";
import { reportLoadError } from "./errors";

export const MIGRATE_ENV_USAGE = `usage: gbo-vault migrate-env <stack> --env-file FILE [--write [--overwrite]] [--json] [--root DIR]

Maps every variable of a .env file to its stack config key and Vault secret, through config/env-vars.yaml and
config/legacy.yaml, and compares it with what the stack already holds. Prints keys, paths and fingerprints,
never a value. Without --write nothing is changed.

  --env-file   the .env file to read; it is never modified
  --write      set the values in stacks/Pulumi.<stack>.yaml: secrets encrypted with the stack's passphrase
               (PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE), other keys as plain strings.
               All or nothing: any invalid line or value, or any conflict, stops the write.
  --overwrite  with --write, replace stack values that differ from the env file's
  --json       print the report as one JSON object
  --root       project folder that holds Pulumi.yaml (default: this repository)

When the stack uses another secrets provider (awskms://, gcpkms://, hashivault://, azurekeyvault://, or the
Pulumi Cloud default), plain values are written and a 'pulumi config set --secret --path KEY' command is
printed for each secret. 'pulumi config set' given no value reads it from standard input: it prompts on a
terminal and reads piped input otherwise, so the value never appears on a command line.

Exit status: 0 done (or nothing to do), 1 a finding stops the write or secret values remain to be set,
2 a usage or input error (unreadable file, wrong passphrase, invalid stack).
`;

export const migrateEnvCommand: Command = async (args, io) => {
  let stack: string;
  let envFile: string;
  let root: string | undefined;
  let flags: Set<string>;
  try {
    const parsed = parseArgs(args, { valued: ["env-file", "root"], flags: ["json", "write", "overwrite", "help"] });
    if (parsed.flags.has("help")) {
      io.stdout(MIGRATE_ENV_USAGE);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new UsageError("migrate-env needs exactly one stack name");
    stack = parsed.positionals[0]!;
    const file = single(parsed, "env-file");
    if (file === undefined) throw new UsageError("missing --env-file FILE");
    envFile = file;
    root = single(parsed, "root");
    flags = parsed.flags;
    if (flags.has("overwrite") && !flags.has("write")) throw new UsageError("--overwrite needs --write");
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`gbo-vault migrate-env: ${error.message}\n${MIGRATE_ENV_USAGE}`);
      return 2;
    }
    throw error;
  }

  let report: EnvMigrationReport;
  try {
    report = migrateEnv({
      stack,
      root: root === undefined ? undefined : path.resolve(io.cwd, root),
      envFile,
      cwd: io.cwd,
      env: io.env,
      write: flags.has("write"),
      overwrite: flags.has("overwrite"),
    });
  } catch (error) {
    if (error instanceof MigrationError) {
      io.stderr(`gbo-vault migrate-env: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof IncorrectPassphraseError || error instanceof PassphraseFileError || error instanceof InvalidCiphertextError) {
      io.stderr(`gbo-vault migrate-env: ${error.message}\n`);
      return 2;
    }
    return reportLoadError(error, (text) => io.stderr(text));
  }

  if (flags.has("json")) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout(formatEnvReport(report, flags.has("write")));
  for (const reason of report.blocked) io.stderr(`gbo-vault migrate-env: ${flags.has("write") ? "not written" : "--write would stop"}: ${reason}\n`);
  if (report.blocked.length > 0 || report.commands.length > 0) return 1;
  return 0;
};

/** Formats the report as text, one section per kind of finding. */
export function formatEnvReport(report: EnvMigrationReport, write: boolean): string {
  const lines: string[] = [];
  const provider = report.secretsProvider;
  const providerText =
    provider.kind === "external"
      ? `secrets provider ${provider.name}`
      : provider.kind === "passphrase"
        ? "passphrase secrets provider"
        : "no encryptionsalt yet";
  lines.push(`stack ${report.stack}: ${report.stackFile} (${providerText})`);
  lines.push(`env file: ${report.envFile}`);

  section(lines, "mapped", report.mapped, (entry) => {
    const from = entry.part === undefined ? entry.variable : `${entry.variable} (${entry.part})`;
    const kind = entry.secret ? "secret" : "plain";
    return [
      `${from}, line ${entry.line} -> ${entry.stackKey}`,
      `    Vault ${entry.path} key ${entry.key}, ${kind}, ${entry.fingerprint}, stack: ${entry.stack}`,
    ];
  });
  section(lines, "unmapped", report.unmapped, (entry) => [`${entry.variable}, line ${entry.line}: ${entry.reason}`]);
  section(lines, "empty", report.empty, (entry) => [
    `${entry.variable}, line ${entry.line}${entry.stackKey === undefined ? "" : ` (for ${entry.stackKey})`}: empty value, not migrated`,
  ]);
  section(lines, "duplicates", report.duplicates, (entry) => [
    `${entry.variable}: assigned on lines ${entry.lines.join(", ")}; the last assignment wins`,
  ]);
  section(lines, "conflicts", report.conflicts, (conflict) =>
    conflict.kind === "variables"
      ? [
          `${conflict.stackKey}: variables disagree: ${conflict.values.map((v) => `${v.variable} (line ${v.line}) ${v.fingerprint}`).join(", ")}`,
        ]
      : [`${conflict.stackKey}: ${conflict.variables.join(", ")} ${conflict.fingerprint} differs from the stack's ${conflict.stackFingerprint}`],
  );
  section(lines, "invalid values", report.invalid, (entry) => [`${entry.variable}, line ${entry.line}: ${entry.message}`]);
  section(lines, "unreadable lines", report.invalidLines, (entry) => [`line ${entry.line}: ${entry.reason}`]);
  section(lines, "warnings", report.warnings, (entry) => {
    if (entry.variable !== undefined) return [`${entry.variable}, line ${entry.line}: ${entry.message}`];
    if (entry.line !== undefined) return [`line ${entry.line}: ${entry.message}`];
    return [entry.message];
  });
  section(lines, write ? "changes" : "changes --write would make", report.changes, (change) => [
    `${change.action} ${change.stackKey} (${change.secret ? "secret" : "plain"})`,
  ]);
  if (report.commands.length > 0) {
    lines.push("");
    lines.push(`set these secrets with the Pulumi CLI (${provider.kind === "external" ? `the stack uses ${provider.name}` : "no passphrase is set"}).`);
    lines.push("'pulumi config set' given no value reads it from standard input, prompting on a terminal:");
    for (const command of report.commands) lines.push(`  ${command}`);
  }
  lines.push("");
  if (write) {
    if (report.written) lines.push(`wrote ${report.stackFile}`);
    else if (report.blocked.length > 0) lines.push("nothing written");
    else lines.push(`no change to ${report.stackFile}`);
  } else {
    lines.push(`dry run: nothing written${report.changes.length > 0 && report.blocked.length === 0 ? "; run again with --write to apply" : ""}`);
  }
  return `${lines.join("\n")}\n`;
}

function section<T>(lines: string[], title: string, items: readonly T[], format: (item: T) => string[]): void {
  if (items.length === 0) return;
  lines.push("");
  lines.push(`${title} (${items.length}):`);
  for (const item of items) {
    for (const line of format(item)) lines.push(`  ${line}`);
  }
}
