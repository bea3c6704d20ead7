/**
 * `verify`: evaluates a stack's own policies offline for synthetic principals of every kind, over every path
 * kind of the layout and the control plane, and reports every difference from the access model, plus static
 * checks of the policy text and the app contract.
 */
import { type Acl, compileAcl, evaluate, type Policy } from "../acl";
import { CAPABILITY_BITS } from "../acl/policy";
import type { Catalog } from "../core/catalog";
import type { Plan } from "../core/plan";
import { classifyOverGrant, expectation, type ViolationKind } from "./model";
import { parsePlanPolicies, probeOrgs, type SyntheticPrincipal, syntheticAccessors, syntheticPrincipals } from "./principals";
import { botProbes, globalProbes, orgProbes, type Probe, userProbes } from "./probes";

export interface Violation {
  kind: ViolationKind;
  severity: "error" | "warning";
  principal?: string;
  policy?: string;
  path?: string;
  operation?: string;
  message: string;
}

/** Matrix columns: scopes as seen from the principal. */
export const SCOPES = [
  "system",
  "tenant",
  "other tenant",
  "legacy flat",
  "own bot",
  "own user",
  "own org: bots",
  "own org: users",
  "own org: root",
  "other orgs",
  "all orgs",
  "control plane",
] as const;
export type ScopeColumn = (typeof SCOPES)[number];

export interface VerifyReport {
  stack: string;
  principals: string[];
  matrix: Record<string, Partial<Record<ScopeColumn, string[]>>>;
  violations: Violation[];
  evaluations: number;
  probes: number;
}

function scopeOf(principal: SyntheticPrincipal, probe: Probe): ScopeColumn {
  const target = probe.target;
  if (target.kind === "control") return "control plane";
  if (target.kind === "kv") {
    if (target.area === "system") return "system";
    if (target.area === "tenant") return "tenant";
    if (target.area === "otherTenant") return "other tenant";
    if (target.area === "legacy") return "legacy flat";
  }
  if (target.kind === "list" && target.area === "prefixRoot") return "legacy flat";
  if (principal.org === undefined || (target.kind === "list" && target.area === "orgs")) return "all orgs";
  if (target.org !== principal.org) return "other orgs";
  if (target.area === "bot") return principal.bot !== undefined && principal.bot === target.bot ? "own bot" : "own org: bots";
  if (target.area === "user") return principal.user === target.user ? "own user" : "own org: users";
  return "own org: root";
}

/** Short verb of an allowed probe for the matrix. */
function verbOf(probe: Probe): string {
  const target = probe.target;
  if (target.kind === "list") return "list";
  if (target.kind === "control") return probe.operation === "read" || probe.operation === "list" ? probe.operation : "write";
  switch (target.api) {
    case "data":
      return probe.operation === "read" ? "read" : probe.operation === "delete" ? "delete" : "write";
    case "metadata":
      return probe.operation === "read" ? "metadata" : "delete-all";
    case "subkeys":
      return "subkeys";
    default:
      return target.api;
  }
}

const VERB_ORDER = ["read", "write", "delete", "list", "metadata", "subkeys", "undelete", "destroy", "delete-all"];

/** Selects the probes one principal is checked on, so the work grows linearly with declared orgs and bots. */
function probesFor(principal: SyntheticPrincipal, context: ProbeContext): Probe[] {
  const orgs = context.orgs;
  const orgIndex = principal.org === undefined ? -1 : orgs.findIndex((org) => org.id === principal.org);
  // Principals of the first two orgs, and every principal without an org, get every global probe. Principals
  // of later orgs differ from those only in the validated ids their templates render, which cannot reach a
  // path outside their own org's tree, so one probe per kind of global request is enough for them.
  const selected: Probe[] = [...(orgIndex >= 2 ? context.globalSample : context.global)];
  const around = orgIndex < 0 ? [0, 1] : [orgIndex, (orgIndex + 1) % orgs.length];
  for (const index of new Set(around)) {
    const org = orgs[index];
    if (org === undefined) continue;
    selected.push(...context.orgProbes(org.id));
    const bots = org.bots.slice(0, 1);
    if (index === orgIndex && principal.bot !== undefined) {
      const own = org.bots.indexOf(principal.bot);
      bots.splice(0, bots.length, principal.bot, org.bots[(own + 1) % org.bots.length]!);
    } else if (index === orgIndex) {
      bots.push(...org.bots.slice(1, 2));
    }
    for (const bot of new Set(bots)) selected.push(...context.botProbes(org.id, bot));
    const users = context.usersOf(index);
    for (const user of users) selected.push(...context.userProbes(org.id, user));
    // The principal's own bot or user id in another org: a policy that ignores the org would reach it.
    if (index !== orgIndex && orgIndex >= 0) {
      if (principal.bot !== undefined) selected.push(...context.botProbes(org.id, principal.bot));
      if (principal.user !== undefined) selected.push(...context.userProbes(org.id, principal.user));
    }
  }
  return selected;
}

function sampleProbes(probes: readonly Probe[]): Probe[] {
  const seen = new Set<string>();
  return probes.filter((probe) => {
    const target = probe.target;
    const key = [target.kind, target.area, target.kind === "kv" ? target.api : "", probe.operation].join("|");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface ProbeContext {
  orgs: ReturnType<typeof probeOrgs>;
  global: Probe[];
  /** One global probe per kind of request (target kind, area, API and operation). */
  globalSample: Probe[];
  orgProbes: (org: string) => Probe[];
  botProbes: (org: string, bot: string) => Probe[];
  userProbes: (org: string, user: string) => Probe[];
  usersOf: (orgIndex: number) => string[];
}

function memo<T>(build: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = build(key);
      cache.set(key, value);
    }
    return value;
  };
}

/** Static checks of the policy text: templated denies, KV rules without the v2 segment, policies that grant nothing. */
function lintPolicies(plan: Plan, policies: Map<string, Policy>): Violation[] {
  const violations: Violation[] = [];
  const mounts = plan.mounts.map((mount) => mount.path);
  for (const planned of plan.policies) {
    const policy = policies.get(planned.name)!;
    let grants = false;
    for (const rule of policy.rules) {
      const bits = rule.permissions.bits;
      const deny = (bits & CAPABILITY_BITS.deny) !== 0;
      if (!deny && bits !== 0) grants = true;
      if (deny && rule.path.includes("{{")) {
        violations.push({
          kind: "templated deny",
          severity: "error",
          policy: planned.name,
          path: rule.path,
          message: `policy ${planned.name} denies a templated path; Vault drops the rule when the template cannot be filled, so the deny fails open`,
        });
      }
      for (const mount of mounts) {
        if (!rule.path.startsWith(`${mount}/`)) continue;
        const segment = rule.path.slice(mount.length + 1).split("/")[0];
        if (!["data", "metadata", "delete", "undelete", "destroy", "subkeys", "config"].includes(segment ?? "")) {
          violations.push({
            kind: "rule without KV v2 segment",
            severity: "error",
            policy: planned.name,
            path: rule.path,
            message: `policy ${planned.name} has rule "${rule.path}", which matches nothing on the KV v2 mount ${mount}; write ${mount}/data/... or ${mount}/metadata/...`,
          });
        }
      }
    }
    if (!grants) {
      violations.push({ kind: "policy grants nothing", severity: "error", policy: planned.name, message: `policy ${planned.name} has no rule that grants a capability` });
    }
  }
  return violations;
}

/** Checks that the app can read every path of the app contract and that each is seeded or left to the operator. */
function checkAppContract(plan: Plan, catalog: Catalog, appAcl: Acl): Violation[] {
  const violations: Violation[] = [];
  if (catalog.appContract.mount !== plan.layout.mount) {
    violations.push({
      kind: "app contract",
      severity: "error",
      message:
        `the running app reads the KV mount "${catalog.appContract.mount}", but this stack uses "${plan.layout.mount}"; ` +
        `the app would silently fall back to localhost defaults; set gbo-vault:kvMount to ${catalog.appContract.mount}`,
    });
  }
  const byPath = new Map(plan.secrets.map((secret) => [secret.path, secret]));
  for (const entry of catalog.appContract.paths) {
    const relative = entry.path.replace(/\{bot\}/g, "verify-bot").replace(/\{bot_name\}/g, "verify-bot-name");
    const secretPath = `${plan.layout.prefix}/${relative}`;
    const dataPath = `${plan.layout.mount}/data/${secretPath}`;
    const operations = entry.access === "read-write" ? (["read", "create", "update"] as const) : (["read"] as const);
    for (const operation of operations) {
      if (!evaluate(appAcl, { path: dataPath, operation }).allowed) {
        violations.push({
          kind: "app contract",
          severity: "error",
          principal: "app",
          path: dataPath,
          operation,
          message: `the app cannot ${operation} ${dataPath}; the running app would silently fall back to localhost defaults`,
        });
      }
    }
    // Paths the operator writes, or the app writes itself at bootstrap, need no seeding here.
    if (entry.owner !== undefined || entry.path.includes("{")) continue;
    const seeded = byPath.get(secretPath);
    const required = entry.required ?? [];
    if (seeded === undefined) {
      const planned = plan.legacyPaths.find((candidate) => candidate.path === secretPath);
      violations.push(
        planned === undefined
          ? {
              kind: "app contract",
              severity: required.length > 0 ? "error" : "warning",
              path: secretPath,
              message:
                `the app reads ${secretPath} (keys ${entry.keys.join(", ")}), but this stack does not publish it and the app contract does not leave it to the operator; ` +
                (plan.legacyLayout
                  ? `map its keys in config/legacy.yaml, or mark it owner: operator in config/app-contract.yaml`
                  : "turn on gbo-vault:legacyLayout"),
            }
          : {
              kind: "app contract",
              severity: "warning",
              path: secretPath,
              message:
                `the app reads ${secretPath}, which this stack publishes once every key of it has a value, so that ` +
                `the copy never replaces the live secret with fewer keys; set ${planned.missingConfigKeys.join(", ")}`,
            },
      );
      continue;
    }
    for (const key of required) {
      const planned = seeded.keys.find((candidate) => candidate.name === key);
      if (planned === undefined || planned.status === "missing") {
        violations.push({
          kind: "app contract",
          severity: "warning",
          path: secretPath,
          message: `the app requires key ${key} of ${secretPath}, which this stack does not set yet${planned ? ` (from ${planned.configKey})` : ""}`,
        });
      }
    }
  }
  return violations;
}

export interface VerifyOptions {
  /** Treat warnings as errors. */
  strict?: boolean;
}

/** Runs every check for one stack. */
export function verifyPlan(plan: Plan, catalog: Catalog): VerifyReport {
  const accessors = syntheticAccessors(plan);
  const policies = parsePlanPolicies(plan, accessors);
  const principals = syntheticPrincipals(plan, accessors);
  const orgs = probeOrgs(plan);
  const global = globalProbes(plan, catalog);
  const usersByOrg = orgs.map((org) =>
    principals.filter((principal) => principal.kind === "user" && principal.org === org.id).map((principal) => principal.user!),
  );
  const context: ProbeContext = {
    orgs,
    global,
    globalSample: sampleProbes(global),
    orgProbes: memo((org) => orgProbes(plan, org)),
    botProbes: (() => {
      const cached = memo((key) => {
        const [org, bot] = JSON.parse(key) as [string, string];
        return botProbes(plan, catalog, org, bot);
      });
      return (org: string, bot: string) => cached(JSON.stringify([org, bot]));
    })(),
    userProbes: (() => {
      const cached = memo((key) => {
        const [org, user] = JSON.parse(key) as [string, string];
        return userProbes(plan, catalog, org, user);
      });
      return (org: string, user: string) => cached(JSON.stringify([org, user]));
    })(),
    usersOf: (index) => usersByOrg[index] ?? [],
  };

  const violations: Violation[] = lintPolicies(plan, policies);
  const matrix: VerifyReport["matrix"] = {};
  const granting = new Set<string>();
  let evaluations = 0;
  // Probe objects are built once per path and shared between principals, so the set counts distinct probes.
  const distinctProbes = new Set<Probe>();
  let appAcl: Acl | undefined;

  for (const principal of principals) {
    const acl = compileAcl(
      principal.policies.map((name) => policies.get(name)!).filter((policy) => policy !== undefined),
      principal.identity,
      { denySlashInTemplatedPaths: plan.provider.deniesSlashInTemplates },
    );
    if (principal.kind === "app") appAcl = acl;
    const row: Partial<Record<ScopeColumn, Set<string>>> = {};
    for (const probe of probesFor(principal, context)) {
      evaluations += 1;
      distinctProbes.add(probe);
      const decision = evaluate(acl, { path: probe.path, operation: probe.operation });
      const expected = expectation(principal, probe);
      if (decision.allowed) {
        for (const name of decision.grantingPolicies) granting.add(name);
        const scope = scopeOf(principal, probe);
        (row[scope] ??= new Set()).add(verbOf(probe));
        if (!expected.allowed) {
          const slashClaim = principal.kind === "hostileUser" && (principal.hostileValue ?? "").includes("/");
          violations.push({
            kind: classifyOverGrant(principal, probe),
            severity: slashClaim ? "warning" : "error",
            principal: principal.label,
            path: probe.path,
            operation: probe.operation,
            message: slashClaim
              ? `${principal.label} may ${probe.operation} ${probe.path}: Vault inserts '/' from a claim into templated paths unless the server sets deny_slash_in_templated_paths = true; set it and declare it with gbo-vault:vaultDeniesSlashInTemplates, or make sure the identity provider's org and user claims cannot contain '/'`
              : `${principal.label} may ${probe.operation} ${probe.path} (rule ${decision.rule ?? "?"} of ${decision.grantingPolicies.join(", ") || "?"}), which the access model does not allow`,
          });
        }
      } else if (expected.required) {
        violations.push({
          kind: "missing access",
          severity: "error",
          principal: principal.label,
          path: probe.path,
          operation: probe.operation,
          message: `${principal.label} cannot ${probe.operation} ${probe.path}, which it needs`,
        });
      }
    }
    matrix[principal.label] = Object.fromEntries(
      Object.entries(row).map(([scope, verbs]) => [scope, VERB_ORDER.filter((verb) => verbs!.has(verb))]),
    );
  }

  for (const planned of plan.policies) {
    // Vault lower-cases policy names, and so does the evaluator's list of granting policies.
    if (!granting.has(planned.name.toLowerCase())) {
      violations.push({
        kind: "policy grants nothing",
        severity: "error",
        policy: planned.name,
        message: `policy ${planned.name} granted no probed request to any principal; check its paths and templates`,
      });
    }
  }
  violations.push(...checkAppContract(plan, catalog, appAcl!));

  return {
    stack: plan.stack,
    principals: principals.map((principal) => principal.label),
    matrix,
    violations: dedupeViolations(violations),
    evaluations,
    probes: distinctProbes.size,
  };
}

function dedupeViolations(violations: Violation[]): Violation[] {
  const seen = new Set<string>();
  return violations.filter((violation) => {
    const key = `${violation.kind}|${violation.severity}|${violation.principal}|${violation.policy}|${violation.path}|${violation.operation}|${violation.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** True when the report has an error, or a warning under `strict`. */
export function reportFails(report: VerifyReport, options: VerifyOptions = {}): boolean {
  return report.violations.some((violation) => violation.severity === "error" || options.strict === true);
}
