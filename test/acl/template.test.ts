import { describe, expect, it } from "vitest";
import { compileAcl, evaluate, type Identity, parsePolicy, renderTemplate, TEMPLATE_ERRORS } from "../../infra/acl";

const identity: Identity = {
  entity: {
    id: "e1",
    name: "alice",
    metadata: { team: "blue", org: "acme/eng", empty: "", plus: "a+b", star: "ab*", "a.b": "dotted" },
    aliases: [
      { mount_accessor: "auth_oidc_1", id: "a1", name: "alice@corp", metadata: { ns: "payments" }, custom_metadata: { cc: "42" } },
    ],
  },
  groups: [
    { id: "g1", name: "admins", metadata: { tier: "gold" }, namespace_id: "root" },
    { id: "g2", name: "ops", metadata: {}, namespace_id: "ns-other" },
  ],
};

function render(template: string, options = {}): string {
  const result = renderTemplate(template, identity, options);
  return result.ok ? result.value : `error: ${result.error}`;
}

describe("renderTemplate", () => {
  it("renders entity fields", () => {
    expect(render("x/{{identity.entity.id}}/{{ identity.entity.name }}")).toBe("x/e1/alice");
    expect(render("{{identity.entity.metadata.team}}")).toBe("blue");
  });

  it("keeps dots in metadata keys", () => {
    expect(render("{{identity.entity.metadata.a.b}}")).toBe("dotted");
  });

  it("renders alias fields", () => {
    expect(render("{{identity.entity.aliases.auth_oidc_1.name}}")).toBe("alice@corp");
    expect(render("{{identity.entity.aliases.auth_oidc_1.metadata.ns}}")).toBe("payments");
    expect(render("{{identity.entity.aliases.auth_oidc_1.custom_metadata.cc}}")).toBe("42");
    expect(render("{{identity.entity.aliases.missing.name}}")).toBe("error: alias not found");
  });

  it("renders group fields", () => {
    expect(render("{{identity.groups.names.admins.id}}")).toBe("g1");
    expect(render("{{identity.groups.ids.g1.metadata.tier}}")).toBe("gold");
    expect(render("{{identity.groups.ids.g2.name}}")).toBe("ops");
  });

  it("filters group names by namespace", () => {
    expect(render("{{identity.groups.names.ops.id}}")).toBe(`error: entity is not a member of group "ops"`);
  });

  it("renders empty metadata values", () => {
    expect(render("x{{identity.entity.metadata.empty}}/y")).toBe("x/y");
  });

  it("fails on missing values", () => {
    expect(render("{{identity.entity.metadata.nope}}")).toBe(`error: ${TEMPLATE_ERRORS.notFound}`);
    expect(render("{{identity.entity.metadata}}")).toBe(`error: ${TEMPLATE_ERRORS.notFound}`);
    expect(render("{{identity.entity.groups.names}}")).toBe(`error: ${TEMPLATE_ERRORS.notFound}`);
    expect(render("{{identity.entity.email}}")).toBe(`error: ${TEMPLATE_ERRORS.notFound}`);
  });

  it("rejects wildcards in values", () => {
    expect(render("{{identity.entity.metadata.plus}}")).toBe(`error: ${TEMPLATE_ERRORS.wildcard}`);
    expect(render("{{identity.entity.metadata.star}}")).toBe(`error: ${TEMPLATE_ERRORS.wildcard}`);
  });

  it("inserts slashes unless denied", () => {
    expect(render("s/{{identity.entity.metadata.org}}/*")).toBe("s/acme/eng/*");
    expect(render("s/{{identity.entity.metadata.org}}/*", { denySlashInTemplatedPaths: true })).toBe(
      `error: ${TEMPLATE_ERRORS.slash}`,
    );
  });

  it("rejects unbalanced braces", () => {
    expect(render("a}}{{identity.entity.id}}")).toBe(`error: ${TEMPLATE_ERRORS.unbalanced}`);
    expect(render("{{identity.entity.id")).toBe(`error: ${TEMPLATE_ERRORS.unbalanced}`);
  });

  it("fails without entity or groups", () => {
    expect(renderTemplate("{{identity.entity.id}}", { entity: null }).ok).toBe(false);
    expect(renderTemplate("{{identity.groups.ids.g1.name}}", { entity: identity.entity, groups: [] })).toEqual({
      ok: false,
      error: TEMPLATE_ERRORS.noGroups,
    });
  });

  it("renders time relative to a clock", () => {
    expect(render("{{time.now.plus.1h}}", { nowSeconds: 1000 })).toBe("4600");
  });
});

describe("templated policies", () => {
  it("templated deny fails open", () => {
    const policy = parsePolicy(
      `path "secret/data/*" { capabilities = ["read"] }\npath "secret/data/{{identity.entity.metadata.blocked}}/*" { capabilities = ["deny"] }`,
      "t",
    );
    const acl = compileAcl([policy], identity);
    expect(acl.dropped).toHaveLength(1);
    expect(evaluate(acl, { path: "secret/data/anything/x", operation: "read" }).allowed).toBe(true);
  });

  it("slash value widens the path", () => {
    const policy = parsePolicy(`path "secret/data/{{identity.entity.metadata.org}}/*" { capabilities = ["read"] }`, "t");
    expect(evaluate(compileAcl([policy], identity), { path: "secret/data/acme/eng/x", operation: "read" }).allowed).toBe(true);
    const denied = compileAcl([policy], identity, { denySlashInTemplatedPaths: true });
    expect(evaluate(denied, { path: "secret/data/acme/eng/x", operation: "read" }).allowed).toBe(false);
  });

  it("no identity drops templated stanzas", () => {
    const policy = parsePolicy(`path "secret/{{identity.entity.id}}/*" { capabilities = ["read"] }`, "t");
    const acl = compileAcl([policy]);
    expect(acl.dropped[0].error).toBe(TEMPLATE_ERRORS.noEntity);
  });

  it("strips a slash after rendering", () => {
    const policy = parsePolicy(`path "/{{identity.entity.id}}/x" { capabilities = ["read"] }`, "t");
    expect(evaluate(compileAcl([policy], identity), { path: "e1/x", operation: "read" }).allowed).toBe(true);
  });
});
