/**
 * The catalog: every secret of the layout by scope, the environment-variable table and the app contract, read
 * from `config/*.yaml` and validated with zod before anything else runs.
 */
import * as path from "node:path";
import { z } from "zod";
import { catalogPathParameters } from "./paths";
import { formatPath, SourceError, type SourceProblem, validateYaml, YamlSource } from "./yamlfile";

export const CONFIG_DIR = path.resolve(__dirname, "..", "..", "config");

const KEY_NAME = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;
const CATALOG_PATH = /^(?:[a-z0-9-]+|\{[a-z_]+\})(?:\/(?:[a-z0-9-]+|\{[a-z_]+\}))*$/;

const keySchema = z.strictObject({
  name: z.string().regex(KEY_NAME, "key names are lower-case words joined by '-' or '_'"),
  secret: z.boolean(),
});

const secretSchema = z.strictObject({
  path: z.string().regex(CATALOG_PATH, "a catalog path is lower-case segments or {parameter} segments joined by '/'"),
  description: z.string().min(1),
  fallback: z.string().optional(),
  keys: z.array(keySchema).min(1),
});

const scopeSchema = z.strictObject({
  description: z.string().min(1),
  secrets: z.array(secretSchema).min(1),
});

const catalogSchema = z.strictObject({
  scopes: z.strictObject({
    system: scopeSchema,
    tenant: scopeSchema,
    bot: scopeSchema,
    user: scopeSchema,
  }),
});

const envVarSchema = z.strictObject({
  variables: z
    .array(
      z.strictObject({
        variable: z.string().regex(/^[A-Z][A-Z0-9_]*$/, "variable names are upper-case with '_'"),
        scope: z.enum(["system", "tenant"]),
        path: z.string().min(1),
        key: z.string().min(1),
      }),
    )
    .min(1),
});

const appContractSchema = z.strictObject({
  mount: z.string().min(1),
  paths: z
    .array(
      z.strictObject({
        path: z.string().regex(/^(?:[a-z0-9_-]+|\{[a-z_]+\})(?:\/(?:[a-z0-9_-]+|\{[a-z_]+\}))*$/),
        access: z.enum(["read", "read-write"]),
        keys: z.array(z.string().min(1)).min(1),
        required: z.array(z.string().min(1)).optional(),
        owner: z.enum(["operator", "app"]).optional(),
      }),
    )
    .min(1),
});

export type CatalogScope = "system" | "tenant" | "bot" | "user";
export type CatalogKey = z.infer<typeof keySchema>;
export type CatalogSecret = z.infer<typeof secretSchema> & { scope: CatalogScope; parameters: string[] };
export type EnvVarMapping = z.infer<typeof envVarSchema>["variables"][number];
export type AppContractPath = z.infer<typeof appContractSchema>["paths"][number];

export interface Catalog {
  scopes: Record<CatalogScope, { description: string; secrets: CatalogSecret[] }>;
  envVars: EnvVarMapping[];
  appContract: { mount: string; paths: AppContractPath[] };
  /** Returns the catalog secret with this scope and path, parameters left as `{name}`. */
  secret(scope: CatalogScope, catalogPath: string): CatalogSecret | undefined;
  /** Returns the catalog secret that a concrete path such as `llm/providers/openai` is an instance of. */
  match(scope: CatalogScope, concretePath: string): { secret: CatalogSecret; values: Record<string, string> } | undefined;
}

/** Loads and validates the catalog files; every problem of every file is thrown at once. */
export function loadCatalog(configDir: string = CONFIG_DIR): Catalog {
  const problems: SourceProblem[] = [];
  const sources = new Map<string, YamlSource>();
  const load = <T>(fileName: string, schema: z.ZodType<T>, what: string): T | undefined => {
    try {
      const source = YamlSource.read(path.join(configDir, fileName), `config/${fileName}`);
      sources.set(source.file, source);
      return validateYaml(source, schema, what);
    } catch (error) {
      if (error instanceof SourceError) {
        problems.push(...error.problems);
        return undefined;
      }
      throw error;
    }
  };
  const rawCatalog = load("catalog.yaml", catalogSchema, "catalog");
  const envVars = load("env-vars.yaml", envVarSchema, "environment-variable table");
  const appContract = load("app-contract.yaml", appContractSchema, "app contract");
  if (rawCatalog === undefined || envVars === undefined || appContract === undefined) {
    throw new SourceError(problems, "the catalog in config/ is invalid");
  }

  const scopes = {} as Catalog["scopes"];
  for (const scope of ["system", "tenant", "bot", "user"] as const) {
    const raw = rawCatalog.scopes[scope];
    scopes[scope] = {
      description: raw.description,
      secrets: raw.secrets.map((secret) => ({ ...secret, scope, parameters: catalogPathParameters(secret.path) })),
    };
  }
  const catalog = makeCatalog(scopes, envVars.variables, appContract);
  for (const problem of crossCheck(catalog)) {
    problems.push({
      file: problem.file,
      line: sources.get(problem.file)?.lineOf(problem.path),
      at: formatPath(problem.path),
      message: problem.message,
    });
  }
  if (problems.length > 0) throw new SourceError(problems, "the catalog in config/ is invalid");
  return catalog;
}

function makeCatalog(
  scopes: Catalog["scopes"],
  envVars: EnvVarMapping[],
  appContract: Catalog["appContract"],
): Catalog {
  return {
    scopes,
    envVars,
    appContract,
    secret: (scope, catalogPath) => scopes[scope].secrets.find((secret) => secret.path === catalogPath),
    match: (scope, concretePath) => {
      const concrete = concretePath.split("/");
      for (const secret of scopes[scope].secrets) {
        const pattern = secret.path.split("/");
        if (pattern.length !== concrete.length) continue;
        const values: Record<string, string> = {};
        const matches = pattern.every((part, index) => {
          const parameter = /^\{([a-z_]+)\}$/.exec(part);
          if (parameter) {
            values[parameter[1]!] = concrete[index]!;
            return true;
          }
          return part === concrete[index];
        });
        if (matches) return { secret, values };
      }
      return undefined;
    },
  };
}

interface CrossCheckProblem {
  file: string;
  path: Array<string | number>;
  message: string;
}

function crossCheck(catalog: Catalog): CrossCheckProblem[] {
  const problems: CrossCheckProblem[] = [];
  const file = "config/catalog.yaml";
  for (const scope of ["system", "tenant", "bot", "user"] as const) {
    const seen = new Set<string>();
    catalog.scopes[scope].secrets.forEach((secret, index) => {
      const at = ["scopes", scope, "secrets", index];
      if (seen.has(secret.path)) problems.push({ file, path: [...at, "path"], message: `duplicate secret path "${secret.path}"` });
      seen.add(secret.path);
      const keyNames = new Set<string>();
      secret.keys.forEach((key, keyIndex) => {
        if (keyNames.has(key.name)) {
          problems.push({ file, path: [...at, "keys", keyIndex], message: `duplicate key "${key.name}" in "${secret.path}"` });
        }
        keyNames.add(key.name);
      });
      if (secret.fallback !== undefined && catalog.secret("system", secret.fallback) === undefined) {
        problems.push({ file, path: [...at, "fallback"], message: `fallback "${secret.fallback}" is not a system secret of the catalog` });
      }
      if (secret.parameters.length > 0 && scope === "tenant") {
        problems.push({ file, path: [...at, "path"], message: "tenant secrets cannot have parameters" });
      }
    });
  }
  catalog.envVars.forEach((row, index) => {
    const match = catalog.match(row.scope, row.path);
    const file = "config/env-vars.yaml";
    if (match === undefined) {
      problems.push({ file, path: ["variables", index, "path"], message: `${row.variable}: path "${row.path}" is not a ${row.scope} secret of the catalog` });
    } else if (!match.secret.keys.some((key) => key.name === row.key)) {
      problems.push({ file, path: ["variables", index, "key"], message: `${row.variable}: secret "${row.path}" has no key "${row.key}"` });
    }
  });
  return problems;
}
