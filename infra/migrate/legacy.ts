/**
 * The legacy table in `config/legacy.yaml`: old environment variables and the app's old flat Vault layout,
 * each mapped to a catalog secret and key or listed with the reason it has no target. Validated with zod and
 * cross-checked against the catalog when loaded.
 */
import * as path from "node:path";
import { z } from "zod";
import { type Catalog, CONFIG_DIR, loadCatalog } from "../core/catalog";
import { idProblem, type IdKind } from "../core/ids";
import { SourceError, type SourceProblem, validateYaml, YamlSource } from "../core/yamlfile";

const FILE = "config/legacy.yaml";

/** Parts that each kind of URL split yields; `parts` in config/legacy.yaml maps them to catalog keys. */
export const SPLIT_PARTS = {
  "postgres-url": ["host", "port", "database", "username", "password"],
  "redis-url": ["host", "port", "password"],
  endpoint: ["host", "port"],
} as const;
export type SplitKind = keyof typeof SPLIT_PARTS;

const VARIABLE_NAME = /^[A-Z][A-Z0-9_]*$/;
const LEGACY_PATH = /^(?:[a-z0-9_-]+|\{[a-z_]+\})(?:\/(?:[a-z0-9_-]+|\{[a-z_]+\}))*$/;
const reason = z.string().min(10, "a reason must say why, in at least 10 characters");

const variableSchema = z
  .strictObject({
    variable: z.string().regex(VARIABLE_NAME, "variable names are upper-case with '_'"),
    scope: z.enum(["system", "tenant"]),
    path: z.string().min(1),
    key: z.string().min(1).optional(),
    split: z.enum(Object.keys(SPLIT_PARTS) as [SplitKind, ...SplitKind[]]).optional(),
    parts: z.record(z.string(), z.string().min(1)).optional(),
  })
  .check((context) => {
    const row = context.value;
    if ((row.key === undefined) === (row.split === undefined)) {
      context.issues.push({ code: "custom", input: row, message: "give exactly one of key and split" });
    }
    if ((row.split === undefined) !== (row.parts === undefined)) {
      context.issues.push({ code: "custom", input: row, message: "split and parts go together" });
    }
  });

const legacyKeySchema = z
  .strictObject({
    legacyKey: z.string().regex(/^[a-z0-9]+(?:[-_][a-z0-9]+)*$/, "old keys are lower-case words joined by '_' or '-'"),
    scope: z.enum(["system", "tenant"]).optional(),
    path: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    noTarget: reason.optional(),
  })
  .check((context) => {
    const row = context.value;
    const targetFields = [row.scope, row.path, row.key].filter((field) => field !== undefined).length;
    if (row.noTarget === undefined ? targetFields !== 3 : targetFields !== 0) {
      context.issues.push({ code: "custom", input: row, message: "give either scope, path and key, or noTarget" });
    }
  });

const legacySchema = z.strictObject({
  variables: z.array(variableSchema),
  noTarget: z.array(z.strictObject({ variable: z.string().regex(VARIABLE_NAME), reason })),
  vault: z.array(
    z.strictObject({
      legacyPath: z.string().regex(LEGACY_PATH, "old paths are lower-case segments or {parameter} segments joined by '/'"),
      keys: z.array(legacyKeySchema).min(1),
    }),
  ),
});

/** A catalog key that a legacy name moves to. `path` is relative to the scope root, parameters filled. */
export interface LegacyTarget {
  scope: "system" | "tenant";
  path: string;
  key: string;
  /** The catalog marks the key as a credential. */
  secret: boolean;
}

/** One environment variable of the legacy table; exactly one of `target` and `split` is set. */
export interface LegacyVariable {
  variable: string;
  line?: number;
  target?: LegacyTarget;
  split?: { kind: SplitKind; parts: Partial<Record<string, LegacyTarget>> };
}

/** One old flat path with its keys: the pairs that have a target, and the keys that have none. */
export interface LegacyVaultPath {
  /** Path under the root prefix, for example `tables` for `gbo/tables`. */
  legacyPath: string;
  keys: Array<{ legacyKey: string } & LegacyTarget>;
  noTarget: Array<{ legacyKey: string; reason: string }>;
}

export interface LegacyTable {
  variables: LegacyVariable[];
  noTarget: Array<{ variable: string; reason: string }>;
  vault: LegacyVaultPath[];
}

/**
 * Loads `legacy.yaml` from `configDir` and checks every target against the catalog of the same folder. Every
 * problem is thrown at once in a {@link SourceError} naming the file, line, entry and reason.
 */
export function loadLegacy(configDir: string = CONFIG_DIR, catalog: Catalog = loadCatalog(configDir)): LegacyTable {
  const source = YamlSource.read(path.join(configDir, "legacy.yaml"), FILE);
  const raw = validateYaml(source, legacySchema, "legacy table");
  const problems: SourceProblem[] = [];
  const report = (at: Array<string | number>, message: string): void => {
    problems.push({ file: FILE, line: source.lineOf(at), at: formatAt(at), message });
  };

  const resolve = (at: Array<string | number>, scope: "system" | "tenant", secretPath: string, key: string) => {
    const where = `${scope} ${secretPath}`;
    if (scope === "tenant" && !secretPath.startsWith("infrastructure/")) {
      report(at, `"${secretPath}" is not under infrastructure/, the only tenant secrets that stack config seeds`);
      return undefined;
    }
    const match = catalog.match(scope, secretPath);
    if (match === undefined) {
      report(at, `"${secretPath}" is not a ${scope} secret of the catalog`);
      return undefined;
    }
    for (const [parameter, value] of Object.entries(match.values)) {
      const kind: IdKind = parameter === "provider" ? "provider" : "name";
      const problem = idProblem(kind, value);
      if (problem !== undefined) {
        report(at, `invalid ${kind} id ${JSON.stringify(value)} in "${secretPath}": ${problem}`);
        return undefined;
      }
    }
    const catalogKey = match.secret.keys.find((candidate) => candidate.name === key);
    if (catalogKey === undefined) {
      report(at, `${where} has no key "${key}"; its keys are ${match.secret.keys.map((k) => k.name).join(", ")}`);
      return undefined;
    }
    return { scope, path: secretPath, key, secret: catalogKey.secret };
  };

  const seenVariables = new Map<string, string>();
  for (const row of catalog.envVars) seenVariables.set(row.variable, "config/env-vars.yaml");
  const claim = (at: Array<string | number>, variable: string): void => {
    const first = seenVariables.get(variable);
    if (first !== undefined) report(at, `${variable} is already mapped in ${first}`);
    else seenVariables.set(variable, `${FILE} ${formatAt(at)}`);
  };

  const variables: LegacyVariable[] = raw.variables.map((row, index) => {
    const at = ["variables", index];
    claim(at, row.variable);
    const variable: LegacyVariable = { variable: row.variable, line: source.lineOf(at) };
    if (row.key !== undefined) {
      variable.target = resolve(at, row.scope, row.path, row.key);
    } else if (row.split !== undefined && row.parts !== undefined) {
      const allowed: readonly string[] = SPLIT_PARTS[row.split];
      const parts: Partial<Record<string, LegacyTarget>> = {};
      for (const [part, key] of Object.entries(row.parts)) {
        if (!allowed.includes(part)) {
          report([...at, "parts", part], `${row.split} has no part "${part}"; its parts are ${allowed.join(", ")}`);
          continue;
        }
        parts[part] = resolve([...at, "parts", part], row.scope, row.path, key);
      }
      variable.split = { kind: row.split, parts };
    }
    return variable;
  });

  raw.noTarget.forEach((row, index) => claim(["noTarget", index], row.variable));

  const seenPaths = new Set<string>();
  const vault: LegacyVaultPath[] = raw.vault.map((entry, index) => {
    const at = ["vault", index];
    if (seenPaths.has(entry.legacyPath)) report(at, `duplicate old path "${entry.legacyPath}"`);
    seenPaths.add(entry.legacyPath);
    const result: LegacyVaultPath = { legacyPath: entry.legacyPath, keys: [], noTarget: [] };
    const seenKeys = new Set<string>();
    entry.keys.forEach((row, keyIndex) => {
      const keyAt = [...at, "keys", keyIndex];
      if (seenKeys.has(row.legacyKey)) report(keyAt, `duplicate old key "${row.legacyKey}" in "${entry.legacyPath}"`);
      seenKeys.add(row.legacyKey);
      if (row.noTarget !== undefined) {
        result.noTarget.push({ legacyKey: row.legacyKey, reason: row.noTarget });
        return;
      }
      const target = resolve(keyAt, row.scope!, row.path!, row.key!);
      if (target !== undefined) result.keys.push({ legacyKey: row.legacyKey, ...target });
    });
    return result;
  });

  if (problems.length > 0) throw new SourceError(problems, `${FILE} is not a valid legacy table`);
  return { variables, noTarget: raw.noTarget, vault };
}

function formatAt(at: Array<string | number>): string {
  return at.map((part, index) => (typeof part === "number" ? `[${part}]` : index === 0 ? part : `.${part}`)).join("");
}
