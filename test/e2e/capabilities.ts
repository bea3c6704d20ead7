/**
 * The comparison that the real-Vault test makes: for each synthetic principal of `verify`, the result of
 * Vault's `sys/capabilities` on every probe path against the offline evaluator's `capabilities(acl, path)`.
 */
import { capabilities, compileAcl } from "../../infra/acl";
import type { Catalog } from "../../infra/core/catalog";
import type { Plan } from "../../infra/core/plan";
import { parsePlanPolicies, probeOrgs, type SyntheticPrincipal, syntheticPrincipals } from "../../infra/verify/principals";
import { botProbes, globalProbes, orgProbes, userProbes } from "../../infra/verify/probes";
import type { VaultClient } from "./vault-server";

export interface Difference {
  principal: string;
  path: string;
  vault: string[];
  offline: string[];
}

export interface SkippedPrincipal {
  principal: string;
  reason: string;
}

/** Lists every probe path of verify for the plan, without duplicates. */
export function probePaths(plan: Plan, catalog: Catalog, principals: SyntheticPrincipal[]): string[] {
  const paths = new Set(globalProbes(plan, catalog).map((probe) => probe.path));
  for (const org of probeOrgs(plan)) {
    for (const probe of orgProbes(plan, org.id)) paths.add(probe.path);
    for (const bot of org.bots) for (const probe of botProbes(plan, catalog, org.id, bot)) paths.add(probe.path);
    const users = principals.filter((principal) => principal.kind === "user" && principal.org === org.id).map((principal) => principal.user!);
    for (const user of users) for (const probe of userProbes(plan, catalog, org.id, user)) paths.add(probe.path);
  }
  return [...paths].sort();
}

/**
 * Gets a token that carries the principal's policies and identity, or the reason why the test cannot. The
 * app and bots log in through AppRole as they do in production. Principals without identity get a child
 * token of the root token with the same policies.
 */
export async function tokenFor(vault: VaultClient, plan: Plan, principal: SyntheticPrincipal): Promise<string | SkippedPrincipal> {
  const approle = plan.authBackends.find((backend) => backend.type === "approle")!.path;
  if (principal.kind === "app" || principal.kind === "bot") {
    const role = principal.kind === "app" ? plan.roles.find((candidate) => candidate.principal === "app")! : plan.roles.find((candidate) => candidate.principal === principal.label);
    if (role === undefined) return { principal: principal.label, reason: "the plan declares no AppRole role for it (a synthetic org of verify)" };
    const roleId = (await vault.request("GET", `auth/${approle}/role/${role.name}/role-id`))!.data as { role_id: string };
    const secretId = (await vault.request("POST", `auth/${approle}/role/${role.name}/secret-id`, {}))!.data as { secret_id: string };
    const login = await vault.request("POST", `auth/${approle}/login`, { role_id: roleId.role_id, secret_id: secretId.secret_id }, "");
    return (login!.auth as { client_token: string }).client_token;
  }
  if (principal.identity !== undefined) {
    return {
      principal: principal.label,
      reason: "its policies read OIDC alias metadata, which only an OIDC login sets (claim_mappings); the API cannot create such an alias",
    };
  }
  const policies = principal.policies.filter((name) => name !== "default");
  const created = await vault.request("POST", "auth/token/create", { policies: policies.length > 0 ? policies : ["default"], ttl: "15m" });
  return (created!.auth as { client_token: string }).client_token;
}

/** Asks Vault for the token's capabilities on `paths`, in batches. */
export async function vaultCapabilities(vault: VaultClient, token: string, paths: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const batch = 200;
  for (let start = 0; start < paths.length; start += batch) {
    const slice = paths.slice(start, start + batch);
    const response = (await vault.request("POST", "sys/capabilities", { token, paths: slice }))!;
    const data = (response.data ?? response) as Record<string, unknown>;
    for (const path of slice) {
      const value = data[path];
      if (!Array.isArray(value)) throw new Error(`sys/capabilities returned no list for ${path}`);
      out.set(path, value as string[]);
    }
  }
  return out;
}

/** Compares Vault and the offline evaluator for every principal that the test can log in as. */
export async function compareCapabilities(
  vault: VaultClient,
  plan: Plan,
  catalog: Catalog,
  accessors: Record<string, string>,
): Promise<{ differences: Difference[]; skipped: SkippedPrincipal[]; compared: number; paths: number }> {
  const policies = parsePlanPolicies(plan, accessors);
  const principals = syntheticPrincipals(plan, accessors);
  const paths = probePaths(plan, catalog, principals);
  const differences: Difference[] = [];
  const skipped: SkippedPrincipal[] = [];
  let compared = 0;
  for (const principal of principals) {
    const token = await tokenFor(vault, plan, principal);
    if (typeof token !== "string") {
      skipped.push(token);
      continue;
    }
    const acl = compileAcl(
      principal.policies.map((name) => policies.get(name)).filter((policy) => policy !== undefined),
      principal.identity,
    );
    const answers = await vaultCapabilities(vault, token, paths);
    for (const path of paths) {
      const fromVault = [...answers.get(path)!].sort();
      const offline = [...capabilities(acl, path)].sort();
      if (fromVault.join(",") !== offline.join(",")) differences.push({ principal: principal.label, path, vault: fromVault, offline });
    }
    compared += 1;
  }
  return { differences, skipped, compared, paths: paths.length };
}

/** Formats differences as a table for the failure message. */
export function differenceTable(differences: Difference[], max = 200): string {
  const rows = differences.slice(0, max).map((difference) => `| ${difference.principal} | ${difference.path} | ${difference.vault.join(", ")} | ${difference.offline.join(", ")} |`);
  const more = differences.length > max ? `\n(${differences.length - max} more differences not shown)` : "";
  return ["| principal | path | Vault | offline evaluator |", "|---|---|---|---|", ...rows].join("\n") + more;
}
