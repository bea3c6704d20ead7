/** Shared helpers of the verify tests: the shipped dev plan, policy mutations and generated stack texts. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { type PolicyModel, type PolicyRule, renderPolicy } from "../../infra/core/hcl";
import { type LoadedStack, loadStack } from "../../infra/core/load";
import type { Plan } from "../../infra/core/plan";
import type { Principal } from "../../infra/core/policies";
import { PROJECT_ROOT } from "../../infra/core/project";
import type { Violation, VerifyReport } from "../../infra/verify/verify";

export function stackText(stack: string): string {
  return readFileSync(path.join(PROJECT_ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8");
}

let devCache: LoadedStack | undefined;

/** Loads the shipped dev stack once per test file; callers must not change the returned plan. */
export function devStack(): LoadedStack {
  devCache ??= loadStack("dev");
  return devCache;
}

/**
 * Returns a copy of the dev plan in which `edit` changed the policy of `principal`. The HCL is rendered again
 * from the edited model, because verify parses `hcl`, not `model`.
 */
export function mutatePolicy(principal: Principal, edit: (rules: PolicyRule[]) => PolicyRule[]): Plan {
  const plan = structuredClone(devStack().plan);
  const policy = plan.policies.find((candidate) => candidate.principal === principal);
  if (policy === undefined) throw new Error(`the dev plan has no policy for principal ${principal}`);
  const model: PolicyModel = { ...policy.model, rules: edit(structuredClone(policy.model.rules)) };
  policy.model = model;
  policy.hcl = renderPolicy(model);
  return plan;
}

export function errors(report: VerifyReport): Violation[] {
  return report.violations.filter((violation) => violation.severity === "error");
}

/** Returns the distinct kinds of the report's errors, sorted. */
export function errorKinds(report: VerifyReport): string[] {
  return [...new Set(errors(report).map((violation) => violation.kind))].sort();
}

export interface OrgSpec {
  id: string;
  bots: string[];
}

/**
 * Returns the dev stack file's text with `tenant.id` and `orgs` replaced. Every other setting, the encrypted
 * values included, stays as shipped, so the generated stack differs from dev only in its ids.
 */
export function stackTextWith(options: { tenant?: unknown; orgs: unknown }): string {
  const document = parseDocument(stackText("dev"));
  if (options.tenant !== undefined) document.setIn(["config", "gbo-vault:tenant", "id"], options.tenant);
  document.setIn(["config", "gbo-vault:orgs"], options.orgs);
  return document.toString();
}

/** `count` orgs named `org-<i>`, each with `botsPerOrg` bots named `bot-<j>`. */
export function numberedOrgs(count: number, botsPerOrg: number): OrgSpec[] {
  return Array.from({ length: count }, (_, org) => ({
    id: `org-${org}`,
    bots: Array.from({ length: botsPerOrg }, (_, bot) => `bot-${bot}`),
  }));
}
