import { describe, expect, it } from "vitest";
import {
  type Acl,
  capabilities,
  compileAcl,
  defaultPolicy,
  evaluate,
  mountAccess,
  type Operation,
  parsePolicy,
  rootPolicy,
} from "../../infra/acl";

function acl(...texts: string[]): Acl {
  return compileAcl(texts.map((text, index) => parsePolicy(text, `p${index + 1}`)));
}

function allowed(target: Acl, path: string, operation: Operation, data?: Record<string, unknown>): boolean {
  return evaluate(target, { path, operation, data }).allowed;
}

describe("rule priority", () => {
  it("exact rule shadows a glob", () => {
    const target = acl(`path "secret/data/*" { capabilities = ["read", "delete"] }\npath "secret/data/x" { capabilities = ["read"] }`);
    expect(allowed(target, "secret/data/x", "read")).toBe(true);
    expect(allowed(target, "secret/data/x", "delete")).toBe(false);
    expect(allowed(target, "secret/data/y", "delete")).toBe(true);
  });

  it("later first wildcard wins", () => {
    const target = acl(`path "secret/bar*" { capabilities = ["read"] }\npath "secret/+/foo" { capabilities = ["update"] }`);
    expect(evaluate(target, { path: "secret/bar/foo", operation: "read" }).rule).toBe("secret/bar*");
    expect(allowed(target, "secret/bar/foo", "update")).toBe(false);
  });

  it("pattern without star beats one with", () => {
    const target = acl(`path "foo/+/baz*" { capabilities = ["read"] }\npath "foo/+/baz" { capabilities = ["update"] }`);
    expect(evaluate(target, { path: "foo/x/baz", operation: "update" }).rule).toBe("foo/+/baz");
  });

  it("fewer plus segments win", () => {
    const target = acl(`path "foo/+/+/baz" { capabilities = ["read"] }\npath "foo/+/bar/baz" { capabilities = ["update"] }`);
    expect(allowed(target, "foo/bar/bar/baz", "update")).toBe(true);
    expect(allowed(target, "foo/bar/bar/baz", "read")).toBe(false);
  });

  it("longer pattern wins", () => {
    const target = acl(`path "foo/+/b*" { capabilities = ["read"] }\npath "foo/+/ba*" { capabilities = ["update"] }`);
    expect(evaluate(target, { path: "foo/x/baz", operation: "update" }).rule).toBe("foo/+/ba*");
  });

  it("broad deny does not block a specific allow", () => {
    const target = acl(`path "secret/*" { capabilities = ["deny"] }`, `path "secret/foo" { capabilities = ["read"] }`);
    expect(allowed(target, "secret/foo", "read")).toBe(true);
    expect(allowed(target, "secret/bar", "read")).toBe(false);
  });

  it("specific deny beats a broad sudo", () => {
    const target = acl(`path "dev/*" { policy = "sudo" }\npath "dev/hide/*" { capabilities = ["deny"] }`);
    expect(allowed(target, "dev/hide/x", "read")).toBe(false);
    expect(evaluate(target, { path: "dev/hide/x", operation: "read" }).rootPrivileges).toBe(false);
  });

  it("globs are character prefixes", () => {
    const target = acl(`path "gbo/data/tenants*" { capabilities = ["read"] }`);
    expect(allowed(target, "gbo/data/tenants-archive/x", "read")).toBe(true);
    expect(allowed(target, "gbo/data/tenants", "read")).toBe(true);
  });

  it("mid-path star is literal", () => {
    const target = acl(`path "secret/*/foo" { capabilities = ["read"] }`);
    expect(allowed(target, "secret/x/foo", "read")).toBe(false);
    expect(allowed(target, "secret/*/foo", "read")).toBe(true);
  });

  it("segment rule matches trailing slash shape", () => {
    const target = acl(`path "foo/+/*" { capabilities = ["read"] }`);
    expect(allowed(target, "foo/a/", "read")).toBe(true);
    expect(allowed(target, "foo/a/b/c", "read")).toBe(true);
    expect(allowed(target, "foo/a", "read")).toBe(false);
  });
});

describe("merging identical patterns", () => {
  it("unions capabilities", () => {
    const target = acl(`path "s/x" { capabilities = ["read"] }`, `path "s/x" { capabilities = ["update"] }`);
    expect(capabilities(target, "s/x").sort()).toEqual(["read", "update"]);
  });

  it("deny absorbs a merged pattern", () => {
    const target = acl(`path "s/*" { capabilities = ["read"] }`, `path "s/*" { capabilities = ["deny"] }`);
    expect(capabilities(target, "s/x")).toEqual(["deny"]);
  });

  it("parameter constraints apply to other policies", () => {
    const target = acl(
      `path "s/x" { capabilities = ["create"] }`,
      `path "s/x" {\n capabilities = ["update"]\n allowed_parameters = { "a" = ["1"] }\n}`,
    );
    expect(allowed(target, "s/x", "create", { a: "2" })).toBe(false);
    expect(allowed(target, "s/x", "create", { a: "1" })).toBe(true);
  });

  it("empty allowed list wins on merge", () => {
    const target = acl(
      `path "s/x" {\n capabilities = ["create"]\n allowed_parameters = { "a" = ["1"] }\n}`,
      `path "s/x" {\n capabilities = ["create"]\n allowed_parameters = { "a" = [] }\n}`,
    );
    expect(allowed(target, "s/x", "create", { a: "anything" })).toBe(true);
  });

  it("keeps the lowest wrapping TTLs", () => {
    const target = acl(
      `path "s/x" {\n capabilities = ["read"]\n max_wrapping_ttl = 300\n}`,
      `path "s/x" {\n capabilities = ["read"]\n max_wrapping_ttl = 100\n}`,
    );
    expect(evaluate(target, { path: "s/x", operation: "read", wrapTtlSeconds: 200 }).allowed).toBe(false);
    expect(evaluate(target, { path: "s/x", operation: "read", wrapTtlSeconds: 100 }).allowed).toBe(true);
  });

  it("records granting policies", () => {
    const target = acl(`path "s/x" { capabilities = ["read"] }`, `path "s/x" { capabilities = ["read", "list"] }`);
    expect(evaluate(target, { path: "s/x", operation: "read" }).grantingPolicies.sort()).toEqual(["p1", "p2"]);
    expect(evaluate(target, { path: "s/x", operation: "list" }).grantingPolicies).toEqual(["p2"]);
  });
});

describe("list and trailing slash", () => {
  it("falls back to the trimmed exact rule", () => {
    const target = acl(`path "secret/metadata/foo" { capabilities = ["list"] }\npath "secret/metadata/foo/*" { capabilities = ["deny"] }`);
    expect(allowed(target, "secret/metadata/foo/", "list")).toBe(true);
    expect(allowed(target, "secret/metadata/foo/", "read")).toBe(false);
  });

  it("specific deny blocks a broad list", () => {
    const target = acl(`path "kv/metadata/*" { capabilities = ["list"] }\npath "kv/metadata/private/*" { capabilities = ["deny"] }`);
    expect(allowed(target, "kv/metadata/private/", "list")).toBe(false);
    expect(evaluate(target, { path: "kv/metadata/private/", operation: "list" }, { listAlgorithm: "trimmed-first" }).allowed).toBe(true);
    expect(evaluate(target, { path: "kv/metadata/private/", operation: "list" }, { listAlgorithm: "full-path" }).allowed).toBe(false);
  });

  it("capabilities use list resolution", () => {
    const target = acl(`path "kv/+" { capabilities = ["list"] }\npath "kv/private/*" { capabilities = ["read"] }`);
    expect(capabilities(target, "kv/private/")).toEqual(["list"]);
    expect(capabilities(target, "kv/private/x")).toEqual(["read"]);
  });

  it("capabilities report Vault order", () => {
    const target = acl(`path "dev/*" { policy = "sudo" }`);
    expect(capabilities(target, "dev/x")).toEqual(["sudo", "read", "list", "update", "delete", "create"]);
    expect(capabilities(target, "dev")).toEqual(["deny"]);
  });

  it("no policies report deny", () => {
    expect(capabilities(compileAcl([]), "anything")).toEqual(["deny"]);
  });
});

describe("parameters", () => {
  const target = acl(`path "s/x" {
  capabilities = ["create", "update", "delete"]
  allowed_parameters = {
    "role" = ["dev-*", "*-ops", "*mid*"]
    "ttl" = [1, 2]
    "flag" = [false]
    "tags" = ["a", "b"]
  }
  denied_parameters = {
    "role" = ["dev-root"]
  }
  required_parameters = ["ROLE"]
}`);

  it("matches glob values", () => {
    expect(allowed(target, "s/x", "create", { role: "dev-app" })).toBe(true);
    expect(allowed(target, "s/x", "create", { role: "team-ops" })).toBe(true);
    expect(allowed(target, "s/x", "create", { role: "a-mid-b" })).toBe(true);
    expect(allowed(target, "s/x", "create", { role: "prod" })).toBe(false);
  });

  it("denied value wins", () => {
    expect(allowed(target, "s/x", "create", { role: "dev-root" })).toBe(false);
  });

  it("requires listed parameters", () => {
    expect(allowed(target, "s/x", "create", { ttl: 1 })).toBe(false);
    expect(allowed(target, "s/x", "create", undefined)).toBe(false);
  });

  it("compares types strictly", () => {
    expect(allowed(target, "s/x", "create", { role: "dev-a", ttl: 1 })).toBe(true);
    expect(allowed(target, "s/x", "create", { role: "dev-a", ttl: "1" })).toBe(false);
    expect(allowed(target, "s/x", "create", { role: "dev-a", flag: "false" })).toBe(false);
  });

  it("matches list values element-wise", () => {
    expect(allowed(target, "s/x", "create", { role: "dev-a", tags: ["a", "b"] })).toBe(true);
    expect(allowed(target, "s/x", "create", { role: "dev-a", tags: ["a", "c"] })).toBe(false);
    expect(allowed(target, "s/x", "create", { role: "dev-a", tags: "a, b" })).toBe(true);
    expect(allowed(target, "s/x", "create", { role: "dev-a,dev-root" })).toBe(false);
  });

  it("skips parameter checks on delete", () => {
    expect(allowed(target, "s/x", "delete", { role: "prod" })).toBe(true);
  });

  it("star in denied parameters denies any", () => {
    const starred = acl(`path "s/y" {\n capabilities = ["update"]\n denied_parameters = { "*" = [] }\n}`);
    expect(allowed(starred, "s/y", "update", { a: 1 })).toBe(false);
    expect(allowed(starred, "s/y", "update", {})).toBe(true);
  });

  it("lower-cases policy name values", () => {
    const policies = acl(`path "auth/token/create" {\n capabilities = ["update"]\n denied_parameters = { "policies" = ["admin"] }\n}`);
    expect(allowed(policies, "auth/token/create", "update", { policies: ["ADMIN "] })).toBe(false);
  });
});

describe("wrapping TTL bounds", () => {
  const target = acl(`path "s/w" {\n capabilities = ["read"]\n min_wrapping_ttl = "1m"\n max_wrapping_ttl = "1h"\n}`);

  it("requires a wrapped request", () => {
    expect(evaluate(target, { path: "s/w", operation: "read" }).allowed).toBe(false);
  });

  it("checks both bounds", () => {
    expect(evaluate(target, { path: "s/w", operation: "read", wrapTtlSeconds: 30 }).allowed).toBe(false);
    expect(evaluate(target, { path: "s/w", operation: "read", wrapTtlSeconds: 600 }).allowed).toBe(true);
    expect(evaluate(target, { path: "s/w", operation: "read", wrapTtlSeconds: 7200 }).allowed).toBe(false);
  });
});

describe("sudo and root", () => {
  it("root-protected path needs sudo", () => {
    const plain = acl(`path "sys/auth/*" { capabilities = ["create", "update"] }`);
    const withSudo = acl(`path "sys/auth/*" { capabilities = ["create", "update", "sudo"] }`);
    expect(allowed(plain, "sys/auth/oidc", "update")).toBe(false);
    expect(evaluate(plain, { path: "sys/auth/oidc", operation: "update" }, { enforceRootProtectedPaths: false }).allowed).toBe(true);
    expect(allowed(withSudo, "sys/auth/oidc", "update")).toBe(true);
  });

  it("sudo alone grants nothing", () => {
    expect(allowed(acl(`path "sys/mounts/*" { capabilities = ["sudo"] }`), "sys/mounts/kv", "update")).toBe(false);
  });

  it("root allows everything", () => {
    const root = compileAcl([rootPolicy()]);
    const decision = evaluate(root, { path: "sys/raw/x", operation: "delete" });
    expect(decision.allowed).toBe(true);
    expect(decision.rootPrivileges).toBe(true);
    expect(capabilities(root, "any/path")).toEqual(["root"]);
  });

  it("root cannot be combined", () => {
    expect(() => compileAcl([rootPolicy(), parsePolicy(`path "a" { capabilities = ["read"] }`, "a")])).toThrow(/root policy/);
  });

  it("help is always allowed", () => {
    expect(allowed(compileAcl([]), "secret/x", "help")).toBe(true);
  });
});

describe("default policy", () => {
  it("renders identity stanzas for an entity", () => {
    const target = compileAcl([defaultPolicy()], { entity: { id: "e-1", name: "alice", metadata: {}, aliases: [] }, groups: [] });
    expect(allowed(target, "identity/entity/id/e-1", "read")).toBe(true);
    expect(allowed(target, "identity/entity/name/alice", "read")).toBe(true);
    expect(allowed(target, "cubbyhole/x", "create")).toBe(true);
    expect(allowed(target, "identity/oidc/provider/p/authorize", "update")).toBe(true);
  });

  it("drops identity stanzas without an entity", () => {
    const target = compileAcl([defaultPolicy()]);
    expect(target.dropped.map((dropped) => dropped.path)).toEqual([
      "identity/entity/id/{{identity.entity.id}}",
      "identity/entity/name/{{identity.entity.name}}",
    ]);
    expect(allowed(target, "auth/token/lookup-self", "read")).toBe(true);
  });
});

describe("mount access", () => {
  it("passes with any rule below the mount", () => {
    expect(mountAccess(acl(`path "gbo/tenants/*" { capabilities = ["read"] }`), "gbo")).toBe(true);
    expect(mountAccess(acl(`path "gbo/+/x" { capabilities = ["read"] }`), "gbo/")).toBe(true);
  });

  it("fails with only deny rules", () => {
    expect(mountAccess(acl(`path "gbo/*" { capabilities = ["deny"] }`), "gbo/")).toBe(false);
    expect(mountAccess(acl(`path "other/*" { capabilities = ["read"] }`), "gbo/")).toBe(false);
  });
});
