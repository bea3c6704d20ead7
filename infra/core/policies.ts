/**
 * The policies of one tenant stack. Org, bot and user policies are templated on identity metadata, so their
 * number and text do not depend on how many orgs, bots or users exist.
 */
import type { Catalog } from "./catalog";
import type { PolicyModel, PolicyRule } from "./hcl";
import {
  controlPlane,
  kvApiPath,
  kvConfigPath,
  type Layout,
  legacyRoot,
  orgsRoot,
  scopeRoot,
  type Segment,
  template,
} from "./paths";

export type Principal = "app" | "orgAdmin" | "bot" | "user" | "operator" | "deployer";

/** Metadata keys that identity objects carry and policies read. */
export const METADATA = { org: "org", bot: "bot", user: "user" } as const;

export interface PolicyInputs {
  layout: Layout;
  catalog: Catalog;
  approlePath: string;
  oidcPath: string;
  /** Paths under the mount (without `data/`) that this stack writes as `vault.kv.SecretV2`. */
  managedSecretPaths: string[];
  /** Names of every policy the stack declares, so the deployer may write exactly those. */
  policyNames: string[];
}

export function policyName(layout: Layout, principal: Principal): string {
  const suffix: Record<Principal, string> = {
    app: "app",
    orgAdmin: "org-admin",
    bot: "bot",
    user: "user",
    operator: "operator",
    deployer: "deployer",
  };
  // Vault stores policy names in lower case, so the plan uses that form too.
  return `gbo-${layout.tenant}-${suffix[principal]}`.toLowerCase();
}

const ALL_PRINCIPALS: Principal[] = ["app", "orgAdmin", "bot", "user", "operator", "deployer"];

export function allPolicyNames(layout: Layout): string[] {
  return ALL_PRINCIPALS.map((principal) => policyName(layout, principal));
}

/** `<folder>/*` under one KV v2 API segment. */
function under(layout: Layout, api: "data" | "metadata" | "delete" | "undelete" | "destroy" | "subkeys", folder: string): string {
  return `${kvApiPath(layout, api, folder)}/*`;
}

function appPolicy(inputs: PolicyInputs): PolicyModel {
  const { layout, catalog } = inputs;
  const rules: PolicyRule[] = [
    {
      path: under(layout, "data", scopeRoot(layout, { scope: "system" })),
      capabilities: ["read"],
      comment: "System fallback values.",
    },
    {
      path: under(layout, "data", scopeRoot(layout, { scope: "tenant" })),
      capabilities: ["read"],
      comment: "This tenant's infrastructure and settings; no other tenant's.",
    },
    {
      path: under(layout, "data", orgsRoot(layout)),
      capabilities: ["create", "read", "update", "patch"],
      comment: "Org, bot and user secrets, which the app reads and writes on their behalf.",
    },
    {
      path: under(layout, "metadata", orgsRoot(layout)),
      capabilities: ["read", "list"],
    },
  ];
  for (const entry of catalog.appContract.paths) {
    const relative = entry.path.replace(/\{[a-z_]+\}/g, "+");
    const write = entry.access === "read-write";
    rules.push({
      path: kvApiPath(layout, "data", `${legacyRoot(layout)}/${relative}`),
      capabilities: write ? ["create", "read", "update"] : ["read"],
      comment: write
        ? "Old flat layout: the app reads this path and rewrites it at bootstrap."
        : "Old flat layout that the running app reads.",
    });
  }
  return {
    name: policyName(layout, "app"),
    description:
      "The General Bots app (AppRole): reads system and this tenant's paths, reads and writes org, bot and user paths.",
    rules: dedupe(rules),
  };
}

/** Merges rules on the same path into one, because the same path twice in one policy is ambiguous to readers. */
function dedupe(rules: PolicyRule[]): PolicyRule[] {
  const byPath = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const existing = byPath.get(rule.path);
    if (existing === undefined) {
      byPath.set(rule.path, { ...rule, capabilities: [...rule.capabilities] });
    } else {
      existing.capabilities = [...new Set([...existing.capabilities, ...rule.capabilities])];
    }
  }
  return [...byPath.values()];
}

function orgAdminPolicy(inputs: PolicyInputs): PolicyModel {
  const { layout, oidcPath } = inputs;
  const org: Segment = template.aliasMetadata(oidcPath, METADATA.org);
  const orgRoot = scopeRoot(layout, { scope: "org", org });
  const rules: PolicyRule[] = [
    { path: under(layout, "metadata", orgRoot), capabilities: ["read", "list"], comment: "Browse the org's tree." },
  ];
  for (const folder of ["bots", "users"]) {
    const root = `${orgRoot}/${folder}`;
    rules.push(
      {
        path: under(layout, "data", root),
        capabilities: ["create", "read", "update", "patch", "delete"],
        comment: `Manage the ${folder} of the admin's own org; the org comes from the OIDC alias metadata.`,
      },
      { path: under(layout, "metadata", root), capabilities: ["read", "list"] },
      { path: under(layout, "delete", root), capabilities: ["update"] },
      { path: under(layout, "undelete", root), capabilities: ["update"] },
    );
  }
  return {
    name: policyName(layout, "orgAdmin"),
    description: "Org admins (OIDC external group): manage their own org's bots and users, nothing else.",
    rules,
  };
}

function userPolicy(inputs: PolicyInputs): PolicyModel {
  const { layout, oidcPath } = inputs;
  const root = scopeRoot(layout, {
    scope: "user",
    org: template.aliasMetadata(oidcPath, METADATA.org),
    user: template.aliasMetadata(oidcPath, METADATA.user),
  });
  return {
    name: policyName(layout, "user"),
    description: "Users (OIDC): read and write their own secrets; org and user come from the OIDC alias metadata.",
    rules: [
      { path: under(layout, "data", root), capabilities: ["create", "read", "update", "patch", "delete"] },
      { path: under(layout, "metadata", root), capabilities: ["read", "list"] },
      { path: under(layout, "delete", root), capabilities: ["update"] },
      { path: under(layout, "undelete", root), capabilities: ["update"] },
    ],
  };
}

function botPolicy(inputs: PolicyInputs): PolicyModel {
  const { layout } = inputs;
  const root = scopeRoot(layout, {
    scope: "bot",
    org: template.entityMetadata(METADATA.org),
    bot: template.entityMetadata(METADATA.bot),
  });
  return {
    name: policyName(layout, "bot"),
    description: "Bots (AppRole): read their own secrets; org and bot come from the bot entity's metadata.",
    rules: [
      { path: under(layout, "data", root), capabilities: ["read"] },
      { path: under(layout, "metadata", root), capabilities: ["read", "list"] },
    ],
  };
}

function operatorPolicy(inputs: PolicyInputs): PolicyModel {
  const { layout } = inputs;
  const prefix = legacyRoot(layout);
  return {
    name: policyName(layout, "operator"),
    description:
      "Operators: a read-only view of the layout (metadata and key names, never values) and of the control plane.",
    rules: [
      { path: under(layout, "metadata", prefix), capabilities: ["read", "list"], comment: "Versions and custom metadata." },
      { path: under(layout, "subkeys", prefix), capabilities: ["read"], comment: "Key names without values." },
      { path: controlPlane.policies(), capabilities: ["list"] },
      { path: `${controlPlane.policies()}/*`, capabilities: ["read"] },
      { path: controlPlane.mounts(), capabilities: ["read"] },
      { path: controlPlane.auths(), capabilities: ["read"] },
      { path: `${controlPlane.identity("entity")}/id`, capabilities: ["list"] },
      { path: `${controlPlane.identity("entity")}/id/*`, capabilities: ["read"] },
      { path: `${controlPlane.identity("group")}/id`, capabilities: ["list"] },
      { path: `${controlPlane.identity("group")}/id/*`, capabilities: ["read"] },
    ],
  };
}

function deployerPolicy(inputs: PolicyInputs): PolicyModel {
  const { layout, approlePath, oidcPath } = inputs;
  const rules: PolicyRule[] = [
    { path: controlPlane.mount(layout.mount), capabilities: ["create", "read", "update", "delete"], comment: "The KV v2 mount." },
    { path: controlPlane.mountTune(layout.mount), capabilities: ["read", "update"] },
    { path: kvConfigPath(layout), capabilities: ["create", "read", "update"], comment: "KV v2 engine settings." },
    { path: controlPlane.mounts(), capabilities: ["read"] },
    { path: controlPlane.auths(), capabilities: ["read"], comment: "Auth mounts; enabling one needs sudo." },
  ];
  for (const mountPath of [approlePath, oidcPath]) {
    rules.push(
      { path: controlPlane.auth(mountPath), capabilities: ["create", "read", "update", "delete", "sudo"] },
      { path: controlPlane.authTune(mountPath), capabilities: ["read", "update", "sudo"] },
      // The Vault provider reads and writes an auth mount's tuning through sys/mounts/auth/<path>/tune.
      { path: controlPlane.mountTune(`auth/${mountPath}`), capabilities: ["read", "update"] },
    );
  }
  rules.push(
    {
      path: `${controlPlane.appRoleRoles(approlePath)}/+`,
      capabilities: ["create", "read", "update", "delete"],
      // A `bot-*` glob would also match the roles' secret-id paths, so one segment of any name is granted.
      comment: "AppRole roles, but not their secret ids.",
    },
    { path: `${controlPlane.appRoleRoles(approlePath)}/+/role-id`, capabilities: ["read", "update"] },
    { path: controlPlane.jwtConfig(oidcPath), capabilities: ["create", "read", "update"] },
    { path: controlPlane.jwtRole(oidcPath, "user"), capabilities: ["create", "read", "update", "delete"] },
  );
  const ownName = policyName(layout, "deployer");
  for (const name of [...inputs.policyNames].sort()) {
    // Writing its own policy would let the deployer grant itself anything, so that one it may only read;
    // a change to it needs an admin token.
    const capabilities: PolicyRule["capabilities"] = name === ownName ? ["read"] : ["create", "read", "update", "delete"];
    rules.push({ path: controlPlane.policy(name), capabilities });
  }
  for (const objectType of ["entity", "entity-alias", "group", "group-alias"] as const) {
    rules.push(
      { path: controlPlane.identity(objectType), capabilities: ["create", "update"] },
      { path: `${controlPlane.identity(objectType)}/id/*`, capabilities: ["read", "update", "delete"] },
    );
  }
  rules.push(
    { path: `${controlPlane.identity("entity")}/name/*`, capabilities: ["read"] },
    { path: `${controlPlane.identity("group")}/name/*`, capabilities: ["read"] },
    { path: controlPlane.identityLookupEntity(), capabilities: ["update"], comment: "The provider looks up an alias before creating it." },
    { path: controlPlane.tokenCreate(), capabilities: ["update"], comment: "The provider's short-lived child token." },
    { path: controlPlane.tokenLookupSelf(), capabilities: ["read"] },
  );
  for (const secret of [...inputs.managedSecretPaths].sort()) {
    rules.push(
      { path: kvApiPath(layout, "data", secret), capabilities: ["create", "read", "update"] },
      { path: kvApiPath(layout, "metadata", secret), capabilities: ["read", "delete"] },
    );
  }
  return {
    name: policyName(layout, "deployer"),
    description: "The deployer token that runs `pulumi up`: exactly what this program manages, nothing else.",
    rules,
  };
}

/** Builds every policy of the stack, in a fixed order. */
export function buildPolicies(inputs: PolicyInputs): Record<Principal, PolicyModel> {
  return {
    app: appPolicy(inputs),
    orgAdmin: orgAdminPolicy(inputs),
    bot: botPolicy(inputs),
    user: userPolicy(inputs),
    operator: operatorPolicy(inputs),
    deployer: deployerPolicy(inputs),
  };
}
