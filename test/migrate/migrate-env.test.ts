import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadStack } from "../../infra/core/load";
import { PROJECT_ROOT } from "../../infra/core/project";
import { parseDotenv } from "../../infra/migrate/dotenv";
import { type EnvMigrationReport, HIDDEN_FINGERPRINT } from "../../infra/migrate/env";
import { fingerprint, fingerprintKey } from "../../infra/core/passphrase";
import { configValue, DEV_PASSPHRASE, leakedValues, makeScratch, run, type Scratch } from "./support";

const PASS = { PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE };

/** One value for every row of config/env-vars.yaml, plus legacy variables, with the stack key each lands on. */
const FULL_ENV: Array<[string, string, string, string[]]> = [
  ["JWT_SECRET", "jwt-Secret-Value-0123456789abcdef", "system", ["jwt", "secret"]],
  ["LLM_KEY", "sk-test-openai-0123456789abcdefXYZ", "system", ["llm", "providers", "openai", "api-key"]],
  ["OPENAI_API_KEY", "sk-test-openai-0123456789abcdefXYZ", "system", ["llm", "providers", "openai", "api-key"]],
  ["SMTP_HOST", "smtp.staging.example.test", "system", ["email", "smtp-host"]],
  ["SMTP_USER", "mailer@staging.example.test", "system", ["email", "smtp-user"]],
  ["SMTP_PASS", "smtp-Pass-9f8e7d6c5b", "system", ["email", "smtp-password"]],
  ["SMTP_FROM", "General Bots <noreply@staging.example.test>", "system", ["email", "smtp-from"]],
  ["FORGEJO_URL", "https://forgejo.staging.example.test", "system", ["alm", "url"]],
  ["FORGEJO_TOKEN", "forgejo-Token-abc123def456", "system", ["alm", "token"]],
  ["FORGEJO_DEFAULT_ORG", "generalbots-staging", "system", ["alm", "default-org"]],
  ["AWS_ACCESS_KEY_ID", "AKIAEXAMPLE0000TEST1", "system", ["cloud", "access-key"]],
  ["AWS_SECRET_ACCESS_KEY", "aws/Secret+Key/Example0123456789abcdEFGH", "system", ["cloud", "secret-key"]],
  ["AWS_REGION", "eu-west-3", "system", ["cloud", "region"]],
  ["S3_ENDPOINT", "https://s3.staging.example.test", "system", ["cloud", "s3-endpoint"]],
  ["ZITADEL_ISSUER_URL", "https://zitadel.staging.gbo.example.test", "system", ["directory", "zitadel-issuer"]],
  ["ZITADEL_CLIENT_ID", "000000000000000002@gbo-vault-staging", "system", ["directory", "zitadel-client-id"]],
  ["REQUIRE_AUTH", "true", "system", ["security", "require-auth"]],
  ["ANONYMOUS_PATHS", "/health,/api/public", "system", ["security", "anonymous-paths"]],
  ["APP_URL", "https://staging.gbo.example.test", "system", ["app", "url"]],
  ["BOTSERVER_ENV", "production", "system", ["app", "environment"]],
  ["LLM_URL", "http://llm.staging.example.test:8081", "system", ["llm", "url"]],
  ["LLM_MODEL", "gpt-4o-staging", "system", ["llm", "model"]],
  ["BOTMODELS_URL", "http://models.staging.example.test:8085", "system", ["models", "url"]],
  ["TABLES_DATABASE", "botserver_staging", "tenant", ["tables", "database"]],
  ["REDIS_PASSWORD", "cache-Pass-456xyz", "tenant", ["cache", "password"]],
  ["DRIVE_ACCESSKEY", "driveAccess-789xyz", "tenant", ["drive", "accesskey"]],
  ["DRIVE_SECRET", "driveSecret-0abxyz", "tenant", ["drive", "secret"]],
  ["DIRECTORY_URL", "https://zitadel.staging.gbo.example.test", "tenant", ["directory", "url"]],
  ["ANTHROPIC_API_KEY", "sk-ant-test-0123456789abcdef", "system", ["llm", "providers", "anthropic", "api-key"]],
  ["GROQ_API_KEY", "gsk_test0123456789abcdefghij", "system", ["llm", "providers", "groq", "api-key"]],
  ["EMAIL_PORT", "587", "system", ["email", "smtp-port"]],
];

/** Parts of DATABASE_URL and MINIO_ENDPOINT and where they land. */
const DATABASE_URL = "postgres://gbuser:pg%40Pass-123@db.staging.example.test:5433/botserver_staging";
const URL_PARTS: Array<[string, string[]]> = [
  ["db.staging.example.test", ["tables", "host"]],
  ["5433", ["tables", "port"]],
  ["gbuser", ["tables", "username"]],
  ["pg@Pass-123", ["tables", "password"]],
  ["minio.staging.example.test", ["drive", "host"]],
  ["9000", ["drive", "port"]],
];

function fullEnvText(): string {
  const lines = FULL_ENV.map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  lines.push(`DATABASE_URL=${DATABASE_URL}`, "MINIO_ENDPOINT=http://minio.staging.example.test:9000");
  return `# staging secrets\n${lines.join("\n")}\n`;
}

function inputValues(text: string): string[] {
  return parseDotenv(text, ".env").entries.map((entry) => entry.value);
}

function expectNoLeak(result: { stdout: string; stderr: string }, values: Iterable<string>): void {
  expect(leakedValues(result.stdout + result.stderr, values)).toEqual([]);
}

function leafOf(text: string, configKey: string, inner: string[]): unknown {
  const value = configValue(text, configKey, inner);
  return typeof value === "object" && value !== null ? (value as { decrypted: string }).decrypted : value;
}

let scratch: Scratch;
beforeEach(() => {
  scratch = makeScratch();
});
afterEach(() => {
  scratch.cleanup();
});

describe("migrate-env round trip", () => {
  it("writes every value and validates", async () => {
    const envText = fullEnvText();
    const envFile = scratch.writeEnv(".env", envText);
    const before = scratch.stackText("staging");
    const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, PASS);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expectNoLeak(result, inputValues(envText));

    const after = scratch.stackText("staging");
    expect(parse(after).encryptionsalt).toMatch(/^v1:/);
    for (const [variable, value, scope, inner] of FULL_ENV) {
      const configKey = scope === "tenant" ? "infrastructure" : "system";
      expect(leafOf(after, configKey, inner), variable).toBe(value);
    }
    for (const [value, inner] of URL_PARTS) {
      expect(leafOf(after, "infrastructure", inner), inner.join(".")).toBe(value);
    }
    expect(() => loadStack("staging", { root: scratch.root })).not.toThrow();

    const comments = (text: string) => text.split("\n").filter((line) => line.trimStart().startsWith("#"));
    expect(comments(after)).toEqual(comments(before));
    const originalKeys = Object.keys(parse(before).config);
    expect(Object.keys(parse(after).config).slice(0, originalKeys.length)).toEqual(originalKeys);
    expect(after.startsWith(before.replace(/\n$/, ""))).toBe(true);
  });

  it("renders every migrated key as set", async () => {
    const envFile = scratch.writeEnv(".env", fullEnvText());
    const write = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write", "--json"], scratch.root, PASS);
    expect(write.code).toBe(0);
    const report = JSON.parse(write.stdout) as EnvMigrationReport;
    const rendered = await run(["render", "staging", "--root", scratch.root, "--format", "json"], scratch.root, {});
    expect(rendered.code).toBe(0);
    const view = JSON.parse(rendered.stdout) as { secrets: Array<{ keys: Array<{ configKey: string; status: string }> }> };
    const statusByKey = new Map(view.secrets.flatMap((secret) => secret.keys.map((key) => [key.configKey, key.status] as const)));
    for (const entry of report.mapped) {
      expect(statusByKey.get(entry.stackKey), entry.stackKey).toMatch(/^(secure|plain)$/);
    }
    // Plain settings such as the issuer URL are shown by render; secret values never are.
    const secretVariables = new Set(report.mapped.filter((entry) => entry.secret).map((entry) => entry.variable));
    const secretValues = FULL_ENV.filter(([variable]) => secretVariables.has(variable)).map(([, value]) => value);
    expect(secretValues.length).toBeGreaterThan(0);
    expectNoLeak(rendered, secretValues);
  });

  it("second run reports no change", async () => {
    const envFile = scratch.writeEnv(".env", fullEnvText());
    const args = ["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write"];
    expect((await run(args, scratch.root, PASS)).code).toBe(0);
    const written = scratch.stackText("staging");
    const second = await run([...args, "--json"], scratch.root, PASS);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as EnvMigrationReport;
    expect(report.written).toBe(false);
    expect(report.changes).toEqual([]);
    expect(report.mapped.every((entry) => entry.stack === "unchanged")).toBe(true);
    expect(scratch.stackText("staging")).toBe(written);
  });

  it("keeps dev stack bytes outside edits", async () => {
    const before = scratch.stackText("dev");
    const envFile = scratch.writeEnv(".env", "GROQ_API_KEY=gsk_dev0123456789abcdefghij\nALM_URL=https://alm.dev.example.test\n");
    const result = await run(["migrate-env", "dev", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, PASS);
    expect(result.code).toBe(0);
    const after = scratch.stackText("dev");
    const removed = before.split("\n").filter((line) => !after.split("\n").includes(line));
    expect(removed).toEqual([]);
    expect(after.split("\n").length - before.split("\n").length).toBe(4);
    expect(leafOf(after, "system", ["llm", "providers", "groq", "api-key"])).toBe("gsk_dev0123456789abcdefghij");
  });

  it("leaves equal secrets byte-identical", async () => {
    const before = scratch.stackText("dev");
    const password = leafOf(before, "infrastructure", ["tables", "password"]) as string;
    const envFile = scratch.writeEnv(".env", `TABLES_PASSWORD=${password}\nTABLES_HOST=postgres.dev.gbo.example.test\n`);
    const result = await run(["migrate-env", "dev", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, PASS);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("stack: unchanged");
    expect(scratch.stackText("dev")).toBe(before);
  });
});

describe("migrate-env conflicts", () => {
  it("stops on a differing stack value", async () => {
    const before = scratch.stackText("dev");
    const envFile = scratch.writeEnv(".env", "SMTP_HOST=other-smtp.example.test\nSMTP_PASS=replaced-Pass-123\n");
    const result = await run(["migrate-env", "dev", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, PASS);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("differs from the stack's");
    expect(result.stderr).toContain("--overwrite");
    expect(scratch.stackText("dev")).toBe(before);
    expectNoLeak(result, ["other-smtp.example.test", "replaced-Pass-123"]);
  });

  it("overwrite replaces differing values", async () => {
    const before = scratch.stackText("dev");
    const envFile = scratch.writeEnv(".env", "SMTP_HOST=other-smtp.example.test\nSMTP_PASS=replaced-Pass-123\n");
    const args = ["migrate-env", "dev", "--env-file", envFile, "--root", scratch.root, "--write", "--overwrite"];
    const result = await run(args, scratch.root, PASS);
    expect(result.code).toBe(0);
    const after = scratch.stackText("dev");
    expect(leafOf(after, "system", ["email", "smtp-host"])).toBe("other-smtp.example.test");
    expect(leafOf(after, "system", ["email", "smtp-password"])).toBe("replaced-Pass-123");
    expect(leafOf(after, "infrastructure", ["email", "smtp-host"])).toBe(leafOf(before, "infrastructure", ["email", "smtp-host"]));
    const tablesLine = before.split("\n").find((line) => line.includes("password: { secure:"))!;
    expect(after).toContain(tablesLine);
  });

  it("stops when variables disagree", async () => {
    const before = scratch.stackText("staging");
    const envFile = scratch.writeEnv(".env", "SMTP_HOST=a-smtp.example.test\nEMAIL_SERVER=b-smtp.example.test\n");
    const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write", "--json"], scratch.root, PASS);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as EnvMigrationReport;
    expect(report.conflicts).toHaveLength(1);
    expect(report.conflicts[0]!.kind).toBe("variables");
    expect(report.conflicts[0]!.stackKey).toBe("gbo-vault:system.email.smtp-host");
    expect(scratch.stackText("staging")).toBe(before);
  });
});

describe("migrate-env report", () => {
  it("json lists every category", async () => {
    const text = [
      "SMTP_HOST=smtp.report.example.test",
      "SMTP_PASS=report-Pass-123",
      "UNKNOWN_SETTING=whatever-value",
      "VAULT_TOKEN=hvs.report-token-value",
      "ANONYMOUS_PATHS=",
      "LLM_MODEL=first-model",
      "LLM_MODEL=second-model",
      "APP_URL=sk-report0123456789abcdefghij",
      "DATABASE_URL=postgres://u:report-db-pw@db.report.example.test:5432/app?sslmode=require",
    ].join("\n");
    const envFile = scratch.writeEnv(".env", text);
    const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--json"], scratch.root, PASS);
    expect(result.code).toBe(0);
    expectNoLeak(result, inputValues(text));
    const report = JSON.parse(result.stdout) as EnvMigrationReport;
    const smtp = report.mapped.find((entry) => entry.variable === "SMTP_PASS")!;
    expect(smtp).toMatchObject({
      stackKey: "gbo-vault:system.email.smtp-password",
      path: "gbo/system/email",
      key: "smtp-password",
      secret: true,
      stack: "new",
    });
    expect(smtp.fingerprint).toMatch(/^sha256:[0-9a-f]{12}$/);
    const password = report.mapped.find((entry) => entry.variable === "DATABASE_URL" && entry.part === "password")!;
    expect(password.path).toBe("gbo/tenants/staging/infrastructure/tables");
    expect(report.unmapped.map((entry) => entry.variable)).toEqual(["UNKNOWN_SETTING", "VAULT_TOKEN"]);
    expect(report.unmapped[1]!.reason).toContain("no target");
    expect(report.empty).toEqual([{ variable: "ANONYMOUS_PATHS", line: 5, stackKey: "gbo-vault:system.security.anonymous-paths" }]);
    expect(report.duplicates).toEqual([{ variable: "LLM_MODEL", lines: [6, 7] }]);
    expect(report.conflicts).toEqual([]);
    expect(report.warnings.some((w) => w.variable === "APP_URL" && w.message.includes("plain"))).toBe(true);
    expect(report.warnings.some((w) => w.variable === "DATABASE_URL" && w.message.includes("query parameters"))).toBe(true);
    expect(report.written).toBe(false);
  });

  it("dry run leaves stack untouched", async () => {
    const before = scratch.stackText("staging");
    const envFile = scratch.writeEnv(".env", "SMTP_HOST=smtp.dry.example.test\n");
    const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root], scratch.root, PASS);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("dry run: nothing written");
    expect(result.stdout).toContain("gbo-vault:system.email.smtp-host");
    expect(scratch.stackText("staging")).toBe(before);
  });
});

describe("migrate-env hostile env files", () => {
  it("reads dotenv edge cases", async () => {
    const text =
      "\uFEFF# BOM, then a comment\r\n" +
      "SMTP_HOST = smtp.edge.example.test  # trailing comment\r\n" +
      "export SMTP_USER=edge-user@example.test\r\n" +
      'SMTP_PASS="pa ss\\nword#not-a-comment"\r\n' +
      "SMTP_FROM: Bots <bots@edge.example.test>\n" +
      "JWT_SECRET='-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----'\n" +
      "FORGEJO_TOKEN=`back'tick\"token-123`\n" +
      "LLM_MODEL=first\nLLM_MODEL=gpt-edge-final\n" +
      "AWS_REGION=eu-north-1\n" +
      "UNKNOWN.VAR-NAME=some-other-value\n";
    const envFile = scratch.writeEnv(".env", text);
    const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, PASS);
    expect(result.code).toBe(0);
    expectNoLeak(result, inputValues(text));
    const after = scratch.stackText("staging");
    expect(leafOf(after, "system", ["email", "smtp-host"])).toBe("smtp.edge.example.test");
    expect(leafOf(after, "system", ["email", "smtp-user"])).toBe("edge-user@example.test");
    expect(leafOf(after, "system", ["email", "smtp-password"])).toBe("pa ss\nword#not-a-comment");
    expect(leafOf(after, "system", ["email", "smtp-from"])).toBe("Bots <bots@edge.example.test>");
    expect(leafOf(after, "system", ["jwt", "secret"])).toBe(
      "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----",
    );
    expect(leafOf(after, "system", ["alm", "token"])).toBe("back'tick\"token-123");
    expect(leafOf(after, "system", ["llm", "model"])).toBe("gpt-edge-final");
    expect(result.stdout).toContain("LLM_MODEL: assigned on lines 10, 11");
    expect(result.stdout).toContain("UNKNOWN.VAR-NAME");
  });

  it("handles a 10 MB file", async () => {
    const filler = `${"x".repeat(90)}\n`;
    const lines: string[] = [];
    let size = 0;
    for (let index = 0; size < 10 * 1024 * 1024; index += 1) {
      const line = `UNUSED_${String(index).padStart(7, "0")}=${filler}`;
      lines.push(line);
      size += line.length;
    }
    lines.push("SMTP_HOST=smtp.big.example.test\n");
    const envFile = scratch.writeEnv(".env", lines.join(""));
    const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write", "--json"], scratch.root, PASS);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as EnvMigrationReport;
    expect(report.unmapped).toHaveLength(lines.length - 1);
    expect(report.written).toBe(true);
    expect(leafOf(scratch.stackText("staging"), "system", ["email", "smtp-host"])).toBe("smtp.big.example.test");
  });

  it("stops on binary garbage", async () => {
    let bytes = Buffer.from("SMTP_HOST=smtp.garbage.example.test\n");
    let block = createHash("sha256").update("seed").digest();
    while (bytes.length < 8192) {
      block = createHash("sha256").update(block).digest();
      bytes = Buffer.concat([bytes, block]);
    }
    const before = scratch.stackText("staging");
    const envFile = scratch.writeEnv(".env", bytes);
    const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, PASS);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("unreadable lines");
    expect(result.stderr).toContain("cannot be read");
    expect(scratch.stackText("staging")).toBe(before);
  });

  it("rejects a UTF-16 file", async () => {
    const before = scratch.stackText("staging");
    const envFile = scratch.writeEnv(".env", Buffer.from("\uFEFFSMTP_HOST=smtp.utf16.example.test\n", "utf16le"));
    const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, PASS);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("UTF-16");
    expect(scratch.stackText("staging")).toBe(before);
  });

  it("stops on an unclosed quote", async () => {
    const before = scratch.stackText("staging");
    const envFile = scratch.writeEnv(".env", 'SMTP_PASS="unclosed-Pass-123\nSMTP_HOST=smtp.quote.example.test\n');
    const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, PASS);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("never closes");
    expect(scratch.stackText("staging")).toBe(before);
  });

  const INVALID_VALUES: Array<[string, string]> = [
    ["port out of range", "DATABASE_URL=postgres://u:bad-port-pw@db.example.test:99999/app"],
    ["port zero", "DATABASE_URL=postgres://u:zero-port-pw@db.example.test:0/app"],
    ["port not a number", "DATABASE_URL=postgres://u:nan-port-pw@db.example.test:54x2/app"],
    ["wrong scheme", "DATABASE_URL=mysql://u:scheme-pw@db.example.test:3306/app"],
    ["not a URL", "REDIS_URL=just some words"],
    ["plain port not a number", "TABLES_PORT=five-four-three-two"],
    ["empty port", "CACHE_URL=redis://:empty-port-pw@cache.example.test:/0"],
  ];
  for (const [name, line] of INVALID_VALUES) {
    it(`rejects ${name}`, async () => {
      const before = scratch.stackText("staging");
      const envFile = scratch.writeEnv(".env", `SMTP_HOST=smtp.valid.example.test\n${line}\n`);
      const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, PASS);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("invalid values (1)");
      expect(result.stderr).toContain("invalid for their keys");
      expect(scratch.stackText("staging")).toBe(before);
      expectNoLeak(result, [line.slice(line.indexOf("=") + 1)]);
    });
  }

  it("rejects a missing env file", async () => {
    const result = await run(["migrate-env", "staging", "--env-file", "missing.env", "--root", scratch.root], scratch.root, PASS);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("cannot read env file missing.env: ENOENT");
  });

  it("rejects a folder as env file", async () => {
    const result = await run(["migrate-env", "staging", "--env-file", "config", "--root", scratch.root], scratch.root, PASS);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("not a regular file");
  });
});

describe("migrate-env passphrase", () => {
  it("rejects a wrong passphrase", async () => {
    const before = scratch.stackText("dev");
    const envFile = scratch.writeEnv(".env", "GROQ_API_KEY=gsk_wrong0123456789abcdefghij\n");
    const args = ["migrate-env", "dev", "--env-file", envFile, "--root", scratch.root, "--write"];
    const result = await run(args, scratch.root, { PULUMI_CONFIG_PASSPHRASE: "not-the-passphrase" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("incorrect passphrase");
    expect(scratch.stackText("dev")).toBe(before);
  });

  it("write needs a passphrase", async () => {
    const before = scratch.stackText("dev");
    const envFile = scratch.writeEnv(".env", "GROQ_API_KEY=gsk_none0123456789abcdefghij\n");
    const result = await run(["migrate-env", "dev", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("needs the passphrase of stack dev");
    expect(scratch.stackText("dev")).toBe(before);
  });

  it("reads the passphrase file", async () => {
    const passphraseFile = path.join(scratch.root, "passphrase.txt");
    writeFileSync(passphraseFile, `${DEV_PASSPHRASE}\n`);
    const envFile = scratch.writeEnv(".env", "GROQ_API_KEY=gsk_file0123456789abcdefghij\n");
    const args = ["migrate-env", "dev", "--env-file", envFile, "--root", scratch.root, "--write"];
    const result = await run(args, scratch.root, { PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile });
    expect(result.code).toBe(0);
    expect(leafOf(scratch.stackText("dev"), "system", ["llm", "providers", "groq", "api-key"])).toBe("gsk_file0123456789abcdefghij");
  });

  it("dry run says it cannot compare", async () => {
    const envFile = scratch.writeEnv(".env", "TABLES_PASSWORD=compare-Pass-123\n");
    const result = await run(["migrate-env", "dev", "--env-file", envFile, "--root", scratch.root], scratch.root, {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("stack: unknown");
    expect(result.stdout).toContain("cannot compare with the stack's encrypted value of gbo-vault:infrastructure.tables.password");
  });
});

describe("migrate-env other secrets providers", () => {
  it("prints commands for a KMS provider", async () => {
    const file = scratch.stackPath("staging");
    writeFileSync(file, `secretsprovider: awskms://alias/gbo-staging?region=eu-west-1\n${scratch.stackText("staging")}`);
    const envFile = scratch.writeEnv(".env", "SMTP_HOST=smtp.kms.example.test\nSMTP_PASS=kms-Pass-123456\n");
    const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, PASS);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("the stack uses awskms://alias/gbo-staging?region=eu-west-1");
    expect(result.stdout).toContain("pulumi config set --stack staging --secret --path system.email.smtp-password");
    expect(result.stdout).toContain("reads it from standard input");
    expectNoLeak(result, ["smtp.kms.example.test", "kms-Pass-123456"]);
    const after = scratch.stackText("staging");
    expect(leafOf(after, "system", ["email", "smtp-host"])).toBe("smtp.kms.example.test");
    expect(leafOf(after, "system", ["email", "smtp-password"])).toBeUndefined();
    expect(parse(after).encryptionsalt).toBeUndefined();
  });

  it("prints commands without salt or passphrase", async () => {
    const before = scratch.stackText("staging");
    const envFile = scratch.writeEnv(".env", "SMTP_PASS=cloud-Pass-123456\n");
    const result = await run(["migrate-env", "staging", "--env-file", envFile, "--root", scratch.root, "--write"], scratch.root, {});
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("no passphrase is set");
    expect(result.stdout).toContain("pulumi config set --stack staging --secret --path system.email.smtp-password");
    expect(scratch.stackText("staging")).toBe(before);
  });
});

describe("migrate-env process", () => {
  it("keeps Node from reading the env file", () => {
    const marker = path.join(scratch.root, "node-options-ran");
    const hook = scratch.writeEnv("hook.js", `require("fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
    scratch.writeEnv("hostile.env", `NODE_OPTIONS=--require ${hook}\nSMTP_HOST=smtp.hostile.example.test\n`);
    const result = spawnSync(path.join(PROJECT_ROOT, "bin/gbo-vault"), ["migrate-env", "staging", "--env-file", "hostile.env", "--root", "."], {
      cwd: scratch.root,
      encoding: "utf8",
      env: { PATH: process.env.PATH },
    });
    expect(existsSync(marker)).toBe(false);
    expect(result.stdout).toContain("NODE_OPTIONS");
  });

  it("refuses --env-file after node bin/gbo-vault.js", () => {
    scratch.writeEnv("plain.env", "SMTP_HOST=smtp.plain.example.test\n");
    const result = spawnSync("node", [path.join(PROJECT_ROOT, "bin/gbo-vault.js"), "migrate-env", "staging", "--env-file=plain.env"], {
      cwd: scratch.root,
      encoding: "utf8",
      env: { PATH: process.env.PATH },
    });
    expect(result.stderr).toContain("run this command through bin/gbo-vault");
    expect(result.status).toBe(2);
  });

  it("runs as a real process", () => {
    const envFile = scratch.writeEnv(".env", "SMTP_HOST=smtp.process.example.test\nSMTP_PASS=process-Pass-123\n");
    const result = spawnSync(
      path.join(PROJECT_ROOT, "bin/gbo-vault"),
      ["migrate-env", "staging", "--env-file", ".env", "--root", ".", "--write", "--json"],
      { cwd: scratch.root, encoding: "utf8", env: { PATH: process.env.PATH, PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE } },
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as EnvMigrationReport).written).toBe(true);
    expect(leakedValues(result.stdout, ["smtp.process.example.test", "process-Pass-123"])).toEqual([]);
    expect(leafOf(scratch.stackText("staging"), "system", ["email", "smtp-password"])).toBe("process-Pass-123");
  });
});

describe("fingerprints and line endings", () => {
  let local: Scratch;
  beforeEach(() => {
    local = makeScratch();
  });
  afterEach(() => local.cleanup());

  it("hides secret fingerprints without a passphrase", async () => {
    const envFile = local.writeEnv(".env", "TABLES_PASSWORD=hunter2\nSMTP_HOST=smtp.example.test\n");
    const result = await run(["migrate-env", "dev", "--env-file", envFile, "--root", local.root, "--json"], local.root, {});
    const report = JSON.parse(result.stdout) as EnvMigrationReport;
    const password = report.mapped.find((entry) => entry.variable === "TABLES_PASSWORD")!;
    expect(password.fingerprint).toBe(HIDDEN_FINGERPRINT);
    expect(result.stdout).not.toContain(fingerprint("hunter2"));
    const host = report.mapped.find((entry) => entry.variable === "SMTP_HOST")!;
    expect(host.fingerprint).toBe(fingerprint("smtp.example.test"));
  });

  it("keys secret fingerprints with the passphrase", async () => {
    const envFile = local.writeEnv(".env", "TABLES_PASSWORD=hunter2\n");
    const result = await run(["migrate-env", "dev", "--env-file", envFile, "--root", local.root, "--json"], local.root, {
      PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE,
    });
    const report = JSON.parse(result.stdout) as EnvMigrationReport;
    expect(report.mapped[0]!.fingerprint).toBe(fingerprint("hunter2", fingerprintKey(DEV_PASSPHRASE)));
  });

  it("keeps CRLF line endings when writing", async () => {
    const stackFile = path.join(local.root, "stacks", "Pulumi.dev.yaml");
    writeFileSync(stackFile, readFileSync(stackFile, "utf8").replace(/\n/g, "\r\n"));
    const envFile = local.writeEnv(".env", "FORGEJO_URL=https://forgejo.example.test\n");
    const result = await run(["migrate-env", "dev", "--env-file", envFile, "--root", local.root, "--write"], local.root, {
      PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE,
    });
    expect(result.code).toBe(0);
    const written = readFileSync(stackFile, "utf8");
    expect(written).toContain("https://forgejo.example.test");
    expect(written.replace(/\r\n/g, "")).not.toContain("\n");
  });
});
