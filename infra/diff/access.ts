/**
 * Access changes between two revisions, from `verify` run on each plan: which principal gains or loses which
 * verbs on which scope, and whether anyone gains access across an org, bot, user or tenant boundary.
 */
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

function crossScope(violations: Violation[]): Map<string, CrossScopeGrant> {
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
    grants.set(`${grant.kind}|${grant.principal}|${grant.operation}|${grant.path}`, grant);
  }
  return grants;
}

/** Compares two verify reports; `base` is undefined when the stack did not exist at the base revision. */
export function diffAccess(base: VerifyReport | undefined, head: VerifyReport): AccessDiff {
  const baseMatrix = base?.matrix ?? {};
  const principals = [...new Set([...(base?.principals ?? []), ...head.principals])];
  const changes: AccessChange[] = [];
  for (const principal of principals) {
    const before = baseMatrix[principal];
    const after = head.matrix[principal];
    const presence = before === undefined ? "new" : after === undefined ? "gone" : undefined;
    const scopes = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])];
    for (const scope of scopes) {
      const beforeVerbs = (before as Record<string, string[]> | undefined)?.[scope] ?? [];
      const afterVerbs = (after as Record<string, string[]> | undefined)?.[scope] ?? [];
      const gains = afterVerbs.filter((verb) => !beforeVerbs.includes(verb));
      const loses = beforeVerbs.filter((verb) => !afterVerbs.includes(verb));
      if (gains.length > 0 || loses.length > 0) changes.push({ principal, scope, gains, loses, presence });
    }
  }
  const baseCross = crossScope(base?.violations ?? []);
  const headCross = crossScope(head.violations);
  return {
    changes,
    gainedCrossScope: [...headCross].filter(([key]) => !baseCross.has(key)).map(([, grant]) => grant),
    lostCrossScope: [...baseCross].filter(([key]) => !headCross.has(key)).map(([, grant]) => grant),
    unchangedCrossScope: [...headCross.keys()].filter((key) => baseCross.has(key)).length,
  };
}

/** Words for one access change, for example `bot acme/support gains read on own bot`. */
export function describeAccessChange(change: AccessChange): string {
  const who = change.presence === "new" ? `${change.principal} (new)` : change.presence === "gone" ? `${change.principal} (removed)` : change.principal;
  const parts: string[] = [];
  if (change.gains.length > 0) parts.push(`gains ${change.gains.join(", ")}`);
  if (change.loses.length > 0) parts.push(`loses ${change.loses.join(", ")}`);
  return `${who} ${parts.join(" and ")} on ${change.scope}`;
}

/** The one line on cross-scope access that every report carries. */
export function describeCrossScope(access: AccessDiff): string[] {
  if (access.gainedCrossScope.length === 0) {
    const kept =
      access.unchangedCrossScope > 0 ? ` (${access.unchangedCrossScope} cross-scope finding(s) of verify were already present at base)` : "";
    return [`nobody gains cross-org, cross-tenant, cross-bot or cross-user access${kept}`];
  }
  return access.gainedCrossScope.map(
    (grant) => `${grant.principal} gains ${grant.kind}: may ${grant.operation} ${grant.path}${grant.severity === "warning" ? " (verify warning)" : ""}`,
  );
}
