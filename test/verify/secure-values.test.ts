import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/core/project";

const BIN = path.join(PROJECT_ROOT, "bin", "gbo-vault");

function verify(root: string, passphrase: string | undefined) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
  if (passphrase !== undefined) env.PULUMI_CONFIG_PASSPHRASE = passphrase;
  return spawnSync(BIN, ["verify", "dev", "--root", root], { encoding: "utf8", env });
}

describe("verify with a passphrase", () => {
  const root = mkdtempSync(path.join(tmpdir(), "gbo-verify-secure-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  for (const name of ["Pulumi.yaml", "config", "stacks"]) cpSync(path.join(PROJECT_ROOT, name), path.join(root, name), { recursive: true });
  const stackFile = path.join(root, "stacks", "Pulumi.dev.yaml");
  const original = readFileSync(stackFile, "utf8");

  it("passes with the right passphrase", () => {
    writeFileSync(stackFile, original);
    expect(verify(root, "gbo-vault-dev-only").status).toBe(0);
  });

  it("fails with a wrong passphrase", () => {
    writeFileSync(stackFile, original);
    const run = verify(root, "not-the-passphrase");
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("does not open this stack file");
  });

  it("names a corrupt value", () => {
    const match = /(jwt:\n\s+secret: \{ secure: v1:[^:]+:)([A-Za-z0-9+/]{4})/.exec(original)!;
    writeFileSync(stackFile, original.replace(match[0], `${match[1]}${match[2] === "AAAA" ? "BBBB" : "AAAA"}`));
    const run = verify(root, "gbo-vault-dev-only");
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("gbo-vault:system.jwt.secret: the secure value cannot be decrypted");
  });

  it("skips the check without a passphrase", () => {
    writeFileSync(stackFile, original);
    expect(verify(root, undefined).status).toBe(0);
  });
});
