import { describe, expect, it } from "vitest";
import { parsePolicy, PolicyParseError } from "../../infra/acl";
import { CAPABILITY_BITS } from "../../infra/acl/policy";

function parseError(text: string, file?: string): PolicyParseError {
  try {
    parsePolicy(text, "p", file);
  } catch (error) {
    if (error instanceof PolicyParseError) return error;
    throw error;
  }
  throw new Error("expected a PolicyParseError");
}

function bitsOf(text: string, index = 0): number {
  return parsePolicy(text, "p").rules[index].permissions.bits;
}

const bits = (...names: (keyof typeof CAPABILITY_BITS)[]): number =>
  names.reduce((sum, name) => sum | CAPABILITY_BITS[name], 0);

describe("parsePolicy", () => {
  it("parses capabilities and comments", () => {
    const policy = parsePolicy(
      `# comment\n// another\n/* block\n comment */\npath "secret/*" {\n  capabilities = ["read", "list",]\n}\n`,
      " Ops-Team ",
    );
    expect(policy.name).toBe("ops-team");
    expect(policy.rules).toHaveLength(1);
    expect(policy.rules[0].path).toBe("secret/*");
    expect(policy.rules[0].line).toBe(5);
    expect(policy.rules[0].permissions.bits).toBe(bits("read", "list"));
  });

  it("parses the JSON form", () => {
    const policy = parsePolicy(
      JSON.stringify({ path: { "secret/a": { capabilities: ["read"] }, "secret/b/*": { policy: "write" } } }, null, 2),
      "j",
    );
    expect(policy.rules.map((rule) => rule.path)).toEqual(["secret/a", "secret/b/*"]);
    expect(policy.rules[1].permissions.bits).toBe(bits("create", "read", "update", "delete", "list"));
  });

  it("strips one leading slash", () => {
    expect(parsePolicy(`path "/secret/x" { capabilities = ["read"] }`, "p").rules[0].path).toBe("secret/x");
  });

  it("expands legacy policy values", () => {
    expect(bitsOf(`path "a" { policy = "read" }`)).toBe(bits("read", "list"));
    expect(bitsOf(`path "a" { policy = "write" }`)).toBe(bits("create", "read", "update", "delete", "list"));
    expect(bitsOf(`path "a" { policy = "sudo" }`)).toBe(bits("create", "read", "update", "delete", "list", "sudo"));
    expect(bitsOf(`path "a" { policy = "deny" \n capabilities = ["read"] }`)).toBe(bits("deny"));
  });

  it("adds legacy capabilities to the list", () => {
    expect(bitsOf(`path "a" {\n policy = "read"\n capabilities = ["update", "sudo"]\n}`)).toBe(
      bits("read", "list", "update", "sudo"),
    );
  });

  it("deny discards other capabilities and parameters", () => {
    const rule = parsePolicy(
      `path "a" {\n capabilities = ["read", "deny"]\n allowed_parameters = { "x" = [] }\n}`,
      "p",
    ).rules[0];
    expect(rule.permissions.bits).toBe(bits("deny"));
    expect(rule.permissions.allowedParameters).toBeUndefined();
  });

  it("lower-cases parameter names", () => {
    const rule = parsePolicy(
      `path "a" {\n capabilities = ["create"]\n allowed_parameters = { "ALLOW" = ["Good"] }\n denied_parameters = { "dEny" = [] }\n}`,
      "p",
    ).rules[0];
    expect(rule.permissions.allowedParameters).toEqual({ allow: ["Good"] });
    expect(rule.permissions.deniedParameters).toEqual({ deny: [] });
  });

  it("parses wrapping TTLs", () => {
    const rule = parsePolicy(
      `path "a" {\n capabilities = ["read"]\n min_wrapping_ttl = "1m"\n max_wrapping_ttl = 3600\n}`,
      "p",
    ).rules[0];
    expect(rule.permissions.minWrappingTtl).toBe(60);
    expect(rule.permissions.maxWrappingTtl).toBe(3600);
  });

  it("parses heredoc strings", () => {
    const rule = parsePolicy(`path "a" {\n capabilities = ["read"]\n comment = <<EOT\nfree text\nEOT\n}\n`, "p").rules[0];
    expect(rule.permissions.bits).toBe(bits("read"));
  });

  it("keeps repeated paths as separate stanzas", () => {
    const policy = parsePolicy(`path "a" { capabilities = ["read"] }\npath "a" { capabilities = ["list"] }`, "p");
    expect(policy.rules).toHaveLength(2);
  });

  it("warns about a star before the end", () => {
    const policy = parsePolicy(`path "secret/*/foo" { capabilities = ["read"] }`, "p");
    expect(policy.rules[0].path).toBe("secret/*/foo");
    expect(policy.warnings).toHaveLength(1);
    expect(policy.warnings[0]).toContain("literal");
  });
});

describe("parsePolicy errors", () => {
  it("names file, line and reason", () => {
    const error = parseError(`path "a" {\n  capabilities = ["read"]\n  capabilites = ["list"]\n}\n`, "policies/app.hcl");
    expect(error.source).toBe("policies/app.hcl");
    expect(error.line).toBe(3);
    expect(error.message).toBe(`policies/app.hcl:3: invalid key "capabilites" in path "a"`);
  });

  it("names the policy without a file", () => {
    expect(parseError(`path "a" { capabilities = ["reed"] }`).message).toBe(
      `policy "p":1: invalid capability "reed" in path "a"`,
    );
  });

  it("rejects unknown top-level keys", () => {
    const error = parseError(`\n\nfoo "a" { capabilities = ["read"] }`);
    expect(error.line).toBe(3);
    expect(error.reason).toContain(`invalid key "foo"`);
  });

  it("rejects plus followed by star", () => {
    const error = parseError(`path "secret/+*" { capabilities = ["read"] }`);
    expect(error.reason).toBe(`path "secret/+*": invalid use of wildcards ('+*' is forbidden)`);
  });

  it("rejects an unknown legacy value", () => {
    expect(parseError(`path "a" { policy = "admin" }`).reason).toContain(`invalid policy "admin"`);
  });

  it("rejects max below min wrapping TTL", () => {
    const error = parseError(`path "a" {\n capabilities = ["read"]\n min_wrapping_ttl = 100\n max_wrapping_ttl = 10\n}`);
    expect(error.line).toBe(4);
    expect(error.reason).toContain("max_wrapping_ttl cannot be less than min_wrapping_ttl");
  });

  it("rejects a star inside a parameter name", () => {
    expect(parseError(`path "a" {\n capabilities = ["create"]\n allowed_parameters = { "fo*" = [] }\n}`).line).toBe(3);
  });

  it("reports syntax errors with a line", () => {
    const error = parseError(`path "a" {\n  capabilities = ["read"\n}\n`);
    expect(error.line).toBe(3);
    expect(error.reason).toContain(`expected "," or "]"`);
  });

  it("reports an unterminated string", () => {
    expect(parseError(`path "a" {\n capabilities = ["read]\n}`).line).toBe(2);
  });

  it("rejects unbalanced templating", () => {
    expect(parseError(`path "secret/{{identity.entity.id" { capabilities = ["read"] }`).reason).toContain(
      "unbalanced templating characters",
    );
  });

  it("rejects a capabilities string", () => {
    expect(parseError(`path "a" { capabilities = "read" }`).reason).toBe("capabilities must be a list of strings");
  });
});
