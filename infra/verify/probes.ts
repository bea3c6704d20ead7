/**
 * Probe requests for `verify`: every path kind of the layout (KV v2 `data`, `metadata`, `delete`, `undelete`,
 * `destroy`, `subkeys`, list prefixes) and the control plane, each with the operation Vault would check.
 */
import type { Operation } from "../acl";
import type { Catalog } from "../core/catalog";
import type { Plan } from "../core/plan";
import { controlPlane, fillCatalogPath, type KvApi, kvApiPath, kvConfigPath, legacyRoot, orgsRoot, scopeRoot } from "../core/paths";
import type { Id } from "../core/ids";

export type KvArea = "system" | "tenant" | "otherTenant" | "legacy" | "orgRoot" | "bot" | "user";
export type ListArea = "prefixRoot" | "orgs" | "org" | "orgBots" | "orgUsers" | "bot" | "user";
export type ControlArea =
  | "policy"
  | "deployerPolicy"
  | "authMountTune"
  | "identityLookup"
  | "foreignPolicy"
  | "policyList"
  | "mount"
  | "mountTune"
  | "foreignMount"
  | "mountsRead"
  | "kvConfig"
  | "auth"
  | "authTune"
  | "foreignAuth"
  | "authsRead"
  | "approleRole"
  | "approleRoleId"
  | "approleSecretId"
  | "oidcConfig"
  | "oidcRole"
  | "identityWrite"
  | "identityRead"
  | "tokenCreate"
  | "tokenCreateOrphan";

export type Target =
  | {
      kind: "kv";
      area: KvArea;
      api: KvApi;
      secretPath: string;
      org?: string;
      bot?: string;
      user?: string;
      /** The stack writes this secret (the deployer needs it). */
      managed: boolean;
      /** App contract access, for legacy paths. */
      appAccess?: "read" | "read-write";
    }
  | { kind: "list"; area: ListArea; org?: string; bot?: string; user?: string }
  | { kind: "control"; area: ControlArea };

export interface Probe {
  path: string;
  operation: Operation;
  target: Target;
}

const KV_OPERATIONS: Array<[KvApi, Operation]> = [
  ["data", "read"],
  ["data", "create"],
  ["data", "update"],
  ["data", "patch"],
  ["data", "delete"],
  ["metadata", "read"],
  ["metadata", "delete"],
  ["delete", "update"],
  ["undelete", "update"],
  ["destroy", "update"],
  ["subkeys", "read"],
];

function kvProbes(plan: Plan, secretPath: string, base: Omit<Extract<Target, { kind: "kv" }>, "api" | "secretPath" | "kind">): Probe[] {
  return KV_OPERATIONS.map(([api, operation]) => ({
    path: kvApiPath(plan.layout, api, secretPath),
    operation,
    target: { kind: "kv", api, secretPath, ...base },
  }));
}

function listProbe(plan: Plan, folder: string, target: Extract<Target, { kind: "list" }>): Probe {
  return { path: `${kvApiPath(plan.layout, "metadata", folder)}/`, operation: "list", target };
}

/** Probes that do not depend on any org: system, tenant, legacy paths, list roots and the control plane. */
export function globalProbes(plan: Plan, catalog: Catalog): Probe[] {
  const layout = plan.layout;
  const managed = new Set(plan.secrets.map((secret) => secret.path));
  const probes: Probe[] = [];
  for (const scope of ["system", "tenant"] as const) {
    for (const secret of catalog.scopes[scope].secrets) {
      const path = `${scopeRoot(layout, { scope })}/${fillCatalogPath(secret.path, { provider: "openai", name: "verify" })}`;
      probes.push(...kvProbes(plan, path, { area: scope, managed: managed.has(path) }));
    }
  }
  // Secrets of the stack that the catalog walk above does not reach, such as other LLM providers.
  for (const secret of plan.secrets) {
    if (!probes.some((probe) => probe.target.kind === "kv" && probe.target.secretPath === secret.path)) {
      probes.push(...kvProbes(plan, secret.path, { area: secret.scope === "system" ? "system" : "tenant", managed: true }));
    }
  }
  const otherTenant = { ...layout, tenant: `${layout.tenant}-other` as Id };
  probes.push(
    ...kvProbes(plan, `${scopeRoot(otherTenant, { scope: "tenant" })}/infrastructure/tables`, { area: "otherTenant", managed: false }),
  );
  for (const entry of catalog.appContract.paths) {
    const relative = entry.path.replace(/\{bot\}/g, "verify-bot").replace(/\{bot_name\}/g, "verify-bot-name");
    const path = `${legacyRoot(layout)}/${relative}`;
    probes.push(...kvProbes(plan, path, { area: "legacy", managed: managed.has(path), appAccess: entry.access }));
  }
  probes.push(listProbe(plan, legacyRoot(layout), { kind: "list", area: "prefixRoot" }));
  probes.push(listProbe(plan, orgsRoot(layout), { kind: "list", area: "orgs" }));

  const control = (path: string, operation: Operation, area: ControlArea): Probe => ({
    path,
    operation,
    target: { kind: "control", area },
  });
  const approle = plan.authBackends.find((backend) => backend.type === "approle")!.path;
  const oidc = plan.authBackends.find((backend) => backend.type === "oidc")!.path;
  const botRole = plan.roles.find((role) => role.principal.startsWith("bot "))?.name ?? "verify-bot-role";
  const writes: Operation[] = ["create", "update", "delete"];
  for (const policy of plan.policies) {
    const area: ControlArea = policy.principal === "deployer" ? "deployerPolicy" : "policy";
    for (const operation of [...writes, "read"] as Operation[]) probes.push(control(controlPlane.policy(policy.name), operation, area));
  }
  for (const operation of writes) probes.push(control(controlPlane.policy("verify-foreign-policy"), operation, "foreignPolicy"));
  probes.push(control(controlPlane.policy("root"), "update", "foreignPolicy"));
  probes.push(control(`${controlPlane.policies()}/`, "list", "policyList"));
  for (const mount of plan.mounts) {
    for (const operation of [...writes, "read"] as Operation[]) probes.push(control(controlPlane.mount(mount.path), operation, "mount"));
    probes.push(control(controlPlane.mountTune(mount.path), "update", "mountTune"));
    probes.push(control(kvConfigPath({ mount: mount.path }), "update", "kvConfig"));
  }
  for (const operation of writes) probes.push(control(controlPlane.mount("verify-other-mount"), operation, "foreignMount"));
  probes.push(control(controlPlane.mounts(), "read", "mountsRead"));
  for (const backend of plan.authBackends) {
    for (const operation of [...writes, "read"] as Operation[]) probes.push(control(controlPlane.auth(backend.path), operation, "auth"));
    probes.push(control(controlPlane.authTune(backend.path), "update", "authTune"));
    probes.push(control(controlPlane.mountTune(`auth/${backend.path}`), "read", "authMountTune"));
    probes.push(control(controlPlane.mountTune(`auth/${backend.path}`), "update", "authMountTune"));
  }
  probes.push(control(controlPlane.identityLookupEntity(), "update", "identityLookup"));
  for (const operation of writes) probes.push(control(controlPlane.auth("verify-other-auth"), operation, "foreignAuth"));
  probes.push(control(controlPlane.auths(), "read", "authsRead"));
  for (const role of [botRole, plan.roles[0]!.name]) {
    for (const operation of [...writes, "read"] as Operation[]) {
      probes.push(control(controlPlane.appRoleRole(approle, role), operation, "approleRole"));
    }
    probes.push(control(controlPlane.appRoleRoleId(approle, role), "read", "approleRoleId"));
    probes.push(control(controlPlane.appRoleRoleId(approle, role), "update", "approleRoleId"));
    probes.push(control(controlPlane.appRoleSecretId(approle, role), "update", "approleSecretId"));
  }
  probes.push(control(controlPlane.jwtConfig(oidc), "update", "oidcConfig"));
  for (const operation of writes) probes.push(control(controlPlane.jwtRole(oidc, "user"), operation, "oidcRole"));
  for (const objectType of ["entity", "entity-alias", "group", "group-alias"] as const) {
    probes.push(control(controlPlane.identity(objectType), "update", "identityWrite"));
    probes.push(control(controlPlane.identityById(objectType, "verify-id"), "update", "identityWrite"));
    probes.push(control(controlPlane.identityById(objectType, "verify-id"), "delete", "identityWrite"));
    probes.push(control(controlPlane.identityById(objectType, "verify-id"), "read", "identityRead"));
  }
  probes.push(control(controlPlane.identityByName("entity", "verify-name"), "update", "identityWrite"));
  probes.push(control(controlPlane.tokenCreate(), "update", "tokenCreate"));
  probes.push(control(`${controlPlane.tokenCreate()}-orphan`, "update", "tokenCreateOrphan"));
  return probes;
}

/** Probes of one org's own tree (org-level secret and list prefixes). */
export function orgProbes(plan: Plan, org: string): Probe[] {
  const layout = plan.layout;
  const root = scopeRoot(layout, { scope: "org", org: org as Id });
  return [
    ...kvProbes(plan, `${root}/config`, { area: "orgRoot", org, managed: false }),
    listProbe(plan, root, { kind: "list", area: "org", org }),
    listProbe(plan, `${root}/bots`, { kind: "list", area: "orgBots", org }),
    listProbe(plan, `${root}/users`, { kind: "list", area: "orgUsers", org }),
  ];
}

/** Probes of every catalog secret of one bot, and its list prefix. */
export function botProbes(plan: Plan, catalog: Catalog, org: string, bot: string): Probe[] {
  const root = scopeRoot(plan.layout, { scope: "bot", org: org as Id, bot: bot as Id });
  const probes: Probe[] = [];
  for (const secret of catalog.scopes.bot.secrets) {
    probes.push(...kvProbes(plan, `${root}/${fillCatalogPath(secret.path, { name: "verify-custom" })}`, { area: "bot", org, bot, managed: false }));
  }
  probes.push(listProbe(plan, root, { kind: "list", area: "bot", org, bot }));
  return probes;
}

/** Probes of every catalog secret of one user, and its list prefix. */
export function userProbes(plan: Plan, catalog: Catalog, org: string, user: string): Probe[] {
  const root = scopeRoot(plan.layout, { scope: "user", org: org as Id, user: user as Id });
  const probes: Probe[] = [];
  for (const secret of catalog.scopes.user.secrets) {
    probes.push(...kvProbes(plan, `${root}/${fillCatalogPath(secret.path, {})}`, { area: "user", org, user, managed: false }));
  }
  probes.push(listProbe(plan, root, { kind: "list", area: "user", org, user }));
  return probes;
}
