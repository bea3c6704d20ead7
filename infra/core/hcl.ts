/**
 * Vault ACL policies as typed data, rendered to canonical HCL: rules sorted by path, capabilities in a fixed
 * order, LF line endings and one trailing newline, so an unchanged model renders byte-identical text and a
 * policy never shows a whitespace-only diff.
 */

export const CAPABILITIES = [
  "create",
  "read",
  "update",
  "patch",
  "delete",
  "list",
  "sudo",
  "deny",
  "subscribe",
  "recover",
] as const;

export type Capability = (typeof CAPABILITIES)[number];

export interface PolicyRule {
  /** API path, for example `secret/data/gbo/system/*`; may contain identity templates and accessor markers. */
  path: string;
  capabilities: Capability[];
  /** Rendered as a comment above the rule. */
  comment?: string;
  requiredParameters?: string[];
  allowedParameters?: Record<string, string[]>;
  deniedParameters?: Record<string, string[]>;
  minWrappingTtl?: string;
  maxWrappingTtl?: string;
}

export interface PolicyModel {
  name: string;
  description: string;
  rules: PolicyRule[];
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function list(values: readonly string[]): string {
  return `[${values.map(quote).join(", ")}]`;
}

function renderParameterBlock(name: string, parameters: Record<string, string[]>): string[] {
  const lines = [`  ${name} = {`];
  for (const key of Object.keys(parameters).sort()) {
    lines.push(`    ${quote(key)} = ${list([...parameters[key]!].sort())}`);
  }
  lines.push("  }");
  return lines;
}

/** Renders one rule; capabilities are deduplicated and put in {@link CAPABILITIES} order. */
export function renderRule(rule: PolicyRule): string {
  const capabilities = CAPABILITIES.filter((capability) => rule.capabilities.includes(capability));
  const lines: string[] = [];
  if (rule.comment !== undefined) {
    for (const line of rule.comment.split("\n")) lines.push(`# ${line}`.trimEnd());
  }
  lines.push(`path ${quote(rule.path)} {`);
  lines.push(`  capabilities = ${list(capabilities)}`);
  if (rule.requiredParameters !== undefined) {
    lines.push(`  required_parameters = ${list([...rule.requiredParameters].sort())}`);
  }
  if (rule.allowedParameters !== undefined) lines.push(...renderParameterBlock("allowed_parameters", rule.allowedParameters));
  if (rule.deniedParameters !== undefined) lines.push(...renderParameterBlock("denied_parameters", rule.deniedParameters));
  if (rule.minWrappingTtl !== undefined) lines.push(`  min_wrapping_ttl = ${quote(rule.minWrappingTtl)}`);
  if (rule.maxWrappingTtl !== undefined) lines.push(`  max_wrapping_ttl = ${quote(rule.maxWrappingTtl)}`);
  lines.push("}");
  return lines.join("\n");
}

/** Renders a policy to canonical HCL. Two rules on the same path are an error, because Vault would merge them. */
export function renderPolicy(policy: PolicyModel): string {
  const seen = new Set<string>();
  for (const rule of policy.rules) {
    if (seen.has(rule.path)) throw new Error(`policy "${policy.name}" has two rules for path "${rule.path}"`);
    seen.add(rule.path);
  }
  const rules = [...policy.rules].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const header = policy.description
    .split("\n")
    .map((line) => `# ${line}`.trimEnd())
    .join("\n");
  return `${header}\n\n${rules.map(renderRule).join("\n\n")}\n`;
}
