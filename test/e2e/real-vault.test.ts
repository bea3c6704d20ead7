/**
 * End to end against a real Vault: `pulumi up` of a temporary stack on a Vault dev server, then the capabilities that
 * Vault reports compared with the offline evaluator for every principal the test can log in as. Runs
 * only where `vault` and `pulumi` are on PATH; elsewhere it is skipped and names the missing binary,
 * unless GBO_VAULT_E2E_REQUIRED=1 (set in CI), where a missing binary fails the run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStack } from "../../infra/core/load";
import { compareCapabilities, differenceTable } from "./capabilities";
import { e2eBinaries } from "./binaries";
import { startOidcIssuer, type OidcIssuer } from "./oidc-issuer";
import { createProject, type ScratchProject } from "./pulumi-project";
import { type DevServer, startDevServer } from "./vault-server";

const binaries = e2eBinaries();
const required = process.env.GBO_VAULT_E2E_REQUIRED === "1";
const skip = binaries.missing.length > 0 && !required;
const skipReason = `${binaries.missing.join(" and ")} not found on PATH`;

if (skip) {
  console.warn(`real-Vault e2e test skipped: ${skipReason}. Install the Vault and Pulumi CLIs to run it.`);
}

describe("real Vault prerequisites", () => {
  it.runIf(required)("has vault and pulumi on PATH", () => {
    expect(binaries.missing).toEqual([]);
  });
});

describe.skipIf(skip)(`real Vault end to end${skip ? ` (skipped: ${skipReason})` : ""}`, () => {
  let server: DevServer | undefined;
  let issuer: OidcIssuer | undefined;
  let project: ScratchProject | undefined;

  beforeAll(async () => {
    server = await startDevServer(binaries.vault!);
    // A dev server starts with a KV v2 mount at secret/, which the stack would collide with. A real Vault that
    // already has the mount gets it imported instead (see the README).
    await server.client.request("DELETE", "sys/mounts/secret");
    issuer = await startOidcIssuer();
    project = createProject(server.client.address, server.client.rootToken, issuer.url);
    await project.pulumi(["stack", "init", project.stack, "--secrets-provider", "passphrase"], 60_000);
    await project.pulumi(["up", "--yes", "--skip-preview", "--stack", project.stack]);
  }, 600_000);

  afterAll(async () => {
    // Each step runs even when an earlier one failed, so nothing is left running or on disk.
    await project?.remove().catch((error) => console.warn(`failed to remove the e2e project: ${String(error)}`));
    await issuer?.close().catch(() => undefined);
    await server?.stop();
  }, 600_000);

  it(
    "gives every principal the capabilities the offline evaluator computes",
    async () => {
      const vault = server!.client;
      const { plan, catalog } = loadStack(project!.stack, { root: project!.root });
      const mounts = (await vault.request("GET", "sys/auth"))!.data as Record<string, { accessor: string }>;
      const accessors = Object.fromEntries(plan.authBackends.map((backend) => [backend.path, mounts[`${backend.path}/`]!.accessor]));
      const result = await compareCapabilities(vault, plan, catalog, accessors);
      for (const skipped of result.skipped) console.info(`e2e: not compared: ${skipped.principal}: ${skipped.reason}`);
      console.info(`e2e: compared ${result.compared} principals on ${result.paths} paths`);
      expect(result.compared).toBeGreaterThanOrEqual(7);
      expect(result.differences, `Vault and the offline evaluator differ:\n${differenceTable(result.differences)}`).toEqual([]);
    },
    600_000,
  );

  it("stores the seeded secrets with string values", async () => {
    const { plan } = loadStack(project!.stack, { root: project!.root });
    const secret = plan.secrets.find((candidate) => candidate.path.endsWith("/infrastructure/tables"))!;
    const read = (await server!.client.request("GET", secret.dataPath))!.data as { data: Record<string, unknown> };
    expect(Object.keys(read.data).sort()).toEqual(secret.keys.filter((key) => key.status !== "missing").map((key) => key.name).sort());
    for (const value of Object.values(read.data)) expect(typeof value).toBe("string");
  });
});
