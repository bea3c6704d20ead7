import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadStack } from "../../infra/core/load";
import { sharedVaultProblems } from "../../infra/core/settings";

const ROOT = path.resolve(__dirname, "..", "..");

describe("stack topology", () => {
  it("shipped stacks use distinct Vaults", () => {
    const settings = ["dev", "staging", "prod"].map((stack) => loadStack(stack).settings);
    expect(sharedVaultProblems(settings)).toEqual([]);
  });

  it("two stacks on one Vault are reported", () => {
    const dev = loadStack("dev").settings;
    const copy = { ...dev, stack: "dev-copy" };
    const problems = sharedVaultProblems([dev, copy]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('stacks "dev", "dev-copy" all manage the Vault at http://127.0.0.1:8200');
  });

  it("a different namespace is a different Vault", () => {
    const dev = loadStack("dev").settings;
    const other = { ...dev, stack: "dev-ns", vault: { ...dev.vault, namespace: "team-b" } };
    expect(sharedVaultProblems([dev, other])).toEqual([]);
  });

  it("a trailing slash or case does not hide a shared Vault", () => {
    const dev = loadStack("dev").settings;
    const other = { ...dev, stack: "dev-2", vault: { address: "HTTP://127.0.0.1:8200/" } };
    expect(sharedVaultProblems([dev, other])).toHaveLength(1);
  });

  describe("verify command", () => {
    const folder = mkdtempSync(path.join(tmpdir(), "gbo-topology-"));
    afterAll(() => rmSync(folder, { recursive: true, force: true }));
    cpSync(path.join(ROOT, "Pulumi.yaml"), path.join(folder, "Pulumi.yaml"));
    cpSync(path.join(ROOT, "config"), path.join(folder, "config"), { recursive: true });
    cpSync(path.join(ROOT, "stacks"), path.join(folder, "stacks"), { recursive: true });
    const prod = path.join(folder, "stacks", "Pulumi.prod.yaml");
    writeFileSync(prod, readFileSync(prod, "utf8").replace("https://vault.prod.gbo.example.test:8200", "http://127.0.0.1:8200"));

    it("fails when another stack shares the Vault", () => {
      const run = spawnSync(process.execPath, [path.join(ROOT, "bin", "gbo-vault.js"), "verify", "dev", "--root", folder], { encoding: "utf8" });
      expect(run.status).toBe(1);
      expect(run.stdout).toContain("shared Vault");
      expect(run.stdout).toContain('stacks "dev", "prod" all manage the Vault');
    });

    it("passes for a stack on its own Vault", () => {
      const output = execFileSync(process.execPath, [path.join(ROOT, "bin", "gbo-vault.js"), "verify", "staging", "--root", folder], { encoding: "utf8" });
      expect(output).toContain("0 errors");
    });
  });
});
