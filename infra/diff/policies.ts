/** Rule-level changes of the plan's ACL policies, from each policy's typed model rather than its HCL text. */
import { CAPABILITIES, type PolicyRule } from "../core/hcl";
import type { Plan } from "../core/plan";
import { canonicalJson } from "./resources";

export interface RuleChange {
  path: string;
  action: "add" | "remove" | "change";
  before?: string[];
  after?: string[];
  /** True when parameter rules or wrapping TTLs differ, beside or instead of the capabilities. */
  parametersChanged?: boolean;
}

export interface PolicyChange {
  name: string;
  action: "add" | "remove" | "change";
  rules: RuleChange[];
}

function orderedCapabilities(rule: PolicyRule): string[] {
  return CAPABILITIES.filter((capability) => rule.capabilities.includes(capability));
}

/** The parts of a rule other than path and capabilities; comments are left out because Vault ignores them. */
function ruleConstraints(rule: PolicyRule): string {
  return canonicalJson({
    requiredParameters: rule.requiredParameters ? [...rule.requiredParameters].sort() : undefined,
    allowedParameters: rule.allowedParameters,
    deniedParameters: rule.deniedParameters,
    minWrappingTtl: rule.minWrappingTtl,
    maxWrappingTtl: rule.maxWrappingTtl,
  });
}

function compareRules(base: PolicyRule[], head: PolicyRule[]): RuleChange[] {
  const baseByPath = new Map(base.map((rule) => [rule.path, rule]));
  const headByPath = new Map(head.map((rule) => [rule.path, rule]));
  const paths = [...new Set([...baseByPath.keys(), ...headByPath.keys()])].sort();
  const changes: RuleChange[] = [];
  for (const path of paths) {
    const before = baseByPath.get(path);
    const after = headByPath.get(path);
    if (before === undefined) {
      changes.push({ path, action: "add", after: orderedCapabilities(after!) });
    } else if (after === undefined) {
      changes.push({ path, action: "remove", before: orderedCapabilities(before) });
    } else {
      const beforeCapabilities = orderedCapabilities(before);
      const afterCapabilities = orderedCapabilities(after);
      const capabilitiesChanged = beforeCapabilities.join(",") !== afterCapabilities.join(",");
      const parametersChanged = ruleConstraints(before) !== ruleConstraints(after);
      if (capabilitiesChanged || parametersChanged) {
        changes.push({ path, action: "change", before: beforeCapabilities, after: afterCapabilities, parametersChanged });
      }
    }
  }
  return changes;
}

/** Compares the policies of two plans by name; `base` is undefined when the stack did not exist. */
export function diffPolicies(base: Plan | undefined, head: Plan): PolicyChange[] {
  const baseByName = new Map((base?.policies ?? []).map((policy) => [policy.name, policy]));
  const headByName = new Map(head.policies.map((policy) => [policy.name, policy]));
  const names = [...new Set([...baseByName.keys(), ...headByName.keys()])].sort();
  const changes: PolicyChange[] = [];
  for (const name of names) {
    const before = baseByName.get(name);
    const after = headByName.get(name);
    if (before === undefined) {
      changes.push({ name, action: "add", rules: compareRules([], after!.model.rules) });
    } else if (after === undefined) {
      changes.push({ name, action: "remove", rules: compareRules(before.model.rules, []) });
    } else {
      const rules = compareRules(before.model.rules, after.model.rules);
      if (rules.length > 0) changes.push({ name, action: "change", rules });
    }
  }
  return changes;
}
