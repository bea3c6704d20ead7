/**
 * `gbo-vault migrate-vault <stack>`: the plan for moving the app's old flat layout (`gbo/tables`, `gbo/email`,
 * ...) to the catalog's paths and keys, as Vault CLI commands an operator runs. Offline: it calls no Vault.
 */
import * as path from "node:path";
import { loadStack } from "../core/load";
import { type Layout, legacyRoot, secretPath } from "../core/paths";
import { configSetCommand } from "../core/settings";
import type { Id } from "../core/ids";
import { loadLegacy } from "../migrate/legacy";
import { parseArgs, single, UsageError } from "./args";
import type { Command } from "./io";
import { reportLoadError } from "./errors";

export const MIGRATE_VAULT_USAGE = `usage: gbo-vault migrate-vault <stack> [--json] [--root DIR]

Prints, for every key of the app's old flat Vault layout in config/legacy.yaml, the new secret and key it
moves to, with a 'vault kv get' | 'vault kv patch' pair that copies it. The value goes through a pipe and
'vault kv patch KEY=-' reads it from standard input, so it never lands on a command line or in shell history.
Keys with no target are listed with the reason. Calls no Vault and needs no passphrase.

  --json   print the plan as one JSON object
  --root   project folder that holds Pulumi.yaml (default: this repository)
`;

export interface VaultMove {
  legacyPath: string;
  legacyKey: string;
  key: string;
  secret: boolean;
  /** Reads the old value: `vault kv get -mount=<m> -field=<old key> <old path>`. */
  get: string;
  /** Writes it from standard input: `vault kv patch -mount=<m> <new path> <new key>=-`. */
  patch: string;
  /** Sets the stack config key from standard input, so `pulumi up` keeps the value. */
  configSet: string;
  /** Other old keys that feed the same new key; copy only the one that has the current value. */
  alsoFrom: string[];
}

export interface VaultMigrationPlan {
  stack: string;
  oldMount: string;
  newMount: string;
  notes: string[];
  /** One entry per new secret, with the old keys that move into it. */
  targets: Array<{ path: string; scope: "system" | "tenant"; catalogPath: string; moves: VaultMove[] }>;
  noTarget: Array<{ legacyPath: string; legacyKey: string; reason: string }>;
  /** Every old path of the legacy table. */
  legacyPaths: string[];
}

/** Builds the plan for a stack from its settings and `config/legacy.yaml`. */
export function planVaultMigration(stack: string, root?: string): VaultMigrationPlan {
  const loaded = loadStack(stack, { root });
  const legacy = loadLegacy(path.join(root ?? path.resolve(__dirname, "..", ".."), "config"), loaded.catalog);
  const settings = loaded.settings;
  const layout: Layout = { mount: settings.kv.mount, prefix: settings.kv.prefix, tenant: settings.tenant.id as Id };
  const oldMount = loaded.catalog.appContract.mount;
  const targets = new Map<string, VaultMigrationPlan["targets"][number]>();
  const noTarget: VaultMigrationPlan["noTarget"] = [];

  for (const entry of legacy.vault) {
    const oldPath = `${legacyRoot(layout)}/${entry.legacyPath}`;
    for (const pair of entry.keys) {
      const newPath = secretPath(layout, { scope: pair.scope }, pair.path);
      let target = targets.get(newPath);
      if (target === undefined) {
        target = { path: newPath, scope: pair.scope, catalogPath: pair.path, moves: [] };
        targets.set(newPath, target);
      }
      const configKey = pair.scope === "tenant" ? "infrastructure" : "system";
      const relative = pair.scope === "tenant" ? pair.path.replace(/^infrastructure\//, "") : pair.path;
      const get = `vault kv get -mount=${quote(oldMount)} -field=${quote(pair.legacyKey)} ${quote(oldPath)}`;
      target.moves.push({
        legacyPath: oldPath,
        legacyKey: pair.legacyKey,
        key: pair.key,
        secret: pair.secret,
        get,
        patch: `vault kv patch -mount=${quote(layout.mount)} ${quote(newPath)} ${quote(`${pair.key}=-`)}`,
        configSet: `${get} | ${configSetCommand(stack, configKey, [...relative.split("/"), pair.key], { secret: pair.secret }).replace(/\s+#.*$/, "").replace(/ <value>$/, "")}`,
        alsoFrom: [],
      });
    }
    for (const skipped of entry.noTarget) noTarget.push({ legacyPath: oldPath, legacyKey: skipped.legacyKey, reason: skipped.reason });
  }
  for (const target of targets.values()) {
    for (const move of target.moves) {
      move.alsoFrom = target.moves
        .filter((other) => other !== move && other.key === move.key)
        .map((other) => `${other.legacyPath} ${other.legacyKey}`);
    }
  }

  return {
    stack,
    oldMount,
    newMount: layout.mount,
    notes: [
      "the order that keeps every value: first run each configSet command (or 'gbo-vault migrate-env'), which " +
        "puts the value in stack config ('pulumi config set' given no value reads it from standard input); then " +
        "'pulumi up', which writes the new secrets from stack config.",
      "the 'vault kv patch' lines are for a Vault that this stack does not manage yet: 'pulumi up' later replaces " +
        "a value set only in Vault, and 'vault kv patch' fails while the new secret does not exist.",
      "where several old keys feed one new key, copy only the one that has the current value.",
    ],
    targets: [...targets.values()],
    noTarget,
    legacyPaths: legacy.vault.map((entry) => `${legacyRoot(layout)}/${entry.legacyPath}`),
  };
}

function quote(text: string): string {
  return /^[A-Za-z0-9_.:/@=+-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

export const migrateVaultCommand: Command = async (args, io) => {
  let stack: string;
  let root: string | undefined;
  let json: boolean;
  try {
    const parsed = parseArgs(args, { valued: ["root"], flags: ["json", "help"] });
    if (parsed.flags.has("help")) {
      io.stdout(MIGRATE_VAULT_USAGE);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new UsageError("migrate-vault needs exactly one stack name");
    stack = parsed.positionals[0]!;
    root = single(parsed, "root");
    json = parsed.flags.has("json");
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`gbo-vault migrate-vault: ${error.message}\n${MIGRATE_VAULT_USAGE}`);
      return 2;
    }
    throw error;
  }
  let plan: VaultMigrationPlan;
  try {
    plan = planVaultMigration(stack, root === undefined ? undefined : path.resolve(io.cwd, root));
  } catch (error) {
    return reportLoadError(error, (text) => io.stderr(text));
  }
  io.stdout(json ? `${JSON.stringify(plan, null, 2)}\n` : formatVaultPlan(plan));
  return 0;
};

/** Formats the plan as text grouped by new secret. */
export function formatVaultPlan(plan: VaultMigrationPlan): string {
  const lines = [
    `Vault migration plan for stack ${plan.stack}: old layout on mount ${plan.oldMount}, new layout on mount ${plan.newMount}.`,
    ...plan.notes.map((note) => `note: ${note}`),
  ];
  for (const target of plan.targets) {
    lines.push("", `${target.path} (${target.scope} ${target.catalogPath})`);
    for (const move of target.moves) {
      lines.push(`  ${move.legacyPath} ${move.legacyKey} -> ${move.key} (${move.secret ? "secret" : "plain"})`);
      if (move.alsoFrom.length > 0) lines.push(`    also fed by ${move.alsoFrom.join(", ")}`);
      lines.push(`    ${move.get} | ${move.patch}`);
      lines.push(`    ${move.configSet}`);
    }
  }
  if (plan.noTarget.length > 0) {
    lines.push("", `no target (${plan.noTarget.length}):`);
    for (const entry of plan.noTarget) lines.push(`  ${entry.legacyPath} ${entry.legacyKey}: ${entry.reason}`);
  }
  return `${lines.join("\n")}\n`;
}
