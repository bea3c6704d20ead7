import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CONFIG_DIR, type CatalogScope, loadCatalog } from "../../infra/core/catalog";
import { SourceError } from "../../infra/core/yamlfile";
import { thrown } from "./support";

/** The secret tree of the migration plan: scope, then catalog path, then the key names of that secret. */
const PLAN_TREE: Record<CatalogScope, Record<string, string[]>> = {
  system: {
    jwt: ["secret"],
    tables: ["host", "port", "database", "username", "password"],
    drive: ["accesskey", "secret"],
    cache: ["url"],
    email: ["smtp-host", "smtp-port", "smtp-user", "smtp-password", "smtp-from"],
    llm: ["url", "model"],
    "llm/providers/{provider}": ["api-key"],
    models: ["url"],
    directory: ["config"],
    security: ["require-auth", "anonymous-paths"],
    alm: ["url", "token", "default-org"],
    cloud: ["access-key", "secret-key", "region", "s3-endpoint"],
    app: ["url", "environment", "disable-tls"],
  },
  tenant: {
    "infrastructure/tables": ["host", "port", "username", "password"],
    "infrastructure/drive": ["host", "port", "accesskey", "secret"],
    "infrastructure/cache": ["host", "port", "password"],
    "infrastructure/email": ["smtp-host", "smtp-port", "smtp-user", "smtp-password"],
    "infrastructure/directory": ["url"],
    "infrastructure/llm": ["url"],
    "infrastructure/models": ["url"],
    config: ["name", "domain", "settings"],
  },
  bot: {
    email: ["smtp-host", "smtp-port", "smtp-user", "smtp-password", "imap-host", "imap-port", "imap-user", "imap-password"],
    whatsapp: ["phone-number-id", "business-account-id", "api-key"],
    llm: ["provider", "model", "api-key"],
    "api-keys": ["openai", "anthropic"],
  },
  user: {
    email: ["imap-host", "imap-port", "imap-user", "imap-password", "smtp-host", "smtp-port", "smtp-user", "smtp-password"],
    "oauth/google": ["client-id", "client-secret"],
    "oauth/microsoft": ["client-id", "client-secret"],
    "oauth/github": ["client-id", "client-secret"],
  },
};

/** The migration plan's table of environment variables: variable, then `<system path>/<key>`. */
const PLAN_ENV_VARS: Record<string, string> = {
  JWT_SECRET: "jwt/secret",
  LLM_KEY: "llm/providers/openai/api-key",
  OPENAI_API_KEY: "llm/providers/openai/api-key",
  SMTP_HOST: "email/smtp-host",
  SMTP_USER: "email/smtp-user",
  SMTP_PASS: "email/smtp-password",
  SMTP_FROM: "email/smtp-from",
  FORGEJO_URL: "alm/url",
  FORGEJO_TOKEN: "alm/token",
  FORGEJO_DEFAULT_ORG: "alm/default-org",
  AWS_ACCESS_KEY_ID: "cloud/access-key",
  AWS_SECRET_ACCESS_KEY: "cloud/secret-key",
  AWS_REGION: "cloud/region",
  S3_ENDPOINT: "cloud/s3-endpoint",
  ZITADEL_ISSUER_URL: "directory/zitadel-issuer",
  ZITADEL_CLIENT_ID: "directory/zitadel-client-id",
  REQUIRE_AUTH: "security/require-auth",
  ANONYMOUS_PATHS: "security/anonymous-paths",
  APP_URL: "app/url",
  BOTSERVER_ENV: "app/environment",
  LLM_URL: "llm/url",
  LLM_MODEL: "llm/model",
  BOTMODELS_URL: "models/url",
};

/** Credentials, which the catalog must mark `secret: true` so a stack can only hold them encrypted. */
const CREDENTIAL_KEYS = ["password", "secret", "accesskey", "api-key", "token", "secret-key", "access-key", "smtp-password", "imap-password", "client-secret"];

describe("shipped catalog", () => {
  const catalog = loadCatalog();

  it("loads from config/", () => {
    expect(CONFIG_DIR.endsWith(`${path.sep}config`)).toBe(true);
  });

  for (const [scope, secrets] of Object.entries(PLAN_TREE) as Array<[CatalogScope, Record<string, string[]>]>) {
    for (const [catalogPath, keys] of Object.entries(secrets)) {
      it(`has ${scope} ${catalogPath}`, () => {
        const secret = catalog.secret(scope, catalogPath);
        expect(secret).toBeDefined();
        const names = secret!.keys.map((key) => key.name);
        for (const key of keys) expect(names).toContain(key);
      });
    }
  }

  it("marks credentials as secret", () => {
    for (const scope of Object.keys(PLAN_TREE) as CatalogScope[]) {
      for (const secret of catalog.scopes[scope].secrets) {
        for (const key of secret.keys) {
          if (CREDENTIAL_KEYS.includes(key.name)) expect({ scope, path: secret.path, key: key.name, secret: key.secret }).toMatchObject({ secret: true });
        }
      }
    }
  });

  it("marks hosts and ports as plain", () => {
    for (const scope of Object.keys(PLAN_TREE) as CatalogScope[]) {
      for (const secret of catalog.scopes[scope].secrets) {
        for (const key of secret.keys) {
          if (/(^|-)(host|port)$/.test(key.name)) expect({ scope, path: secret.path, key: key.name, secret: key.secret }).toMatchObject({ secret: false });
        }
      }
    }
  });

  it("bot fallbacks are system secrets", () => {
    for (const secret of catalog.scopes.bot.secrets) {
      if (secret.fallback !== undefined) expect(catalog.secret("system", secret.fallback)).toBeDefined();
    }
  });

  it("bot email falls back to system email", () => {
    expect(catalog.secret("bot", "email")?.fallback).toBe("email");
  });

  it("bot llm falls back to system llm", () => {
    expect(catalog.secret("bot", "llm")?.fallback).toBe("llm");
  });

  it("user email has no fallback", () => {
    expect(catalog.secret("user", "email")?.fallback).toBeUndefined();
  });

  it("provider path has one parameter", () => {
    expect(catalog.secret("system", "llm/providers/{provider}")?.parameters).toEqual(["provider"]);
  });

  it("match fills a parameter", () => {
    const match = catalog.match("system", "llm/providers/openai");
    expect(match?.secret.path).toBe("llm/providers/{provider}");
    expect(match?.values).toEqual({ provider: "openai" });
  });

  it("match of an unknown path", () => {
    expect(catalog.match("system", "llm/providers")).toBeUndefined();
  });

  it("tenant secrets have no parameters", () => {
    for (const secret of catalog.scopes.tenant.secrets) expect(secret.parameters).toEqual([]);
  });

  it("environment table has 23 variables", () => {
    expect(catalog.envVars).toHaveLength(23);
  });

  it("environment table is the plan's", () => {
    const table = Object.fromEntries(catalog.envVars.map((row) => [row.variable, `${row.path}/${row.key}`]));
    expect(table).toEqual(PLAN_ENV_VARS);
  });

  it("environment variables are all system scope", () => {
    expect(new Set(catalog.envVars.map((row) => row.scope))).toEqual(new Set(["system"]));
  });

  it("every variable maps to an existing key", () => {
    for (const row of catalog.envVars) {
      const match = catalog.match(row.scope, row.path);
      expect(match, row.variable).toBeDefined();
      expect(match!.secret.keys.map((key) => key.name), row.variable).toContain(row.key);
    }
  });

  it("app contract uses the mount secret", () => {
    expect(catalog.appContract.mount).toBe("secret");
  });
});

describe("malformed catalog", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** Copies config/ to a temp dir, applies `edits` (file name to a text transform) and loads it. */
  function loadEdited(edits: Record<string, (text: string) => string>): SourceError {
    const dir = mkdtempSync(path.join(tmpdir(), "gbo-vault-catalog-"));
    dirs.push(dir);
    cpSync(CONFIG_DIR, dir, { recursive: true });
    for (const [file, edit] of Object.entries(edits)) {
      const target = path.join(dir, file);
      const before = readFileSync(target, "utf8");
      const after = edit(before);
      expect(after, `the edit of ${file} changed nothing`).not.toBe(before);
      writeFileSync(target, after);
    }
    const error = thrown(() => loadCatalog(dir));
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }

  it("bad path names file, line, entry and reason", () => {
    const error = loadEdited({ "catalog.yaml": (text) => text.replace("      - path: models\n", "      - path: Models\n") });
    expect(error.message).toContain("config/catalog.yaml:55: scopes.system.secrets[7].path: a catalog path is lower-case segments");
  });

  it("bad key name names file, line and entry", () => {
    const error = loadEdited({ "catalog.yaml": (text) => text.replace("{ name: zitadel-issuer,", "{ name: Zitadel_Issuer,") });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatchObject({ file: "config/catalog.yaml", at: "scopes.system.secrets[8].keys[1].name" });
    expect(error.problems[0]!.line).toBe(readFileSync(path.join(CONFIG_DIR, "catalog.yaml"), "utf8").split("\n").findIndex((line) => line.includes("zitadel-issuer")) + 1);
    expect(error.problems[0]!.message).toMatch(/key names are lower-case/);
  });

  it("unknown field is rejected", () => {
    const error = loadEdited({ "catalog.yaml": (text) => text.replace("      - path: jwt\n", "      - path: jwt\n        owner: ops\n") });
    expect(error.message).toMatch(/config\/catalog\.yaml:\d+: scopes\.system\.secrets\[0\].*owner/);
  });

  it("missing scope is rejected", () => {
    const error = loadEdited({ "catalog.yaml": (text) => text.replace(/\n  user:\n[\s\S]*$/, "\n") });
    expect(error.message).toMatch(/config\/catalog\.yaml:\d+: scopes\.user: /);
  });

  it("empty keys are rejected", () => {
    const error = loadEdited({ "catalog.yaml": (text) => text.replace("        keys:\n          - { name: url, secret: false }\n      - path: directory", "        keys: []\n      - path: directory") });
    expect(error.message).toMatch(/config\/catalog\.yaml:\d+: scopes\.system\.secrets\[7\]\.keys: /);
  });

  it("environment variable of an unknown key", () => {
    const error = loadEdited({ "env-vars.yaml": (text) => text.replace("key: region }", "key: regio }") });
    expect(error.message).toContain('config/env-vars.yaml');
    expect(error.message).toContain('variables[12].key: AWS_REGION: secret "cloud" has no key "regio"');
  });

  it("environment variable of an unknown path", () => {
    const error = loadEdited({ "env-vars.yaml": (text) => text.replace("path: alm, key: url", "path: forge, key: url") });
    expect(error.message).toContain('FORGEJO_URL: path "forge" is not a system secret of the catalog');
  });

  it("unknown fallback is rejected", () => {
    const error = loadEdited({ "catalog.yaml": (text) => text.replace("fallback: llm\n", "fallback: llmx\n") });
    expect(error.message).toContain('scopes.bot.secrets[2].fallback: fallback "llmx" is not a system secret of the catalog');
  });

  it("duplicate secret path is rejected", () => {
    const error = loadEdited({ "catalog.yaml": (text) => text.replace("      - path: whatsapp\n", "      - path: email\n") });
    expect(error.message).toContain('duplicate secret path "email"');
  });

  it("duplicate key is rejected", () => {
    const error = loadEdited({ "catalog.yaml": (text) => text.replace("{ name: disable-tls,", "{ name: environment,") });
    expect(error.message).toContain('duplicate key "environment" in "app"');
  });

  it("tenant parameter is rejected", () => {
    const error = loadEdited({ "catalog.yaml": (text) => text.replace("      - path: infrastructure/llm\n", "      - path: infrastructure/llm/{provider}\n") });
    expect(error.message).toContain("tenant secrets cannot have parameters");
  });

  // Cross-file checks (fallbacks, duplicates, environment rows) build their problems without a line, so the
  // message points at the file only.
  it("cross-check problem has a line", () => {
    const error = loadEdited({ "env-vars.yaml": (text) => text.replace("key: region }", "key: regio }") });
    expect(error.problems[0]!.line).toBe(17);
  });

  // Syntax errors are parsed with yaml's prettyErrors off, which leaves linePos unset, so the line is lost.
  it("YAML syntax error has a line", () => {
    const error = loadEdited({ "catalog.yaml": (text) => text.replace("  tenant:\n", "  tenant: [\n") });
    expect(error.problems[0]!.line).toBeTypeOf("number");
  });

  it("YAML syntax error names the file", () => {
    const error = loadEdited({ "catalog.yaml": (text) => text.replace("  tenant:\n", "  tenant: [\n") });
    expect(error.message).toMatch(/config\/catalog\.yaml.*invalid YAML/);
  });

  it("missing file is reported", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gbo-vault-catalog-"));
    dirs.push(dir);
    cpSync(CONFIG_DIR, dir, { recursive: true });
    rmSync(path.join(dir, "env-vars.yaml"));
    expect(() => loadCatalog(dir)).toThrow(/config\/env-vars\.yaml: cannot be read/);
  });

  it("reports problems of every file at once", () => {
    const error = loadEdited({
      "catalog.yaml": (text) => text.replace("{ name: secret, secret: true }\n      - path: tables", "{ name: secret, secret: yes }\n      - path: tables"),
      "env-vars.yaml": (text) => text.replace("scope: system, path: jwt", "scope: global, path: jwt"),
      "app-contract.yaml": (text) => text.replace(/^mount: secret$/m, 'mount: ""'),
    });
    const files = new Set(error.problems.map((problem) => problem.file));
    expect(files).toEqual(new Set(["config/catalog.yaml", "config/env-vars.yaml", "config/app-contract.yaml"]));
    expect(error.message).toMatch(/config\/catalog\.yaml:\d+: scopes\.system\.secrets\[\d+\]\.keys\[0\]\.secret: /);
    expect(error.message).toMatch(/config\/env-vars\.yaml:5: variables\[0\]\.scope: /);
    expect(error.message).toMatch(/config\/app-contract\.yaml:\d+: mount: /);
  });

  it("reports every problem of one file", () => {
    const error = loadEdited({
      "env-vars.yaml": (text) => text.replace("key: region }", "key: regio }").replace("path: alm, key: url", "path: forge, key: url"),
    });
    expect(error.problems).toHaveLength(2);
  });
});
