/**
 * Migration of a `.env` file into a stack's config: every variable is mapped through `config/env-vars.yaml`
 * and `config/legacy.yaml` to a catalog key, compared with what the stack already holds, and, with `write`,
 * set in `stacks/Pulumi.<stack>.yaml` as a plain string or an encrypted `secure:` value.
 *
 * Writes are all or nothing: any finding that makes a value doubtful (an unreadable line, an invalid value, two
 * variables that disagree, a value that differs from the stack's) stops the run before the file is touched.
 * Reports carry variable names, line numbers, keys and fingerprints, never a value.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import type { Catalog } from "../core/catalog";
import type { Id } from "../core/ids";
import { loadStack } from "../core/load";
import { fingerprint, fingerprintKey, PassphraseCrypter, readPassphrase } from "../core/passphrase";
import { secretPath, type Layout } from "../core/paths";
import { loadProject, stackFilePath } from "../core/project";
import { configSetCommand, isSecureLeaf, StackConfigError } from "../core/settings";
import { formatPath } from "../core/yamlfile";
import { parseDotenv, type DotenvParseResult } from "./dotenv";
import { type LegacyTable, type LegacyTarget, loadLegacy } from "./legacy";
import { applyStackEdits, type StackEdit } from "./stackedit";
import { credentialHint, splitValue, valueProblem } from "./values";
import { parseDocument } from "yaml";

/** Largest env file the migration reads, in bytes. */
export const MAX_ENV_FILE_BYTES = 64 * 1024 * 1024;

/** Error that ends a migration before anything is written; `exitCode` 2 is an input error, 1 a finding. */
/** Shown in place of a secret's fingerprint when no passphrase is set to key it. */
export const HIDDEN_FINGERPRINT = "hidden (set PULUMI_CONFIG_PASSPHRASE to fingerprint secrets)";

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = "MigrationError";
  }
}

export interface EnvMigrationOptions {
  stack: string;
  /** Project root that contains `Pulumi.yaml`. */
  root?: string;
  /** Path of the env file, absolute or relative to `cwd`. */
  envFile: string;
  cwd: string;
  /** Environment that `PULUMI_CONFIG_PASSPHRASE` or `PULUMI_CONFIG_PASSPHRASE_FILE` is read from. */
  env: NodeJS.ProcessEnv;
  write: boolean;
  /** Replace stack values that differ from the env file's; without it such a difference stops the write. */
  overwrite: boolean;
}

/** Kind of secrets provider the stack file names. */
export type SecretsProviderKind = "passphrase" | "new-passphrase" | "external";

/** Result of comparing an env value with the stack's value at its key. */
export type StackComparison = "new" | "unchanged" | "differs" | "unknown";

export interface MappedVariable {
  variable: string;
  line: number;
  /** URL part the value came from, for a variable that is split (`DATABASE_URL` -> `host`, ...). */
  part?: string;
  /** Full stack config key, for example `gbo-vault:system.email.smtp-host`. */
  stackKey: string;
  /** Vault secret path, for example `gbo/system/email`. */
  path: string;
  key: string;
  secret: boolean;
  fingerprint: string;
  stack: StackComparison;
}

export type Conflict =
  | { kind: "variables"; stackKey: string; values: Array<{ variable: string; line: number; fingerprint: string }> }
  | { kind: "stack"; stackKey: string; variables: string[]; fingerprint: string; stackFingerprint: string };

export interface EnvMigrationReport {
  stack: string;
  stackFile: string;
  envFile: string;
  secretsProvider: { kind: SecretsProviderKind; name?: string };
  mapped: MappedVariable[];
  unmapped: Array<{ variable: string; line: number; reason: string }>;
  empty: Array<{ variable: string; line: number; stackKey?: string }>;
  duplicates: Array<{ variable: string; lines: number[] }>;
  conflicts: Conflict[];
  invalid: Array<{ variable: string; line: number; message: string }>;
  invalidLines: Array<{ line: number; reason: string }>;
  warnings: Array<{ variable?: string; line?: number; message: string }>;
  /** Changes that `write` makes (or made), one entry per stack key. */
  changes: Array<{ stackKey: string; action: "add" | "replace"; secret: boolean }>;
  /** `pulumi config set` commands for secret values this tool cannot encrypt; each reads its value from stdin. */
  commands: string[];
  /** Reasons a write is not possible; empty when `write` would proceed. */
  blocked: string[];
  written: boolean;
}

interface Target extends LegacyTarget {
  configKey: "infrastructure" | "system";
  inner: string[];
  stackKey: string;
  vaultPath: string;
}

interface Candidate {
  variable: string;
  line: number;
  part?: string;
  value: string;
  target: Target;
}

type Mapping = { target: LegacyTarget } | { split: NonNullable<LegacyTable["variables"][number]["split"]> } | { reason: string };

const UNKNOWN_REASON = "not in config/env-vars.yaml or config/legacy.yaml";
const PASSPHRASE_HELP = "set PULUMI_CONFIG_PASSPHRASE, or PULUMI_CONFIG_PASSPHRASE_FILE to a file that contains it";

/** Maps an env file onto a stack and, with `options.write`, writes the result; see the module comment. */
export function migrateEnv(options: EnvMigrationOptions): EnvMigrationReport {
  const loaded = loadStack(options.stack, { root: options.root });
  const project = loadProject(options.root);
  const legacy = loadLegacy(path.join(project.root, "config"), loaded.catalog);
  const stackFile = stackFilePath(project, options.stack);
  const stackText = readFileSync(stackFile, "utf8");
  const document = parseDocument(stackText);
  const raw = (document.toJS() ?? {}) as Record<string, unknown>;
  const config = (raw.config ?? {}) as Record<string, unknown>;

  const envPath = path.resolve(options.cwd, options.envFile);
  const parsed = readEnvFile(envPath, options.envFile);
  const layout: Layout = { mount: loaded.settings.kv.mount, prefix: loaded.settings.kv.prefix, tenant: loaded.settings.tenant.id as Id };
  const provider = secretsProviderOf(raw);

  const report: EnvMigrationReport = {
    stack: options.stack,
    stackFile: loaded.settings.stackFile,
    envFile: options.envFile,
    secretsProvider: provider,
    mapped: [],
    unmapped: [],
    empty: [],
    duplicates: parsed.duplicates.map((duplicate) => ({ variable: duplicate.key, lines: duplicate.lines })),
    conflicts: [],
    invalid: [],
    invalidLines: parsed.invalidLines,
    warnings: parsed.warnings.map((warning) => ({ line: warning.line, message: warning.reason })),
    changes: [],
    commands: [],
    blocked: [],
    written: false,
  };

  const mappings = buildMappings(loaded.catalog, legacy);
  const toTarget = (target: LegacyTarget): Target => resolveTarget(target, project.name, layout);
  const candidates = collectCandidates(parsed, mappings, toTarget, report);

  const passphrase = readPassphrase(options.env, options.cwd);
  const crypter = provider.kind === "passphrase" && passphrase !== undefined
    ? PassphraseCrypter.fromEncryptionSalt(passphrase, raw.encryptionsalt as string)
    : undefined;

  // Secret values are fingerprinted with a key derived from the passphrase when there is one, so a report
  // shared with others does not let them brute-force short secrets.
  const secretKey = passphrase === undefined ? undefined : fingerprintKey(passphrase);
  // Without a passphrase a secret's fingerprint would use the public key, so it is not shown at all.
  const fp = (value: string, secret: boolean): string => {
    if (!secret) return fingerprint(value);
    return secretKey === undefined ? HIDDEN_FINGERPRINT : fingerprint(value, secretKey);
  };
  const byKey = groupByKey(candidates);
  const existingOf = (target: Target) => existingValue(config, project.name, target);
  for (const [stackKey, group] of byKey) {
    const existing = existingOf(group[0]!.target);
    const values = new Set(group.map((candidate) => candidate.value));
    if (values.size > 1) {
      report.conflicts.push({
        kind: "variables",
        stackKey,
        values: group.map((c) => ({ variable: c.variable, line: c.line, fingerprint: fp(c.value, c.target.secret) })),
      });
    }
    let stackPlain: string | undefined;
    let comparison: StackComparison;
    if (existing === undefined) {
      comparison = "new";
    } else if (isSecureLeaf(existing)) {
      stackPlain = crypter === undefined ? undefined : decryptExisting(crypter, existing.secure, stackKey);
      comparison = stackPlain === undefined ? "unknown" : "differs";
    } else {
      stackPlain = String(existing);
      comparison = "differs";
    }
    for (const candidate of group) {
      const own = comparison === "differs" && stackPlain === candidate.value ? "unchanged" : comparison;
      report.mapped.push(toMapped(candidate, own, fp));
    }
    const first = group[0]!;
    if (comparison === "differs" && values.size === 1 && stackPlain !== first.value) {
      report.conflicts.push({
        kind: "stack",
        stackKey,
        variables: group.map((c) => c.variable),
        fingerprint: fp(first.value, first.target.secret),
        stackFingerprint: fp(stackPlain!, first.target.secret),
      });
    }
  }
  report.mapped.sort((a, b) => a.line - b.line || a.stackKey.localeCompare(b.stackKey));
  warnAboutUnknownComparisons(report, provider, passphrase !== undefined);
  warnAboutPlainCredentials(report, candidates);
  planChanges(report, byKey, options.overwrite);
  collectBlockers(report, options.overwrite);
  addCommands(report, byKey, provider, passphrase, options.stack);
  if (!options.write || report.blocked.length > 0) return report;
  if (provider.kind === "passphrase" && crypter === undefined) {
    throw new MigrationError(`--write needs the passphrase of stack ${options.stack}: ${PASSPHRASE_HELP}`, 2);
  }

  let writer = crypter;
  const edits: StackEdit[] = [];
  const secretEdits = new Map<number, string>();
  for (const change of report.changes) {
    const candidate = byKey.get(change.stackKey)![0]!;
    const target = candidate.target;
    const existing = existingValue(config, project.name, target);
    const topKey = config[`${project.name}:${target.configKey}`] === undefined && config[target.configKey] !== undefined
      ? target.configKey
      : `${project.name}:${target.configKey}`;
    const yamlPath = ["config", topKey, ...target.inner];
    // A key the stack already has encrypted stays encrypted, even when the catalog marks it plain.
    if (!target.secret && !isSecureLeaf(existing)) {
      edits.push({ path: yamlPath, value: candidate.value });
      continue;
    }
    if (provider.kind === "external" || (provider.kind === "new-passphrase" && passphrase === undefined)) continue;
    if (writer === undefined) {
      let created: ReturnType<typeof PassphraseCrypter.create>;
      try {
        created = PassphraseCrypter.create(passphrase!);
      } catch (error) {
        throw new MigrationError((error as Error).message, 2);
      }
      writer = created.crypter;
      edits.push({ path: ["encryptionsalt"], value: created.encryptionSalt });
      report.warnings.push({ message: "the stack file had no encryptionsalt, so a new one was created for the passphrase in the environment" });
    }
    secretEdits.set(edits.length, candidate.value);
    edits.push({ path: yamlPath, value: { secure: writer.encrypt(candidate.value) } });
  }
  if (edits.length === 0) return report;
  const newText = applyStackEdits(stackText, edits);
  verifyNewText(newText, edits, secretEdits, writer, options.stack, project.root);
  writeAtomically(stackFile, stackText, newText);
  report.written = true;
  return report;
}

/** Lists `pulumi config set` commands for secret changes this tool cannot encrypt itself. */
function addCommands(
  report: EnvMigrationReport,
  byKey: Map<string, Candidate[]>,
  provider: EnvMigrationReport["secretsProvider"],
  passphrase: string | undefined,
  stack: string,
): void {
  const cannotEncrypt = provider.kind === "external" || (provider.kind === "new-passphrase" && passphrase === undefined);
  if (!cannotEncrypt) return;
  for (const [stackKey, group] of byKey) {
    const target = group[0]!.target;
    const change = report.changes.find((entry) => entry.stackKey === stackKey);
    const unknown = report.mapped.some((entry) => entry.stackKey === stackKey && entry.stack === "unknown");
    if (!target.secret || (change === undefined && !unknown)) continue;
    const command = configSetCommand(stack, target.configKey, target.inner, { secret: true });
    report.commands.push(unknown ? `${command} (the stack already holds an encrypted value; compare before replacing it)` : command);
  }
}

/** Checks the new stack text before it is written: every secret decrypts to its value and the stack validates. */
function verifyNewText(
  newText: string,
  edits: StackEdit[],
  secretEdits: Map<number, string>,
  crypter: PassphraseCrypter | undefined,
  stack: string,
  root: string,
): void {
  const document = parseDocument(newText);
  for (const [index, value] of secretEdits) {
    const leaf = document.getIn(edits[index]!.path) as { toJSON?: () => unknown } | undefined;
    const secure = (leaf?.toJSON?.() as { secure?: string } | undefined)?.secure;
    if (crypter === undefined || secure === undefined || crypter.decrypt(secure) !== value) {
      throw new MigrationError(`internal check failed: the new value of ${formatPath(edits[index]!.path.slice(1))} does not decrypt to the env value; nothing was written`, 2);
    }
  }
  try {
    loadStack(stack, { root, stackText: newText });
  } catch (error) {
    if (error instanceof StackConfigError) {
      throw new MigrationError(`the migrated stack file would be invalid, so nothing was written:\n${error.message}`, 1);
    }
    throw error;
  }
}

/** Replaces `file` with `text` through a temporary file in the same folder, so readers see the old or the new file. */
function writeAtomically(file: string, expectedOld: string, text: string): void {
  if (readFileSync(file, "utf8") !== expectedOld) {
    throw new MigrationError(`${file} changed while the migration ran; nothing was written, run the command again`, 2);
  }
  const mode = statSync(file).mode & 0o777;
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    writeFileSync(temporary, text, { mode, flag: "wx" });
    const descriptor = openSync(temporary, "r");
    try {
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    renameSync(temporary, file);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // The temporary file was never created or is already renamed.
    }
    throw new MigrationError(`failed to write ${file}: ${(error as Error).message}`, 2);
  }
}

function readEnvFile(envPath: string, display: string): DotenvParseResult {
  let size: number;
  try {
    const stat = statSync(envPath);
    if (!stat.isFile()) throw new MigrationError(`env file ${display} is not a regular file`, 2);
    size = stat.size;
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw new MigrationError(`cannot read env file ${display}: ${(error as NodeJS.ErrnoException).code ?? "error"}`, 2);
  }
  if (size > MAX_ENV_FILE_BYTES) {
    throw new MigrationError(`env file ${display} is ${size} bytes, more than the ${MAX_ENV_FILE_BYTES}-byte limit`, 2);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(envPath);
  } catch (error) {
    throw new MigrationError(`cannot read env file ${display}: ${(error as NodeJS.ErrnoException).code ?? "error"}`, 2);
  }
  try {
    return parseDotenv(bytes, display);
  } catch (error) {
    throw new MigrationError((error as Error).message, 2);
  }
}

/** Returns which secrets provider the stack file names. */
function secretsProviderOf(raw: Record<string, unknown>): EnvMigrationReport["secretsProvider"] {
  const name = typeof raw.secretsprovider === "string" ? raw.secretsprovider : undefined;
  const salt = typeof raw.encryptionsalt === "string" ? raw.encryptionsalt : undefined;
  if (name !== undefined && name !== "passphrase") return { kind: "external", name };
  if (salt !== undefined) return { kind: "passphrase" };
  return { kind: "new-passphrase" };
}

function buildMappings(catalog: Catalog, legacy: LegacyTable): Map<string, Mapping> {
  const mappings = new Map<string, Mapping>();
  for (const row of catalog.envVars) {
    const secret = catalog.match(row.scope, row.path)!.secret;
    const isSecret = secret.keys.find((key) => key.name === row.key)!.secret;
    mappings.set(row.variable, { target: { scope: row.scope, path: row.path, key: row.key, secret: isSecret } });
  }
  for (const row of legacy.variables) {
    if (row.target !== undefined) mappings.set(row.variable, { target: row.target });
    else if (row.split !== undefined) mappings.set(row.variable, { split: row.split });
  }
  for (const row of legacy.noTarget) mappings.set(row.variable, { reason: `no target: ${row.reason}` });
  return mappings;
}

function resolveTarget(target: LegacyTarget, project: string, layout: Layout): Target {
  const configKey = target.scope === "tenant" ? "infrastructure" : "system";
  const relative = target.scope === "tenant" ? target.path.replace(/^infrastructure\//, "") : target.path;
  const inner = [...relative.split("/"), target.key];
  return {
    ...target,
    configKey,
    inner,
    stackKey: `${project}:${formatPath([configKey, ...inner])}`,
    vaultPath: secretPath(layout, { scope: target.scope }, target.path),
  };
}

function collectCandidates(
  parsed: DotenvParseResult,
  mappings: Map<string, Mapping>,
  toTarget: (target: LegacyTarget) => Target,
  report: EnvMigrationReport,
): Candidate[] {
  const candidates: Candidate[] = [];
  const add = (variable: string, line: number, value: string, target: LegacyTarget, part?: string) => {
    const resolved = toTarget(target);
    const problem = valueProblem(target.key, value);
    if (problem !== undefined) {
      report.invalid.push({ variable, line, message: `${part === undefined ? "value" : `the ${part} part`} ${problem} (for ${resolved.stackKey})` });
      return;
    }
    candidates.push({ variable, line, part, value, target: resolved });
  };
  for (const entry of parsed.entries) {
    const mapping = mappings.get(entry.key);
    if (entry.value === "") {
      const stackKey = mapping !== undefined && "target" in mapping ? toTarget(mapping.target).stackKey : undefined;
      report.empty.push({ variable: entry.key, line: entry.line, ...(stackKey === undefined ? {} : { stackKey }) });
      continue;
    }
    if (mapping === undefined || "reason" in mapping) {
      report.unmapped.push({ variable: entry.key, line: entry.line, reason: mapping?.reason ?? UNKNOWN_REASON });
      continue;
    }
    if ("target" in mapping) {
      add(entry.key, entry.line, entry.value, mapping.target);
      continue;
    }
    const split = splitValue(mapping.split.kind, entry.value);
    if (split.problem !== undefined) {
      report.invalid.push({ variable: entry.key, line: entry.line, message: `value ${split.problem}` });
      continue;
    }
    for (const dropped of split.dropped) {
      report.warnings.push({ variable: entry.key, line: entry.line, message: `part of the value is not migrated because the catalog has no key for it: ${dropped}` });
    }
    for (const [part, value] of Object.entries(split.parts)) {
      const target = mapping.split.parts[part];
      if (target === undefined) {
        report.warnings.push({ variable: entry.key, line: entry.line, message: `the ${part} part of the value is not migrated because the catalog has no key for it` });
      } else if (value !== undefined) {
        add(entry.key, entry.line, value, target, part);
      }
    }
  }
  return candidates;
}

function groupByKey(candidates: Candidate[]): Map<string, Candidate[]> {
  const groups = new Map<string, Candidate[]>();
  for (const candidate of candidates) {
    const group = groups.get(candidate.target.stackKey);
    if (group === undefined) groups.set(candidate.target.stackKey, [candidate]);
    else group.push(candidate);
  }
  return groups;
}

/** Returns the stack's value at the target: a scalar, a `{ secure }` leaf, or undefined when absent. */
function existingValue(config: Record<string, unknown>, project: string, target: Target): unknown {
  let node: unknown = config[`${project}:${target.configKey}`] ?? config[target.configKey];
  for (const part of target.inner) {
    if (typeof node !== "object" || node === null || isSecureLeaf(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node === null ? undefined : node;
}

function decryptExisting(crypter: PassphraseCrypter, ciphertext: string, stackKey: string): string {
  try {
    return crypter.decrypt(ciphertext);
  } catch (error) {
    throw new MigrationError(`cannot decrypt the stack's value of ${stackKey}: ${(error as Error).message}`, 2);
  }
}

function toMapped(candidate: Candidate, comparison: StackComparison, fp: (value: string, secret: boolean) => string): MappedVariable {
  return {
    variable: candidate.variable,
    line: candidate.line,
    ...(candidate.part === undefined ? {} : { part: candidate.part }),
    stackKey: candidate.target.stackKey,
    path: candidate.target.vaultPath,
    key: candidate.target.key,
    secret: candidate.target.secret,
    fingerprint: fp(candidate.value, candidate.target.secret),
    stack: comparison,
  };
}

function warnAboutUnknownComparisons(report: EnvMigrationReport, provider: EnvMigrationReport["secretsProvider"], hasPassphrase: boolean): void {
  const unknown = new Set(report.mapped.filter((entry) => entry.stack === "unknown").map((entry) => entry.stackKey));
  for (const stackKey of unknown) {
    const why =
      provider.kind === "external"
        ? `the stack's secrets provider ${provider.name} cannot be used offline`
        : hasPassphrase
          ? "the stack's value cannot be decrypted"
          : `no passphrase is set (${PASSPHRASE_HELP})`;
    report.warnings.push({ message: `cannot compare with the stack's encrypted value of ${stackKey}: ${why}` });
  }
}

/** Warns about values that look like credentials but go to a plain key, where they would be stored unencrypted. */
function warnAboutPlainCredentials(report: EnvMigrationReport, candidates: Candidate[]): void {
  for (const candidate of candidates) {
    if (candidate.target.secret) continue;
    const hint = credentialHint(candidate.value);
    if (hint === undefined) continue;
    const what = candidate.part === undefined ? "the value" : `the ${candidate.part} part`;
    report.warnings.push({
      variable: candidate.variable,
      line: candidate.line,
      message: `${what} ${hint}, but ${candidate.target.stackKey} is a plain (unencrypted) key; check that the variable is the one you meant`,
    });
  }
}

function planChanges(report: EnvMigrationReport, byKey: Map<string, Candidate[]>, overwrite: boolean): void {
  const conflicting = new Set(report.conflicts.filter((c) => c.kind === "variables").map((c) => c.stackKey));
  for (const [stackKey, group] of byKey) {
    if (conflicting.has(stackKey)) continue;
    const comparison = report.mapped.find((entry) => entry.stackKey === stackKey && entry.variable === group[0]!.variable)!.stack;
    if (comparison === "new") report.changes.push({ stackKey, action: "add", secret: group[0]!.target.secret });
    else if (comparison === "differs" && overwrite) report.changes.push({ stackKey, action: "replace", secret: group[0]!.target.secret });
  }
}

function collectBlockers(report: EnvMigrationReport, overwrite: boolean): void {
  if (report.invalidLines.length > 0) {
    report.blocked.push(`${report.invalidLines.length} line(s) of the env file cannot be read; fix or delete them`);
  }
  const unclosed = report.warnings.filter((w) => w.variable === undefined && w.line !== undefined).length;
  if (unclosed > 0) report.blocked.push(`${unclosed} line(s) of the env file open a quote that never closes; fix them`);
  if (report.invalid.length > 0) report.blocked.push(`${report.invalid.length} value(s) are invalid for their keys`);
  const variableConflicts = report.conflicts.filter((c) => c.kind === "variables").length;
  if (variableConflicts > 0) {
    report.blocked.push(`${variableConflicts} key(s) get different values from different variables; keep one variable per key`);
  }
  const stackConflicts = report.conflicts.filter((c) => c.kind === "stack").length;
  if (stackConflicts > 0 && !overwrite) {
    report.blocked.push(`${stackConflicts} value(s) differ from the stack's; pass --overwrite to replace them, or remove the variables`);
  }
}
