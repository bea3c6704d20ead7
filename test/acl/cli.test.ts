import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../infra/cli/io";
import { main } from "../../infra/cli/main";

// `main` loads commands with `require`, as `bin/gbo-vault.js` runs it under tsx's CommonJS hook.
// Vitest does not install that hook, so register it here to load the command the same way.
require("tsx/cjs");

const REPO = path.resolve(__dirname, "../..");
const SHARED_PUBLIC = path.resolve(__dirname, "../../../shared/cases/vault-acl/public.json");
const PUBLIC_CASES = existsSync(SHARED_PUBLIC) ? SHARED_PUBLIC : path.join(__dirname, "fixtures", "vault-acl-public.json");
const FIXTURE = path.resolve(__dirname, "fixtures/org-isolation.yaml");

interface Captured {
  io: CliIo;
  stdout: () => string;
  stderr: () => string;
}

function capture(cwd = REPO): Captured {
  let out = "";
  let err = "";
  return {
    io: { stdout: (text) => (out += text), stderr: (text) => (err += text), cwd, env: {} },
    stdout: () => out,
    stderr: () => err,
  };
}

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "gbo-acl-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const FAILING_CASE = JSON.stringify([
  {
    id: "wrong_expectation",
    kind: "acl",
    policies: ['path "s/x" { capabilities = ["read"] }\n'],
    checks: [
      { path: "s/x", operation: "read", allowed: true },
      { path: "s/x", operation: "update", allowed: true },
    ],
  },
]);

describe("acl test", () => {
  it("passes the public cases", async () => {
    const run = capture();
    expect(await main(["acl", "test", PUBLIC_CASES], run.io)).toBe(0);
    expect(run.stdout()).toContain("156 passed, 0 failed");
  });

  it("runs the YAML fixture", async () => {
    const run = capture(path.dirname(FIXTURE));
    expect(await main(["acl", "test", "org-isolation.yaml"], run.io)).toBe(0);
    expect(run.stdout()).toContain("7 passed, 0 failed");
  });

  it("prints one JSON object", async () => {
    const run = capture();
    expect(await main(["acl", "test", FIXTURE, "--json"], run.io)).toBe(0);
    const output = JSON.parse(run.stdout());
    expect(Object.keys(output)).toEqual(["passed", "failed", "results"]);
    expect(output.passed).toBe(7);
    expect(output.failed).toBe(0);
    expect(Object.keys(output.results[0])).toEqual(["id", "index", "pass", "expected", "actual"]);
  });

  it("reports a failing check", async () => {
    const dir = scratch({ "cases.json": FAILING_CASE });
    const run = capture(dir);
    expect(await main(["acl", "test", "cases.json"], run.io)).toBe(1);
    expect(run.stdout()).toContain("FAIL wrong_expectation [check 1]");
    expect(run.stdout()).toContain('expected: {"allowed":true}');
    expect(run.stdout()).toContain('actual:   {"allowed":false}');
    expect(run.stdout()).toContain("1 passed, 1 failed");
  });

  it("rejects a malformed case file", async () => {
    const dir = scratch({ "bad.json": JSON.stringify([{ id: "broken", kind: "acl", policies: [], checks: [{ path: "x", operation: "fly", allowed: true }] }]) });
    const run = capture(dir);
    expect(await main(["acl", "test", "bad.json"], run.io)).toBe(2);
    expect(run.stderr()).toContain(path.join(dir, "bad.json"));
    expect(run.stderr()).toContain('case "broken"');
    expect(run.stderr()).toContain("checks.0.operation");
  });

  it("rejects a policy parse error", async () => {
    const cases = [{ id: "bad_policy", kind: "acl", policies: ['path "a" {\n  capabilities = ["reed"]\n}\n'], checks: [{ path: "a", operation: "read", allowed: false }] }];
    const run = capture(scratch({ "bad.json": JSON.stringify(cases) }));
    expect(await main(["acl", "test", "bad.json"], run.io)).toBe(2);
    expect(run.stderr()).toContain('case "bad_policy"');
    expect(run.stderr()).toContain('invalid capability "reed"');
  });

  it("rejects a missing file", async () => {
    const run = capture();
    expect(await main(["acl", "test", "no-such-file.json"], run.io)).toBe(2);
    expect(run.stderr()).toContain("cannot read the file");
  });

  it("requires a file", async () => {
    const run = capture();
    expect(await main(["acl", "test"], run.io)).toBe(2);
    expect(run.stderr()).toContain("missing case FILE");
  });

  it("prints help", async () => {
    const run = capture();
    expect(await main(["acl", "test", "--help"], run.io)).toBe(0);
    expect(run.stdout()).toContain("usage: gbo-vault acl test");
  });
});

describe("acl capabilities", () => {
  const dir = scratch({
    "app.hcl": 'path "secret/data/gbo/*" {\n  capabilities = ["read", "list"]\n}\n',
    "org.json": JSON.stringify({ path: { "secret/data/gbo/orgs/{{identity.entity.metadata.org}}/*": { capabilities: ["create", "update"] } } }),
    "identity.yaml": "entity:\n  id: e1\n  name: bot\n  metadata:\n    org: acme\n",
    "broken.hcl": 'path "a" {\n  capabilities = ["read"]\n  polcy = "read"\n}\n',
  });

  it("prints sorted capabilities", async () => {
    const run = capture(dir);
    expect(await main(["acl", "capabilities", "--policy", "app.hcl", "secret/data/gbo/x"], run.io)).toBe(0);
    expect(run.stdout()).toBe("list, read\n");
  });

  it("renders templates for an identity", async () => {
    const run = capture(dir);
    const args = ["acl", "capabilities", "--policy", "app.hcl", "org.json", "--identity", "identity.yaml", "secret/data/gbo/orgs/acme/x"];
    expect(await main(args, run.io)).toBe(0);
    expect(run.stdout()).toBe("create, update\n");
  });

  it("notes dropped stanzas", async () => {
    const run = capture(dir);
    expect(await main(["acl", "capabilities", "--policy", "org.json", "secret/data/gbo/orgs/acme/x"], run.io)).toBe(0);
    expect(run.stdout()).toBe("deny\n");
    expect(run.stderr()).toContain("dropped");
  });

  it("prints JSON output", async () => {
    const run = capture(dir);
    expect(await main(["acl", "capabilities", "--json", "--policy=app.hcl", "secret/data/gbo/x"], run.io)).toBe(0);
    expect(JSON.parse(run.stdout()).capabilities).toEqual(["list", "read"]);
  });

  it("adds the default policy", async () => {
    const run = capture(dir);
    expect(await main(["acl", "capabilities", "--default-policy", "cubbyhole/x"], run.io)).toBe(0);
    expect(run.stdout()).toBe("create, delete, list, read, update\n");
  });

  it("reports policy errors with lines", async () => {
    const run = capture(dir);
    expect(await main(["acl", "capabilities", "--policy", "broken.hcl", "a"], run.io)).toBe(2);
    expect(run.stderr()).toContain(`${path.join(dir, "broken.hcl")}:3: invalid key "polcy"`);
  });

  it("requires a path", async () => {
    const run = capture(dir);
    expect(await main(["acl", "capabilities", "--policy", "app.hcl"], run.io)).toBe(2);
    expect(run.stderr()).toContain("missing PATH");
  });

  it("prints help", async () => {
    const run = capture(dir);
    expect(await main(["acl", "capabilities", "--help"], run.io)).toBe(0);
    expect(run.stdout()).toContain("usage: gbo-vault acl capabilities");
  });
});

describe("acl as a process", () => {
  it("runs case files", () => {
    const output = execFileSync("bin/gbo-vault", ["acl", "test", PUBLIC_CASES, FIXTURE], { cwd: REPO, encoding: "utf8" });
    expect(output).toContain("163 passed, 0 failed");
  });

  it("exits 1 on a failing check", () => {
    const dir = scratch({ "cases.json": FAILING_CASE });
    const result = spawnSync("node", [path.join(REPO, "bin/gbo-vault.js"), "acl", "test", "cases.json", "--json"], { cwd: dir, encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout).failed).toBe(1);
  });
});
