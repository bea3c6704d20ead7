import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CONFIG_DIR, loadCatalog } from "../../infra/core/catalog";
import { SourceError } from "../../infra/core/yamlfile";
import { loadLegacy } from "../../infra/migrate/legacy";
import { splitValue, credentialHint, valueProblem } from "../../infra/migrate/values";

describe("loadLegacy shipped table", () => {
  const table = loadLegacy();
  const catalog = loadCatalog();

  it("returns pairs per old path", () => {
    const tables = table.vault.find((entry) => entry.legacyPath === "tables")!;
    expect(tables.keys).toContainEqual({ legacyKey: "host", scope: "tenant", path: "infrastructure/tables", key: "host", secret: false });
    expect(tables.keys).toContainEqual({ legacyKey: "password", scope: "tenant", path: "infrastructure/tables", key: "password", secret: true });
    expect(tables.noTarget.map((entry) => entry.legacyKey)).toEqual(["url"]);
  });

  it("maps the app's misnamed writer keys", () => {
    const email = table.vault.find((entry) => entry.legacyPath === "email")!;
    const byKey = new Map(email.keys.map((pair) => [pair.legacyKey, `${pair.scope} ${pair.path} ${pair.key}`]));
    expect(byKey.get("server")).toBe("system email smtp-host");
    expect(byKey.get("from")).toBe("system email smtp-from");
    expect(byKey.get("username")).toBe("system email smtp-user");
    expect(byKey.get("password")).toBe("system email smtp-password");
    const drive = table.vault.find((entry) => entry.legacyPath === "drive")!;
    expect(drive.keys.find((pair) => pair.legacyKey === "server")?.key).toBe("host");
  });

  it("covers every app contract key", () => {
    for (const contract of catalog.appContract.paths) {
      const entry =
        table.vault.find((candidate) => candidate.legacyPath === contract.path) ??
        table.vault.find((candidate) => new RegExp(`^${candidate.legacyPath.replace(/\{[a-z_]+\}/g, "[^/]+")}$`).test(contract.path));
      expect(entry, contract.path).toBeDefined();
      const known = new Set([...entry!.keys.map((pair) => pair.legacyKey), ...entry!.noTarget.map((item) => item.legacyKey)]);
      for (const key of contract.keys) expect(known.has(key), `${contract.path} ${key}`).toBe(true);
    }
  });

  it("gives every unmapped key a reason", () => {
    for (const entry of table.vault) {
      for (const item of entry.noTarget) expect(item.reason.length, `${entry.legacyPath} ${item.legacyKey}`).toBeGreaterThan(10);
    }
    for (const item of table.noTarget) expect(item.reason.length, item.variable).toBeGreaterThan(10);
  });

  it("splits database URLs into tables keys", () => {
    const row = table.variables.find((variable) => variable.variable === "DATABASE_URL")!;
    expect(row.split?.kind).toBe("postgres-url");
    expect(Object.keys(row.split!.parts).sort()).toEqual(["database", "host", "password", "port", "username"]);
    expect(row.split!.parts.password).toEqual({ scope: "tenant", path: "infrastructure/tables", key: "password", secret: true });
  });

  it("maps LLM provider keys", () => {
    const targets = new Map(table.variables.filter((row) => row.target).map((row) => [row.variable, row.target!]));
    for (const [variable, provider] of [
      ["ANTHROPIC_API_KEY", "anthropic"],
      ["GROQ_API_KEY", "groq"],
      ["MISTRAL_API_KEY", "mistral"],
      ["GEMINI_API_KEY", "gemini"],
    ]) {
      expect(targets.get(variable!), variable).toEqual({ scope: "system", path: `llm/providers/${provider}`, key: "api-key", secret: true });
    }
  });

  it("shares no variable with env-vars.yaml", () => {
    const planned = new Set(catalog.envVars.map((row) => row.variable));
    expect(catalog.envVars).toHaveLength(23);
    for (const row of [...table.variables, ...table.noTarget]) expect(planned.has(row.variable), row.variable).toBe(false);
  });
});

describe("loadLegacy invalid tables", () => {
  let folder: string | undefined;
  afterEach(() => {
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
    folder = undefined;
  });

  function loadWith(replace: (text: string) => string): SourceError {
    folder = mkdtempSync(path.join(tmpdir(), "gbo-legacy-"));
    cpSync(CONFIG_DIR, folder, { recursive: true });
    const file = path.join(folder, "legacy.yaml");
    writeFileSync(file, replace(readFileSync(file, "utf8")));
    try {
      loadLegacy(folder);
    } catch (error) {
      if (error instanceof SourceError) return error;
      throw error;
    }
    throw new Error("expected loadLegacy to throw");
  }

  const CASES: Array<[string, (text: string) => string, string]> = [
    [
      "unknown catalog key",
      (text) => text.replace("{ variable: TABLES_PORT, scope: tenant, path: infrastructure/tables, key: port }", "{ variable: TABLES_PORT, scope: tenant, path: infrastructure/tables, key: portnumber }"),
      'has no key "portnumber"',
    ],
    [
      "tenant path outside infrastructure",
      (text) => text.replace("{ variable: DIRECTORY_URL, scope: tenant, path: infrastructure/directory, key: url }", "{ variable: DIRECTORY_URL, scope: tenant, path: config, key: domain }"),
      "is not under infrastructure/",
    ],
    [
      "variable also in env-vars.yaml",
      (text) => text.replace("variable: EMAIL_SERVER,", "variable: SMTP_HOST,"),
      "SMTP_HOST is already mapped in config/env-vars.yaml",
    ],
    [
      "reserved provider id",
      (text) => text.replace("path: llm/providers/groq,", "path: llm/providers/metadata,"),
      'invalid provider id "metadata"',
    ],
    [
      "unknown split part",
      (text) => text.replace("parts: { host: host, port: port, password: password } }\n  - { variable: REDIS_URL", "parts: { host: host, port: port, database: password } }\n  - { variable: REDIS_URL"),
      'redis-url has no part "database"',
    ],
    [
      "key and noTarget together",
      (text) => text.replace('{ legacyKey: url, noTarget: "seeded by the installer as', '{ legacyKey: url, key: host, noTarget: "seeded by the installer as'),
      "give either scope, path and key, or noTarget",
    ],
  ];
  for (const [name, replace, message] of CASES) {
    it(`rejects ${name}`, () => {
      const error = loadWith(replace);
      const problem = error.problems.find((candidate) => candidate.message.includes(message));
      expect(problem, error.message).toBeDefined();
      expect(problem!.file).toBe("config/legacy.yaml");
      expect(problem!.line).toBeGreaterThan(0);
      expect(problem!.at).toMatch(/^(?:variables|vault|noTarget)\[\d+\]/);
    });
  }
});

describe("splitValue", () => {
  it("splits a postgres URL", () => {
    expect(splitValue("postgres-url", "postgresql://bot%20user:p%40ss@[::1]:6543/my%2Fdb")).toEqual({
      parts: { host: "::1", port: "6543", username: "bot user", password: "p@ss", database: "my/db" },
      dropped: [],
    });
  });

  it("leaves out a missing port", () => {
    expect(splitValue("postgres-url", "postgres://u@db.example.test/app").parts).toEqual({ host: "db.example.test", username: "u", database: "app" });
  });

  it("reports dropped redis parts", () => {
    const result = splitValue("redis-url", "rediss://worker:pw@cache.example.test:6380/2");
    expect(result.parts).toEqual({ host: "cache.example.test", port: "6380", password: "pw" });
    expect(result.dropped).toEqual(["the ACL user name", "the database number", "the TLS scheme"]);
  });

  it("splits an endpoint without scheme", () => {
    expect(splitValue("endpoint", "minio.example.test:9000").parts).toEqual({ host: "minio.example.test", port: "9000" });
  });

  it("rejects a malformed escape", () => {
    expect(splitValue("postgres-url", "postgres://u:%zz@db.example.test/app").problem).toContain("percent-escape");
  });
});

describe("valueProblem and credentialHint", () => {
  it("checks ports", () => {
    expect(valueProblem("smtp-port", "587")).toBeUndefined();
    expect(valueProblem("port", "70000")).toContain("outside 1-65535");
    expect(valueProblem("port", " 80")).toContain("whitespace");
    expect(valueProblem("host", "x".repeat(70 * 1024))).toContain("limit");
  });

  it("spots credentials", () => {
    expect(credentialHint("sk-abcdefghijklmnop1234")).toContain("sk-");
    expect(credentialHint("-----BEGIN RSA PRIVATE KEY-----\nabc")).toContain("private key");
    expect(credentialHint("https://user:pw@host.example.test")).toContain("password");
    expect(credentialHint("Zx81kQ2vL9pR4tW7yB3nM6cF")).toContain("entropy");
    expect(credentialHint("https://dev.gbo.example.test")).toBeUndefined();
    expect(credentialHint("General Bots <noreply@dev.gbo.example.test>")).toBeUndefined();
  });
});
