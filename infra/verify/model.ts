/**
 * The access model written as rules, independent of the policy text: for a principal and a probe, whether the
 * model allows the request and whether the principal needs it. `verify` compares the offline evaluator's decision
 * with these rules.
 */
import type { Operation } from "../acl";
import type { SyntheticPrincipal } from "./principals";
import type { Probe } from "./probes";

export interface Expectation {
  allowed: boolean;
  required: boolean;
}

const DENY: Expectation = { allowed: false, required: false };
const WRITE_OPERATIONS: ReadonlySet<Operation> = new Set(["create", "update", "patch", "delete"]);

function allow(required: boolean): Expectation {
  return { allowed: true, required };
}

function sameOrg(principal: SyntheticPrincipal, org: string | undefined): boolean {
  return principal.org !== undefined && org !== undefined && principal.org === org;
}

function appExpectation(probe: Probe): Expectation {
  const target = probe.target;
  if (target.kind === "control") return DENY;
  if (target.kind === "list") return target.area === "prefixRoot" ? DENY : allow(false);
  const { api } = target;
  const operation = probe.operation;
  switch (target.area) {
    case "system":
    case "tenant":
      return api === "data" && operation === "read" ? allow(true) : DENY;
    case "legacy": {
      if (api !== "data") return DENY;
      if (operation === "read") return allow(true);
      const write = operation === "create" || operation === "update";
      return write && target.appAccess === "read-write" ? allow(true) : DENY;
    }
    case "orgRoot":
    case "bot":
    case "user":
      if (api === "data") {
        return ["read", "create", "update", "patch"].includes(operation) ? allow(operation !== "patch") : DENY;
      }
      return api === "metadata" && operation === "read" ? allow(false) : DENY;
    case "otherTenant":
      return DENY;
  }
}

/** Returns the owner's access to its own secret tree: read and write, soft delete and undelete, but no destroy. */
function ownerExpectation(probe: Probe, required: boolean): Expectation {
  const target = probe.target;
  if (target.kind === "list") return allow(false);
  if (target.kind !== "kv") return DENY;
  switch (target.api) {
    case "data":
      return allow(required && (probe.operation === "read" || probe.operation === "create"));
    case "metadata":
      // Reading and listing metadata; deleting it destroys every version, which is left to operators.
      return probe.operation === "read" ? allow(false) : DENY;
    case "delete":
    case "undelete":
      return allow(false);
    default:
      return DENY;
  }
}

function orgAdminExpectation(principal: SyntheticPrincipal, probe: Probe): Expectation {
  const target = probe.target;
  if (target.kind === "control") return DENY;
  if (!sameOrg(principal, target.org)) return DENY;
  if (target.kind === "list") return target.area === "org" || target.area === "orgBots" || target.area === "orgUsers" || target.area === "bot" || target.area === "user" ? allow(false) : DENY;
  if (target.area === "orgRoot") return target.api === "metadata" && probe.operation === "read" ? allow(false) : DENY;
  if (target.area === "bot" || target.area === "user") return ownerExpectation(probe, target.area === "bot");
  return DENY;
}

function userExpectation(principal: SyntheticPrincipal, probe: Probe): Expectation {
  const target = probe.target;
  if (target.kind === "control") return DENY;
  if (!sameOrg(principal, target.org) || target.area !== "user" || target.user !== principal.user) return DENY;
  return ownerExpectation(probe, true);
}

function botExpectation(principal: SyntheticPrincipal, probe: Probe): Expectation {
  const target = probe.target;
  if (target.kind === "control") return DENY;
  if (!sameOrg(principal, target.org) || target.area !== "bot" || target.bot !== principal.bot) return DENY;
  if (target.kind === "list") return allow(false);
  if (target.api === "data" && probe.operation === "read") return allow(true);
  if (target.api === "metadata" && probe.operation === "read") return allow(false);
  return DENY;
}

function deployerExpectation(probe: Probe): Expectation {
  const target = probe.target;
  const operation = probe.operation;
  if (target.kind === "list") return DENY;
  if (target.kind === "kv") {
    if (!target.managed) return DENY;
    if (target.api === "data") return ["create", "update", "read"].includes(operation) ? allow(operation !== "read") : DENY;
    if (target.api === "metadata") return ["read", "delete"].includes(operation) ? allow(operation === "delete") : DENY;
    return DENY;
  }
  switch (target.area) {
    case "policy":
    case "mount":
    case "auth":
    case "approleRole":
    case "oidcRole":
      return allow(operation === "create" || operation === "update");
    case "deployerPolicy":
      return operation === "read" ? allow(true) : DENY;
    case "authMountTune":
    case "identityLookup":
      return allow(true);
    case "mountsRead":
      return allow(false);
    case "mountTune":
    case "authTune":
    case "kvConfig":
    case "oidcConfig":
    case "approleRoleId":
    case "identityWrite":
    case "identityRead":
    case "tokenCreate":
    case "authsRead":
      return allow(false);
    default:
      return DENY;
  }
}

function operatorExpectation(probe: Probe): Expectation {
  const target = probe.target;
  if (target.kind === "list") return allow(false);
  if (target.kind === "kv") {
    const readsNoValue = (target.api === "metadata" || target.api === "subkeys") && probe.operation === "read";
    return readsNoValue ? allow(false) : DENY;
  }
  const readOnly = ["policyList", "mountsRead", "authsRead", "identityRead"].includes(target.area);
  const policyRead = (target.area === "policy" || target.area === "deployerPolicy") && probe.operation === "read";
  return readOnly || policyRead ? allow(false) : DENY;
}

/** Returns the access model's expectation for `principal` making the request of `probe`. */
export function expectation(principal: SyntheticPrincipal, probe: Probe): Expectation {
  switch (principal.kind) {
    case "app":
      return appExpectation(probe);
    case "orgAdmin": {
      const asAdmin = orgAdminExpectation(principal, probe);
      const asUser = userExpectation(principal, probe);
      return { allowed: asAdmin.allowed || asUser.allowed, required: asAdmin.required || asUser.required };
    }
    case "user":
      return userExpectation(principal, probe);
    case "bot":
      return botExpectation(principal, probe);
    case "deployer":
      return deployerExpectation(probe);
    case "operator":
      return operatorExpectation(probe);
    case "defaultOnly":
    case "hostileUser":
      return DENY;
  }
}

export type ViolationKind =
  | "cross-org access"
  | "cross-bot access"
  | "cross-user access"
  | "cross-tenant access"
  | "control-plane write"
  | "identity writable"
  | "not in the access model"
  | "missing access"
  | "templated deny"
  | "rule without KV v2 segment"
  | "policy grants nothing"
  | "app contract"
  | "shared Vault"
  | "secure value";

/** Names the kind of an access the model does not allow. */
export function classifyOverGrant(principal: SyntheticPrincipal, probe: Probe): ViolationKind {
  const target = probe.target;
  if (target.kind === "control") {
    if (target.area === "identityWrite" || target.area === "oidcRole" || target.area === "approleRoleId") {
      return "identity writable";
    }
    return WRITE_OPERATIONS.has(probe.operation) || target.area === "approleSecretId" || target.area.startsWith("token")
      ? "control-plane write"
      : "not in the access model";
  }
  if (target.kind === "kv" && target.area === "otherTenant") return "cross-tenant access";
  if (principal.org !== undefined && target.org !== undefined && principal.org !== target.org) return "cross-org access";
  if (principal.kind === "bot" && target.area === "bot" && target.bot !== principal.bot) return "cross-bot access";
  const asUser = principal.kind === "user" || principal.kind === "hostileUser";
  if (asUser && (target.area === "user" || target.area === "orgUsers") && target.user !== principal.user) return "cross-user access";
  if (principal.kind === "hostileUser" && target.org !== undefined) return "cross-org access";
  return "not in the access model";
}
