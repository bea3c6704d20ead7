import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprint, fingerprintKey } from "../../infra/core/passphrase";
import { PROJECT_ROOT } from "../../infra/core/project";
import { crypterOf, DEV_PASSPHRASE, diff, makeRepo, type ScratchRepo, secureAt, writeAllowFile } from "./support";

const repos: ScratchRepo[] = [];
function repo(): ScratchRepo {
  const created = makeRepo();
  repos.push(created);
  return created;
}
afterAll(() => {
  for (const created of repos) created.cleanup();
});

const TABLES_PASSWORD = ["gbo-vault:infrastructure", "tables", "password"];

describe("diff without changes", () => {
  let scratch: ScratchRepo;
  beforeAll(() => {
    scratch = repo();
  });

  it("exits 0 and reports nothing", async () => {
    const result = await diff(scratch, "dev", "HEAD");
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("Resources: 0 to add, 0 to update, 0 to replace, 0 to remove");
    expect(result.stdout).toContain("no principal gains or loses access");
    expect(result.stdout).toContain("nobody gains cross-org");
    expect(result.stdout).toContain("no value changed");
  });

  it("reports the same in json", async () => {
    const result = await diff(scratch, "dev", "HEAD", ["--format", "json"]);
    const report = JSON.parse(result.stdout);
    expect(report.resources).toEqual([]);
    expect(report.policies).toEqual([]);
    expect(report.access.changes).toEqual([]);
    expect(report.gate.destructive).toEqual([]);
    expect(report.base.stackExists).toBe(true);
  });
});

describe("diff usage errors", () => {
  let scratch: ScratchRepo;
  beforeAll(() => {
    scratch = repo();
  });

  it("needs --base", async () => {
    const result = await diff(scratch, "dev", "HEAD").then(() => import("./support")).then((support) => support.run(["diff", "dev", "--root", scratch.root], scratch.root));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("needs --base");
  });

  it("rejects an unknown revision", async () => {
    const result = await diff(scratch, "dev", "no-such-branch");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('git revision "no-such-branch" not found');
  });

  it("rejects a revision that looks like an option", async () => {
    const result = await diff(scratch, "dev", "--output=/tmp/x");
    expect(result.code).toBe(2);
  });

  it("rejects an unknown format", async () => {
    const result = await diff(scratch, "dev", "HEAD", ["--format", "html"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown format "html"');
  });

  it("rejects an unknown stack", async () => {
    const result = await diff(scratch, "nosuch", "HEAD");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("stack file not found");
  });
});

describe("diff with an added org and bot", () => {
  let scratch: ScratchRepo;
  let text: string;
  let json: { resources: Array<{ name: string; action: string }>; access: { changes: Array<{ principal: string; gains: string[]; scope: string }>; gainedCrossScope: unknown[] } };
  beforeAll(async () => {
    scratch = repo();
    scratch.editStack("dev", (document) => {
      document.setIn(["config", "gbo-vault:orgs"], [
        { id: "acme", bots: ["support", "sales", "billing"] },
        { id: "globex", bots: ["helpdesk"] },
        { id: "initech", bots: ["desk"] },
      ]);
    });
    text = (await diff(scratch, "dev", "HEAD")).stdout;
    json = JSON.parse((await diff(scratch, "dev", "HEAD", ["--format", "json"])).stdout);
  });

  it("adds the bots' roles and entities", () => {
    const added = json.resources.filter((resource) => resource.action === "add").map((resource) => resource.name);
    expect(added).toContain("role-approle-bot-acme-billing");
    expect(added).toContain("entity-bot-initech-desk");
    expect(added).toContain("entity-alias-bot-initech-desk");
  });

  it("removes nothing", () => {
    expect(json.resources.filter((resource) => resource.action === "remove")).toEqual([]);
  });

  it("says the new bots gain access to their own bot", () => {
    expect(text).toContain("bot acme/billing (new) gains read, list, metadata on own bot");
    expect(text).toContain("bot initech/desk (new) gains read, list, metadata on own bot");
  });

  it("says the new org admin gains its own org", () => {
    expect(json.access.changes.some((change) => change.principal === "org admin initech" && change.scope === "own org: bots")).toBe(true);
  });

  it("says nobody gains cross-org access", () => {
    expect(json.access.gainedCrossScope).toEqual([]);
    expect(text).toContain("cross-scope: nobody gains cross-org, cross-tenant, cross-bot or cross-user access");
  });

  it("reports no destructive change", () => {
    expect(text).toContain("Destructive changes (0, 0 not allowed)");
  });
});

describe("diff with a policy change", () => {
  const API_KEY = "mistral-api-key-for-diff-test";
  let scratch: ScratchRepo;
  let result: Awaited<ReturnType<typeof diff>>;
  beforeAll(async () => {
    scratch = repo();
    const crypter = crypterOf(scratch.readStack("dev"));
    // A new managed secret widens the deployer policy by exactly that secret's paths.
    scratch.editStack("dev", (document) => {
      document.setIn(["config", "gbo-vault:system", "llm", "providers", "mistral"], { "api-key": { secure: crypter.encrypt(API_KEY) } });
    });
    scratch.commit("Add the mistral provider");
    result = await diff(scratch, "dev", "HEAD~1", [], { PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE });
  });

  it("exits 0", () => {
    expect(result.code).toBe(0);
  });

  it("lists the rules added to the deployer policy", () => {
    expect(result.stdout).toMatch(/policy gbo-dev-deployer changed, \d+ rule change\(s\):/);
    expect(result.stdout).toContain("+ secret/data/gbo/system/llm/providers/mistral [");
  });

  it("adds the secret resource", () => {
    expect(result.stdout).toContain("+ vault:kv/secretV2:SecretV2 secret-gbo/system/llm/providers/mistral");
  });

  it("updates the policy resource", () => {
    expect(result.stdout).toContain("~ vault:index/policy:Policy policy-gbo-dev-deployer (policy)");
  });

  it("reports the new value by fingerprint only", () => {
    expect(result.stdout).toContain(`key api-key: set, ${fingerprint(API_KEY, fingerprintKey(DEV_PASSPHRASE))} (secure)`);
    expect(result.stdout).not.toContain(API_KEY);
  });
});

describe("diff with a removed secret", () => {
  let scratch: ScratchRepo;
  beforeAll(() => {
    scratch = repo();
    scratch.editStack("dev", (document) => {
      document.deleteIn(["config", "gbo-vault:infrastructure", "drive"]);
    });
  });

  it("reports the secret as destructive", async () => {
    const result = await diff(scratch, "dev", "HEAD");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("secret gbo/tenants/dev/infrastructure/drive: managed secret secret/gbo/tenants/dev/infrastructure/drive is removed");
    expect(result.stdout).toContain("[NOT ALLOWED]");
    expect(result.stderr).toContain("warning:");
  });

  it("fails the gate with exit 1", async () => {
    const result = await diff(scratch, "dev", "HEAD", ["--fail-on-destructive"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("destructive change(s) not in the allow file");
    expect(result.stderr).toContain("secret gbo/tenants/dev/infrastructure/drive");
  });

  it("passes the gate when the allow file lists every change", async () => {
    const report = JSON.parse((await diff(scratch, "dev", "HEAD", ["--format", "json"])).stdout);
    const entries = (report.gate.destructive as Array<{ kind: string; path: string }>).map(
      (change) => `- { stack: dev, kind: ${change.kind}, path: ${change.path}, reason: "drive moved to another tenant" }`,
    );
    const file = writeAllowFile(scratch, `${entries.join("\n")}\n- { stack: dev, kind: secret, path: gbo/not-removed, reason: stale }\n`, "allow.yaml");
    const result = await diff(scratch, "dev", "HEAD", ["--fail-on-destructive", "--allow", file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("[allowed: drive moved to another tenant]");
    expect(result.stdout).toContain("unused allow entry: secret gbo/not-removed for stack dev");
  });

  it("reads the default allow file", async () => {
    const report = JSON.parse((await diff(scratch, "dev", "HEAD", ["--format", "json"])).stdout);
    const entries = (report.gate.destructive as Array<{ kind: string; path: string }>).map(
      (change) => `- stack: dev\n  kind: ${change.kind}\n  path: ${change.path}\n  reason: reviewed\n`,
    );
    writeAllowFile(scratch, `${entries.join("")}- { stack: qa, kind: secret, path: gbo/x, reason: other }\n`);
    const result = await diff(scratch, "dev", "HEAD", ["--fail-on-destructive"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("unknown allow entry: stack qa has no stack file");
  });

  it("rejects an invalid allow file with exit 2", async () => {
    const file = writeAllowFile(scratch, "- { stack: dev, kind: bucket, path: x }\n", "bad-allow.yaml");
    const result = await diff(scratch, "dev", "HEAD", ["--fail-on-destructive", "--allow", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is invalid");
    expect(result.stderr).toContain("kind");
    expect(result.stderr).toContain("reason");
  });

  it("rejects a missing allow file with exit 2", async () => {
    const result = await diff(scratch, "dev", "HEAD", ["--allow", path.join(scratch.root, "missing.yaml")]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("cannot read allow file");
  });
});

describe("diff with a changed mount path", () => {
  let scratch: ScratchRepo;
  let result: Awaited<ReturnType<typeof diff>>;
  beforeAll(async () => {
    scratch = repo();
    scratch.editStack("dev", (document) => {
      document.setIn(["config", "gbo-vault:kvMount"], "kv");
    });
    result = await diff(scratch, "dev", "HEAD", ["--fail-on-destructive"]);
  });

  it("exits 1", () => {
    expect(result.code).toBe(1);
  });

  it("reports the KV mount as destructive", () => {
    expect(result.stdout).toContain("kv-mount secret: KV mount secret is removed and a new mount kv is created");
  });

  it("replaces the mount resource", () => {
    expect(result.stdout).toContain("- vault:index/mount:Mount mount-secret");
    expect(result.stdout).toContain("+ vault:index/mount:Mount mount-kv");
    expect(result.stdout).toContain("-/+ vault:kv/secretV2:SecretV2 secret-gbo/system/jwt (mount)");
  });
});

describe("diff with a changed auth mount path", () => {
  it("reports the auth mount as destructive", async () => {
    const scratch = repo();
    scratch.editStack("dev", (document) => {
      document.setIn(["config", "gbo-vault:auth", "approle", "path"], "approle-v2");
    });
    const result = await diff(scratch, "dev", "HEAD", ["--fail-on-destructive"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("auth-mount approle: approle auth mount approle is removed and mounted again at approle-v2");
  });
});

describe("diff of re-encrypted values", () => {
  let scratch: ScratchRepo;
  beforeAll(() => {
    scratch = repo();
    const text = scratch.readStack("dev");
    const crypter = crypterOf(text);
    const value = crypter.decrypt(secureAt(text, TABLES_PASSWORD));
    scratch.editStack("dev", (document) => {
      document.setIn(["config", ...TABLES_PASSWORD, "secure"], crypter.encrypt(value));
    });
  });

  it("is not a change with the passphrase", async () => {
    const result = await diff(scratch, "dev", "HEAD", [], { PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("no value changed");
    // The password feeds the new layout and the app's old flat copy, so two values are compared.
    expect(result.stdout).toContain("2 value(s) re-encrypted with the same plaintext (not a change)");
    expect(result.stdout).toContain("0 to update");
  });

  it("is unknown without the passphrase", async () => {
    const result = await diff(scratch, "dev", "HEAD");
    expect(result.stdout).toContain("secret/gbo/tenants/dev/infrastructure/tables key password: re-encrypted or changed (no passphrase to tell)");
    expect(result.stdout).toContain("no passphrase was available");
  });

  it("compares each revision under its own encryptionsalt", async () => {
    const other = repo();
    const before = other.readStack("dev");
    const oldCrypter = crypterOf(before);
    const { crypter, encryptionSalt } = (await import("../../infra/core/passphrase")).PassphraseCrypter.create(DEV_PASSPHRASE);
    // Re-encrypt every secure value under a new salt, as `pulumi stack change-secrets-provider` does.
    const reEncrypted = before
      .replace(/^encryptionsalt: .*$/m, `encryptionsalt: ${encryptionSalt}`)
      .replace(/secure: (v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+)/g, (_whole, ciphertext: string) => `secure: ${crypter.encrypt(oldCrypter.decrypt(ciphertext))}`);
    other.writeStack("dev", reEncrypted);
    const result = await diff(other, "dev", "HEAD", [], { PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("no value changed");
    expect(result.stdout).toMatch(/\d+ value\(s\) re-encrypted with the same plaintext/);
    expect(result.stderr).toBe("");
  });

  it("rejects a passphrase that does not fit the working tree", async () => {
    const result = await diff(scratch, "dev", "HEAD", [], { PULUMI_CONFIG_PASSPHRASE: "wrong-passphrase" });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("the passphrase does not decrypt the working tree stack file's encryptionsalt");
  });
});

describe("diff of a changed secret value", () => {
  const NEW_PASSWORD = "n3w-tables-password-for-diff-test";
  const NEW_HOST = "postgres-replacement.dev.gbo.example.test";
  let scratch: ScratchRepo;
  let oldPassword: string;
  let results: Array<Awaited<ReturnType<typeof diff>>>;
  beforeAll(async () => {
    scratch = repo();
    const text = scratch.readStack("dev");
    const crypter = crypterOf(text);
    oldPassword = crypter.decrypt(secureAt(text, TABLES_PASSWORD));
    scratch.editStack("dev", (document) => {
      document.setIn(["config", ...TABLES_PASSWORD, "secure"], crypter.encrypt(NEW_PASSWORD));
      document.setIn(["config", "gbo-vault:infrastructure", "tables", "host"], NEW_HOST);
    });
    const env = { PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE };
    results = [
      await diff(scratch, "dev", "HEAD", [], env),
      await diff(scratch, "dev", "HEAD", ["--format", "markdown"], env),
      await diff(scratch, "dev", "HEAD", ["--format", "json"], env),
    ];
  });

  it("shows the fingerprints of the old and new password", () => {
    expect(results[0]!.stdout).toContain(`key password: changed ${fingerprint(oldPassword, fingerprintKey(DEV_PASSPHRASE))} (secure) -> ${fingerprint(NEW_PASSWORD, fingerprintKey(DEV_PASSPHRASE))} (secure)`);
  });

  it("shows a plain value change by fingerprint", () => {
    expect(results[0]!.stdout).toContain(`key host: changed ${fingerprint("postgres.dev.gbo.example.test")} (plain text) -> ${fingerprint(NEW_HOST)}`);
  });

  it("updates the secret's dataJson", () => {
    expect(results[0]!.stdout).toContain("~ vault:kv/secretV2:SecretV2 secret-gbo/tenants/dev/infrastructure/tables (dataJson)");
  });

  it("never prints a value in any format", () => {
    for (const result of results) {
      for (const value of [NEW_PASSWORD, oldPassword, NEW_HOST]) {
        expect(result.stdout).not.toContain(value);
        expect(result.stderr).not.toContain(value);
      }
    }
  });
});

describe("diff of a stack missing at base", () => {
  it("reports everything as added", async () => {
    const scratch = repo();
    scratch.writeStack("qa", scratch.readStack("dev").replace("id: dev", "id: qa").replace("127.0.0.1:8200", "127.0.0.1:8300"));
    const result = await diff(scratch, "qa", "HEAD", ["--fail-on-destructive"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("where the stack does not exist: everything is added");
    expect(result.stdout).toContain("Resources: ");
    expect(result.stdout).toMatch(/Resources: [1-9]\d* to add, 0 to update, 0 to replace, 0 to remove/);
  });
});

describe("diff leaves the checkout alone", () => {
  it("keeps git status, the index and the worktree list", async () => {
    const scratch = repo();
    scratch.editStack("dev", (document) => {
      document.deleteIn(["config", "gbo-vault:infrastructure", "cache"]);
    });
    scratch.git("add", "stacks/Pulumi.dev.yaml");
    scratch.editStack("dev", (document) => {
      document.setIn(["config", "gbo-vault:kvMaxVersions"], 5);
    });
    const indexFile = path.join(scratch.root, ".git", "index");
    const status = (): string => scratch.git("status", "--porcelain=v2", "--untracked-files=all");
    const before = {
      status: status(),
      staged: scratch.git("diff", "--cached"),
      worktrees: scratch.git("worktree", "list", "--porcelain"),
      stack: scratch.readStack("dev"),
    };
    // git status above may refresh the index; from here on only diff runs until the index is checked.
    const indexBefore = { mtime: statSync(indexFile).mtimeMs, content: readFileSync(indexFile) };
    const result = await diff(scratch, "dev", "HEAD", ["--format", "json"]);
    expect(result.code).toBe(0);
    expect(statSync(indexFile).mtimeMs).toBe(indexBefore.mtime);
    expect(readFileSync(indexFile).equals(indexBefore.content)).toBe(true);
    expect(status()).toBe(before.status);
    expect(scratch.git("diff", "--cached")).toBe(before.staged);
    expect(scratch.git("worktree", "list", "--porcelain")).toBe(before.worktrees);
    expect(scratch.readStack("dev")).toBe(before.stack);
    expect(existsSync(path.join(scratch.root, ".gbo-vault"))).toBe(false);
  });
});

describe("diff as a process", () => {
  it("runs bin/gbo-vault.js against HEAD~1", () => {
    const scratch = repo();
    scratch.editStack("dev", (document) => {
      document.deleteIn(["config", "gbo-vault:infrastructure", "cache"]);
    });
    scratch.commit("Drop the cache secret");
    const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "gbo-vault.js"), "diff", "dev", "--base", "HEAD~1", "--root", scratch.root, "--fail-on-destructive"], {
      cwd: scratch.root,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? scratch.root },
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("secret gbo/tenants/dev/infrastructure/cache");
    expect(result.stderr).toContain("destructive change(s) not in the allow file");
  });
});

describe("diff of a change made in code", () => {
  let scratch: ScratchRepo;
  beforeAll(() => {
    // The base revision's bot policy has one more rule than the working tree's code writes.
    scratch = makeRepo({
      withCode: true,
      editCode: (root) => {
        const file = path.join(root, "infra", "core", "policies.ts");
        const text = readFileSync(file, "utf8").replace(
          '{ path: under(layout, "metadata", root), capabilities: ["read", "list"] },\n    ],\n  };\n}\n\nfunction operatorPolicy',
          '{ path: under(layout, "metadata", root), capabilities: ["read", "list"] },\n      { path: "secret/data/gbo/base-only/*", capabilities: ["read"] },\n    ],\n  };\n}\n\nfunction operatorPolicy',
        );
        expect(text).toContain("base-only");
        writeFileSync(file, text);
      },
    });
    repos.push(scratch);
  });

  it("builds the base with its own code", async () => {
    const result = await diff(scratch, "dev", "HEAD", ["--format", "json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.base.code).toBe("revision");
    const bot = report.policies.find((policy: { name: string }) => policy.name === "gbo-dev-bot");
    expect(JSON.stringify(bot)).toContain("secret/data/gbo/base-only/*");
  });

  it("says when the base code is missing", async () => {
    const plain = repo();
    const result = await diff(plain, "dev", "HEAD");
    expect(result.stdout).toContain("the base was built with this revision's code because it has no infra/ code");
  });
});

describe("diff with an allow entry from an earlier pull request", () => {
  let scratch: ScratchRepo;
  const entry = "- { stack: dev, kind: secret, path: gbo/tenants/dev/infrastructure/drive, reason: approved long ago }\n";
  beforeAll(() => {
    scratch = repo();
    writeAllowFile(scratch, entry);
    scratch.commit("Approve an earlier removal");
    scratch.editStack("dev", (document) => {
      document.deleteIn(["config", "gbo-vault:infrastructure", "drive"]);
    });
  });

  it("does not approve the change again", async () => {
    const result = await diff(scratch, "dev", "HEAD", ["--fail-on-destructive"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("was already in the allow file at the base revision");
  });

  it("accepts a new entry made in this change", async () => {
    const report = JSON.parse((await diff(scratch, "dev", "HEAD", ["--format", "json"])).stdout);
    const entries = (report.gate.destructive as Array<{ kind: string; path: string }>).map(
      (change) => `- { stack: dev, kind: ${change.kind}, path: ${change.path}, reason: drive moves again }\n`,
    );
    writeAllowFile(scratch, `${entry}${entries.join("")}`);
    const result = await diff(scratch, "dev", "HEAD", ["--fail-on-destructive"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("[allowed: drive moves again]");
  });
});

describe("diff of a corrupt secure value", () => {
  it("exits 2 and names the key", async () => {
    const scratch = repo();
    const text = scratch.readStack("dev");
    const match = /password:\n?\s*\{?\s*secure: (v1:[^:\s]+:)([A-Za-z0-9+/]{4})/.exec(text)!;
    scratch.writeStack("dev", text.replace(`${match[1]}${match[2]}`, `${match[1]}${match[2] === "AAAA" ? "BBBB" : "AAAA"}`));
    const result = await diff(scratch, "dev", "HEAD", [], { PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("cannot be decrypted");
    expect(result.stderr).toContain("gbo-vault:infrastructure.tables.password");
  });
});
