import { afterAll, describe, expect, it } from "vitest";
import type { VaultMigrationPlan } from "../../infra/cli/migrate-vault";
import { loadLegacy } from "../../infra/migrate/legacy";
import { makeScratch, run } from "./support";

const scratch = makeScratch();
afterAll(() => scratch.cleanup());
const legacy = loadLegacy();

describe("migrate-vault", () => {
  it("text covers every legacy path", async () => {
    const result = await run(["migrate-vault", "dev", "--root", scratch.root], scratch.root);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    for (const entry of legacy.vault) {
      for (const pair of entry.keys) {
        expect(result.stdout, `${entry.legacyPath} ${pair.legacyKey}`).toContain(
          `vault kv get -mount=secret -field=${pair.legacyKey} gbo/${entry.legacyPath} | vault kv patch -mount=secret `,
        );
      }
      for (const item of entry.noTarget) {
        expect(result.stdout, `${entry.legacyPath} ${item.legacyKey}`).toContain(`gbo/${entry.legacyPath} ${item.legacyKey}: ${item.reason}`);
      }
    }
  });

  it("json pairs read and write stdin", async () => {
    const result = await run(["migrate-vault", "dev", "--root", scratch.root, "--json"], scratch.root);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as VaultMigrationPlan;
    expect(plan.legacyPaths).toEqual(legacy.vault.map((entry) => `gbo/${entry.legacyPath}`));
    const moves = plan.targets.flatMap((target) => target.moves.map((move) => ({ target, move })));
    const expected = legacy.vault.reduce((count, entry) => count + entry.keys.length, 0);
    expect(moves).toHaveLength(expected);
    for (const { target, move } of moves) {
      expect(move.get).toBe(`vault kv get -mount=secret -field=${move.legacyKey} ${move.legacyPath}`);
      expect(move.patch).toBe(`vault kv patch -mount=secret ${target.path} ${move.key}=-`);
      expect(move.configSet.startsWith(`${move.get} | pulumi config set --stack dev `)).toBe(true);
      expect(move.configSet.includes("--secret")).toBe(move.secret);
    }
    const noTarget = legacy.vault.reduce((count, entry) => count + entry.noTarget.length, 0);
    expect(plan.noTarget).toHaveLength(noTarget);
  });

  it("groups by new secret", async () => {
    const plan = JSON.parse((await run(["migrate-vault", "dev", "--root", scratch.root, "--json"], scratch.root)).stdout) as VaultMigrationPlan;
    const tables = plan.targets.find((target) => target.path === "gbo/tenants/dev/infrastructure/tables")!;
    expect(tables.moves.map((move) => move.legacyKey)).toEqual(["host", "port", "database", "username", "password"]);
    const email = plan.targets.find((target) => target.path === "gbo/system/email")!;
    const server = email.moves.find((move) => move.legacyKey === "server")!;
    expect(server.alsoFrom).toEqual(["gbo/email smtp_host"]);
    expect(new Set(plan.targets.map((target) => target.path)).size).toBe(plan.targets.length);
  });

  it("uses the stack's tenant", async () => {
    const plan = JSON.parse((await run(["migrate-vault", "prod", "--root", scratch.root, "--json"], scratch.root)).stdout) as VaultMigrationPlan;
    expect(plan.targets.some((target) => target.path === "gbo/tenants/prod/infrastructure/cache")).toBe(true);
  });

  it("rejects an unknown stack", async () => {
    const result = await run(["migrate-vault", "nosuch", "--root", scratch.root], scratch.root);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('stack file not found for stack "nosuch"');
  });

  it("rejects extra arguments", async () => {
    const result = await run(["migrate-vault", "dev", "prod"], scratch.root);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("exactly one stack name");
  });
});
