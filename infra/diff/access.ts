/**
 * Access changes between two revisions, from `verify` run on each plan: which principal gains or loses which
 * verbs on which scope, and whether anyone gains access across an org, bot, user or tenant boundary.
 */
import type { Layout } from "../core/paths";
import type { VerifyReport, Violation } from "../verify/verify";

export interface AccessChange {
  principal: string;
  scope: string;
  gains: string[];
  loses: string[];
  /** The principal exists only at head (`new`) or only at base (`gone`). */
  presence?: "new" | "gone";
}

export interface CrossScopeGrant {
  kind: string;
  /** Severity that verify gives it: a warning for a claim that only a misconfigured identity provider sends. */
  severity: "error" | "warning";
  principal: string;
  operation: string;
  path: string;
}

export interface AccessDiff {
  changes: AccessChange[];
  /** Cross-scope accesses that head allows and base did not. */
  gainedCrossScope: CrossScopeGrant[];
  /** Cross-scope accesses that base allowed and head no longer does. */
  lostCrossScope: CrossScopeGrant[];
  /** Cross-scope accesses present at both revisions, counted. */
  unchangedCrossScope: number;
}

/** Violation kinds that mean access across a tenant, org, bot or user boundary. */
export const CROSS_SCOPE_KINDS = ["cross-tenant access", "cross-org access", "cross-bot access", "cross-user access"];

/**
 * Returns the path without the KV mount and root prefix, so that moving the mount or the prefix does not turn
 * every existing grant into a new one.
 */
function relativePath(path: string, layout: Layout | undefined): string {
  if (layout === undefined || !path.startsWith(`${layout.mount}/`)) return path;
  const [api, ...rest] = path.slice(layout.mount.length + 1).split("/");
  const inner = rest.join("/");
  const relative = inner === layout.prefix || inner.startsWith(`${layout.prefix}/`) ? inner.slice(layout.prefix.length) : `/${inner}`;
  return `<mount>/${api}/<prefix>${relative}`;
}

function crossScope(violations: Violation[], layout: Layout | undefined): Map<string, CrossScopeGrant> {
  const grants = new Map<string, CrossScopeGrant>();
  for (const violation of violations) {
    if (!CROSS_SCOPE_KINDS.includes(violation.kind)) continue;
    const grant: CrossScopeGrant = {
      kind: violation.kind,
      severity: violation.severity,
      principal: violation.principal ?? "?",
      operation: violation.operation ?? "?",
      path: violation.path ?? "?",
    };
    // Org, bot and user ids are left out of the key: verify picks its probe orgs from the declared ones, so
    // the same finding can name another org after an unrelated org was added or removed.
    const shape = relativePath(grant.path, layout).replace(/\/orgs\/[^/]+/, "/orgs/<org>").replace(/\/(bots|users)\/[^/]+/, "/$1/<id>");
    grants.set(`${grant.kind}|${grant.principal}|${grant.operation}|${shape}`, grant);
  }
  return grants;
}

/** Compares two verify reports; `base` is undefined when the stack did not exist at the base revision. */
export function diffAccess(
  base: { report: VerifyReport; layout: Layout } | undefined,
  head: { report: VerifyReport; layout: Layout },
): AccessDiff {
  const baseMatrix = base?.report.matrix ?? {};
  const principals = [...new Set([...(base?.report.principals ?? []), ...head.report.principals])];
  const changes: AccessChange[] = [];
  for (const principal of principals) {
    // Synthetic orgs exist only while fewer than two orgs are declared; their coming and going is not an
    // access change of anybody real.
    if (principal.includes("verify-org-")) continue;
    const before = baseMatrix[principal];
    const after = head.report.matrix[principal];
    let presence: AccessChange["presence"];
    if (before === undefined) presence = "new";
    else if (after === undefined) presence = "gone";
    const scopes = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
    for (const scope of scopes) {
      const beforeVerbs = (before as Record<string, string[]> | undefined)?.[scope] ?? [];
      const afterVerbs = (after as Record<string, string[]> | undefined)?.[scope] ?? [];
      const gains = afterVerbs.filter((verb) => !beforeVerbs.includes(verb));
      const loses = beforeVerbs.filter((verb) => !afterVerbs.includes(verb));
      if (gains.length > 0 || loses.length > 0) changes.push({ principal, scope, gains, loses, presence });
    }
  }
  const baseCross = crossScope(base?.report.violations ?? [], base?.layout);
  const headCross = crossScope(head.report.violations, head.layout);
  return {
    changes,
    gainedCrossScope: [...headCross].filter(([key]) => !baseCross.has(key)).map(([, grant]) => grant),
    lostCrossScope: [...baseCross].filter(([key]) => !headCross.has(key)).map(([, grant]) => grant),
    unchangedCrossScope: [...headCross.keys()].filter((key) => baseCross.has(key)).length,
  };
}

/** Words for one access change, for example `bot acme/support gains read on own bot`. */
export function describeAccessChange(change: AccessChange): string {
  let subject = change.principal;
  if (change.presence === "new") subject += " (new)";
  if (change.presence === "gone") subject += " (removed)";
  const parts: string[] = [];
  if (change.gains.length > 0) parts.push(`gains ${change.gains.join(", ")}`);
  if (change.loses.length > 0) parts.push(`loses ${change.loses.join(", ")}`);
  return `${subject} ${parts.join(" and ")} on ${change.scope}`;
}

/** Describes cross-scope access: one line when nobody gains it, else one line per new grant. */
export function describeCrossScope(access: AccessDiff): string[] {
  if (access.gainedCrossScope.length === 0) {
    const alreadyPresent =
      access.unchangedCrossScope > 0 ? ` (${access.unchangedCrossScope} cross-scope finding(s) of verify were already present at base)` : "";
    return [`nobody gains cross-org, cross-tenant, cross-bot or cross-user access${alreadyPresent}`];
  }
  return access.gainedCrossScope.map(
    (grant) => `${grant.principal} gains ${grant.kind}: may ${grant.operation} ${grant.path}${grant.severity === "warning" ? " (verify warning)" : ""}`,
  );
}
