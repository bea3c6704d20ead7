import { describe, expect, it } from "vitest";
import { CAPABILITIES, type PolicyModel, renderPolicy, renderRule } from "../../infra/core/hcl";
import { loadStack } from "../../infra/core/load";

const model: PolicyModel = {
  name: "example",
  description: "Example policy.\nSecond line.",
  rules: [
    { path: "secret/metadata/gbo/system/*", capabilities: ["list", "read"] },
    { path: "secret/data/gbo/system/*", capabilities: ["read"], comment: "System values." },
    { path: "auth/approle/role/+", capabilities: ["delete", "create", "update", "read", "read"] },
  ],
};

describe("renderPolicy", () => {
  const hcl = renderPolicy(model);

  it("renders the canonical text", () => {
    expect(hcl).toBe(
      [
        "# Example policy.",
        "# Second line.",
        "",
        'path "auth/approle/role/+" {',
        '  capabilities = ["create", "read", "update", "delete"]',
        "}",
        "",
        "# System values.",
        'path "secret/data/gbo/system/*" {',
        '  capabilities = ["read"]',
        "}",
        "",
        'path "secret/metadata/gbo/system/*" {',
        '  capabilities = ["read", "list"]',
        "}",
        "",
      ].join("\n"),
    );
  });
  it("sorts rules by path", () => {
    const paths = [...hcl.matchAll(/^path "([^"]+)"/gm)].map((match) => match[1]!);
    expect(paths).toEqual([...paths].sort());
  });
  it("uses LF only", () => {
    expect(hcl).not.toContain("\r");
  });
  it("ends with exactly one newline", () => {
    expect(hcl.endsWith("}\n")).toBe(true);
    expect(hcl.endsWith("\n\n")).toBe(false);
  });
  it("has no trailing spaces", () => {
    expect(hcl.split("\n").filter((line) => line !== line.trimEnd())).toEqual([]);
  });
  it("is stable across calls", () => {
    expect(renderPolicy(model)).toBe(hcl);
  });
  it("ignores rule order", () => {
    expect(renderPolicy({ ...model, rules: [...model.rules].reverse() })).toBe(hcl);
  });
  it("ignores capability order", () => {
    const shuffled = model.rules.map((rule) => ({ ...rule, capabilities: [...rule.capabilities].reverse() }));
    expect(renderPolicy({ ...model, rules: shuffled })).toBe(hcl);
  });
  it("does not change the model", () => {
    expect(model.rules[0]!.path).toBe("secret/metadata/gbo/system/*");
    expect(model.rules[2]!.capabilities).toEqual(["delete", "create", "update", "read", "read"]);
  });
  it("rejects a duplicate path", () => {
    const duplicated = { ...model, rules: [...model.rules, { path: "secret/data/gbo/system/*", capabilities: ["list" as const] }] };
    expect(() => renderPolicy(duplicated)).toThrow('policy "example" has two rules for path "secret/data/gbo/system/*"');
  });
  it("escapes quotes in paths", () => {
    const text = renderPolicy({ name: "q", description: "q", rules: [{ path: 'a"b', capabilities: ["read"] }] });
    expect(text).toContain('path "a\\"b" {');
  });
});

describe("renderRule", () => {
  it("orders every capability", () => {
    const rule = renderRule({ path: "p", capabilities: [...CAPABILITIES].reverse() });
    expect(rule).toContain(`capabilities = [${CAPABILITIES.map((capability) => `"${capability}"`).join(", ")}]`);
  });
  it("deduplicates capabilities", () => {
    expect(renderRule({ path: "p", capabilities: ["read", "read"] })).toContain('capabilities = ["read"]');
  });
  it("renders sorted parameters", () => {
    const rule = renderRule({
      path: "secret/data/x",
      capabilities: ["update"],
      requiredParameters: ["b", "a"],
      allowedParameters: { z: ["2", "1"], a: [] },
      deniedParameters: { "*": [] },
      minWrappingTtl: "1s",
      maxWrappingTtl: "90s",
    });
    expect(rule).toBe(
      [
        'path "secret/data/x" {',
        '  capabilities = ["update"]',
        '  required_parameters = ["a", "b"]',
        "  allowed_parameters = {",
        '    "a" = []',
        '    "z" = ["1", "2"]',
        "  }",
        "  denied_parameters = {",
        '    "*" = []',
        "  }",
        '  min_wrapping_ttl = "1s"',
        '  max_wrapping_ttl = "90s"',
        "}",
      ].join("\n"),
    );
  });
  it("renders a multi-line comment", () => {
    expect(renderRule({ path: "p", capabilities: ["read"], comment: "one\n\ntwo" })).toBe('# one\n#\n# two\npath "p" {\n  capabilities = ["read"]\n}');
  });
});

describe("dev policies", () => {
  const { plan } = loadStack("dev");
  for (const policy of plan.policies) {
    it(`${policy.name} is canonical`, () => {
      expect(policy.hcl).toBe(renderPolicy(policy.model));
      expect(policy.hcl).not.toContain("\r");
      expect(policy.hcl.endsWith("}\n")).toBe(true);
    });
  }
  it("render twice is identical", () => {
    const again = loadStack("dev").plan.policies.map((policy) => policy.hcl);
    expect(again).toEqual(plan.policies.map((policy) => policy.hcl));
  });
});
