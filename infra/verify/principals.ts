/**
 * Synthetic principals for `verify`: one of every kind in the access model, with the policies and the identity
 * (entity, aliases, groups) that Vault would give the real principal after login.
 */
import { defaultPolicy, type Identity, parsePolicy, type Policy } from "../acl";
import type { Plan } from "../core/plan";
import { bindAccessors } from "../core/paths";
import { METADATA, type Principal, policyName } from "../core/policies";

export type PrincipalKind = "app" | "orgAdmin" | "user" | "bot" | "deployer" | "operator" | "defaultOnly" | "hostileUser";

export interface SyntheticPrincipal {
  /** Label in the matrix, for example `bot acme/support`. */
  label: string;
  kind: PrincipalKind;
  org?: string;
  bot?: string;
  user?: string;
  /** Policy names attached through the token, the entity or its groups. */
  policies: string[];
  identity?: Identity;
  /** Identity value under test for hostile principals, for example an org claim containing `+`. */
  hostileValue?: string;
}

/** Returns fake accessors: Vault creates them at mount time, so any unique string can replace them offline. */
export function syntheticAccessors(plan: Plan): Record<string, string> {
  return Object.fromEntries(plan.authBackends.map((backend) => [backend.path, `auth_${backend.type}_${backend.path.replace(/\W/g, "_")}_verify`]));
}

/** Parses every plan policy with synthetic accessors bound, plus Vault's built-in `default`. */
export function parsePlanPolicies(plan: Plan, accessors: Record<string, string>): Map<string, Policy> {
  const policies = new Map<string, Policy>();
  for (const planned of plan.policies) {
    policies.set(planned.name, parsePolicy(bindAccessors(planned.hcl, accessors), planned.name, `policy ${planned.name}`));
  }
  policies.set("default", defaultPolicy());
  return policies;
}

/** Orgs that verify probes: the declared ones, or two synthetic orgs with two bots each when none are declared. */
export function probeOrgs(plan: Plan): Array<{ id: string; bots: string[]; declared: boolean }> {
  const declared = plan.orgs.map((org) => ({ id: org.id as string, bots: org.bots as string[], declared: true }));
  const taken = new Set(declared.map((org) => org.id));
  const freeId = (base: string): string => {
    let id = base;
    for (let suffix = 2; taken.has(id); suffix += 1) id = `${base}-${suffix}`;
    taken.add(id);
    return id;
  };
  const synthetic = [
    { id: freeId("verify-org-a"), bots: ["verify-bot-a1", "verify-bot-a2"], declared: false },
    { id: freeId("verify-org-b"), bots: ["verify-bot-b1"], declared: false },
  ];
  // Two orgs are needed to see cross-org access and two bots in one org to see cross-bot access.
  const orgs = [...declared];
  for (const extra of synthetic) {
    if (orgs.length >= 2 && orgs.some((org) => org.bots.length >= 2)) break;
    orgs.push(extra);
  }
  return orgs;
}

/**
 * Builds a user's identity the way Vault's OIDC login would: the token carries the org and user claims, and
 * the role's claim mappings copy them into alias metadata. A broken mapping therefore shows up in verify.
 */
function userIdentity(plan: Plan, accessors: Record<string, string>, org: string | undefined, user: string, groups: string[]): Identity {
  const oidc = plan.authBackends.find((backend) => backend.type === "oidc")!;
  const role = plan.roles.find((candidate) => candidate.type === "oidc")!.oidc!;
  const claims: Record<string, string> = { [role.userClaim]: user };
  if (org !== undefined) claims[role.orgClaim] = org;
  const metadata: Record<string, string> = {};
  for (const [claim, key] of Object.entries(role.claimMappings)) {
    if (claims[claim] !== undefined) metadata[key] = claims[claim]!;
  }
  return {
    entity: {
      id: `entity-user-${org ?? "none"}-${user}`,
      name: `user-${user}`,
      metadata: {},
      aliases: [
        { mount_accessor: accessors[oidc.path]!, id: `alias-${user}`, name: claims[role.userClaim]!, metadata, custom_metadata: {} },
      ],
    },
    groups: groups.map((name) => ({ id: `group-${name}`, name, metadata: {}, namespace_id: "root" })),
  };
}

/** Builds the principals of one verify run. */
export function syntheticPrincipals(plan: Plan, accessors: Record<string, string>): SyntheticPrincipal[] {
  const layout = plan.layout;
  const name = (principal: Principal): string => policyName(layout, principal);
  const approle = plan.authBackends.find((backend) => backend.type === "approle")!;
  const orgAdminGroup = plan.identity.groups[0];
  const principals: SyntheticPrincipal[] = [
    { label: "app", kind: "app", policies: ["default", ...plan.roles.find((role) => role.principal === "app")!.policies] },
    { label: "deployer", kind: "deployer", policies: ["default", name("deployer")] },
    { label: "operator", kind: "operator", policies: ["default", name("operator")] },
    { label: "default policy only", kind: "defaultOnly", policies: ["default"] },
  ];
  const userRole = plan.roles.find((role) => role.type === "oidc")!;
  const orgs = probeOrgs(plan);
  const entities = new Map(plan.identity.entities.map((entity) => [`${entity.metadata[METADATA.org]}/${entity.metadata[METADATA.bot]}`, entity]));
  const rolesByName = new Map(plan.roles.map((role) => [role.name, role]));
  const botPolicy = name("bot");
  orgs.forEach((org, index) => {
    // Synthetic user ids repeat in every org, so a policy that ignores the org reaches another org's user, and
    // the names do not depend on the order of the declared orgs.
    const adminUser = "verify-admin";
    // Without an org-admin group (no groups claim) no user can be an org admin.
    if (orgAdminGroup !== undefined) {
      principals.push({
        label: `org admin ${org.id}`,
        kind: "orgAdmin",
        org: org.id,
        user: adminUser,
        policies: ["default", ...userRole.policies, ...orgAdminGroup.policies],
        identity: userIdentity(plan, accessors, org.id, adminUser, [orgAdminGroup.name]),
      });
    }
    for (const user of ["verify-user-1", "verify-user-2"]) {
      principals.push({
        label: `user ${org.id}/${user}`,
        kind: "user",
        org: org.id,
        user,
        policies: ["default", ...userRole.policies],
        identity: userIdentity(plan, accessors, org.id, user, []),
      });
    }
    for (const bot of org.bots) {
      const entity = entities.get(`${org.id}/${bot}`);
      const role = entity === undefined ? undefined : rolesByName.get(entity.name);
      const metadata = entity?.metadata ?? { [METADATA.org]: org.id, [METADATA.bot]: bot };
      principals.push({
        label: `bot ${org.id}/${bot}`,
        kind: "bot",
        org: org.id,
        bot,
        policies: ["default", ...(role?.policies ?? [botPolicy])],
        identity: {
          entity: {
            id: `entity-bot-${org.id}-${bot}`,
            name: entity?.name ?? `bot-${org.id}-${bot}`,
            metadata,
            aliases: [
              {
                mount_accessor: accessors[approle.path]!,
                id: `alias-bot-${org.id}-${bot}`,
                name: entity?.alias.name ?? `bot-${org.id}-${bot}`,
                metadata: {},
                custom_metadata: {},
              },
            ],
          },
          groups: [],
        },
      });
    }
  });
  // Claims an identity provider could send. Vault drops a rule whose rendered value contains `*` or `+`, and
  // inserts `/` as it is (unless the server sets deny_slash_in_templated_paths), which shifts the path.
  const firstOrg = orgs[0]!.id;
  const neighbour = principals.find((principal) => principal.kind === "user" && principal.org === firstOrg && principal.user?.endsWith("-2"));
  const hostile: Array<{ org?: string; user: string; label: string }> = [
    { org: "*", user: "verify-hostile", label: 'user with org claim "*"' },
    { org: "+", user: "verify-hostile", label: 'user with org claim "+"' },
    { org: "", user: "verify-hostile", label: "user with an empty org claim" },
    { org: firstOrg, user: "*", label: 'user with user claim "*"' },
    { org: firstOrg, user: `${neighbour?.user ?? "verify-user"}/oauth`, label: `user with user claim "${neighbour?.user ?? "verify-user"}/oauth"` },
    { user: "verify-no-org", label: "user without org claim" },
  ];
  for (const entry of hostile) {
    principals.push({
      label: entry.label,
      kind: "hostileUser",
      org: entry.org,
      user: entry.user,
      hostileValue: entry.user.includes("/") ? entry.user : entry.org,
      policies: ["default", ...userRole.policies],
      identity: userIdentity(plan, accessors, entry.org, entry.user, []),
    });
  }
  return principals;
}
