/**
 * The reviewer's view of one stack, built from the plan: the JSON form of `render`, and the input of the text
 * and Markdown forms. It names every secret path, key and config key, and never contains a value.
 */
import type { Catalog } from "../core/catalog";
import type { Plan } from "../core/plan";
import { scopeRoot } from "../core/paths";
import { configSetCommand, type ValueStatus } from "../core/settings";

export interface LayoutSecretKey {
  name: string;
  secret: boolean;
  status: ValueStatus;
  configKey: string;
  /** Command that sets a missing value, or encrypts a plain one. */
  fix?: string;
}

export interface LayoutSecret {
  mount: string;
  path: string;
  /** `legacy` marks a copy in the app's old flat layout. */
  scope: "system" | "tenant" | "legacy";
  /** `seeded` when this stack writes the secret, `not set` when the stack has no value for any key. */
  state: "seeded" | "not set";
  keys: LayoutSecretKey[];
}

export interface LayoutView {
  stack: string;
  tenant: Plan["tenant"];
  vault: Plan["provider"];
  protect: boolean;
  mounts: Array<{ path: string; type: string; options: Record<string, string>; config: Plan["mounts"][number]["kvConfig"] }>;
  secrets: LayoutSecret[];
  runtimeSecrets: Plan["runtimeSecrets"];
  policies: Array<{ name: string; principal: string; description: string; hcl: string }>;
  authBackends: Array<{ path: string; type: string; description: string; settings: Record<string, string> }>;
  roles: Array<{ backend: string; name: string; type: string; principal: string; policies: string[]; settings: Record<string, string> }>;
  identity: Plan["identity"];
  orgs: Plan["orgs"];
  summary: { seededSecrets: number; missingKeys: number; policies: number; roles: number };
}

function roleSettings(role: Plan["roles"][number]): Record<string, string> {
  const settings: Record<string, string> = {
    tokenTtl: `${role.tokenTtlSeconds}s`,
    tokenMaxTtl: `${role.tokenMaxTtlSeconds}s`,
  };
  if (role.approle !== undefined) {
    if (role.approle.roleId !== undefined) settings.roleId = role.approle.roleId;
    settings.secretIdTtl = `${role.approle.secretIdTtlSeconds}s`;
  }
  if (role.oidc !== undefined) {
    settings.userClaim = role.oidc.userClaim;
    settings.roleType = role.oidc.roleType;
    settings.groupsClaim = role.oidc.groupsClaim ?? "none (no org-admin group)";
    settings.claimMappings = Object.entries(role.oidc.claimMappings)
      .map(([claim, key]) => `${claim} -> ${key}`)
      .join(", ");
    settings.boundAudiences = role.oidc.boundAudiences.join(", ");
    settings.allowedRedirectUris = role.oidc.allowedRedirectUris.join(", ");
    settings.scopes = role.oidc.scopes.join(" ");
  }
  return settings;
}

/** Builds the layout view; catalog secrets of the system and tenant scopes that the stack leaves unset are listed too. */
export function describeLayout(plan: Plan, catalog: Catalog): LayoutView {
  const seededPaths = new Set(plan.secrets.map((secret) => secret.path));
  const secrets: LayoutSecret[] = plan.secrets.map((secret) => ({
    mount: secret.mount,
    path: secret.path,
    scope: secret.scope,
    state: "seeded",
    keys: secret.keys.map((key) => ({
      name: key.name,
      secret: key.secret,
      status: key.status,
      configKey: key.configKey,
      fix:
        key.status === "missing"
          ? configSetCommand(plan.stack, key.source.configKey, key.source.path, { secret: key.secret })
          : undefined,
    })),
  }));
  for (const scope of ["tenant", "system"] as const) {
    for (const secret of catalog.scopes[scope].secrets) {
      if (secret.parameters.length > 0 || (scope === "tenant" && secret.path === "config")) continue;
      const path = `${scopeRoot(plan.layout, { scope })}/${secret.path}`;
      if (seededPaths.has(path)) continue;
      const configKey = scope === "tenant" ? "infrastructure" : "system";
      const inner = (scope === "tenant" ? secret.path.slice("infrastructure/".length) : secret.path).split("/");
      secrets.push({
        mount: plan.layout.mount,
        path,
        scope,
        state: "not set",
        keys: secret.keys.map((key) => ({
          name: key.name,
          secret: key.secret,
          status: "missing",
          configKey: `${plan.project}:${[configKey, ...inner, key.name].join(".")}`,
          fix: configSetCommand(plan.stack, configKey, [...inner, key.name], { secret: key.secret }),
        })),
      });
    }
  }
  const authSettings = (backend: Plan["authBackends"][number]): Record<string, string> => {
    if (backend.oidc === undefined) return {};
    return {
      discoveryUrl: backend.oidc.discoveryUrl,
      clientId: backend.oidc.clientId,
      mode:
        backend.oidc.mode === "oidc"
          ? "oidc (browser login)"
          : "jwt (accepts Zitadel tokens; browser login needs gbo-vault:oidcClientSecret)",
      clientSecret: backend.oidc.clientSecret === "missing" ? "not set" : `set (${backend.oidc.clientSecret})`,
      defaultRole: backend.oidc.defaultRole,
    };
  };
  return {
    stack: plan.stack,
    tenant: plan.tenant,
    vault: plan.provider,
    protect: plan.protect,
    mounts: plan.mounts.map((mount) => ({ path: mount.path, type: mount.type, options: mount.options, config: mount.kvConfig })),
    secrets,
    runtimeSecrets: plan.runtimeSecrets,
    policies: plan.policies.map((policy) => ({
      name: policy.name,
      principal: policy.principal,
      description: policy.description,
      hcl: policy.hcl,
    })),
    authBackends: plan.authBackends.map((backend) => ({
      path: backend.path,
      type: backend.type,
      description: backend.description,
      settings: authSettings(backend),
    })),
    roles: plan.roles.map((role) => ({
      backend: role.backend,
      name: role.name,
      type: role.type,
      principal: role.principal,
      policies: role.policies,
      settings: roleSettings(role),
    })),
    identity: plan.identity,
    orgs: plan.orgs,
    summary: {
      seededSecrets: plan.secrets.length,
      missingKeys: secrets.reduce((count, secret) => count + secret.keys.filter((key) => key.status === "missing").length, 0),
      policies: plan.policies.length,
      roles: plan.roles.length,
    },
  };
}
