import { describe, expect, it } from "vitest";
import { InvalidIdError, validateId } from "../../infra/core/ids";
import { loadStack } from "../../infra/core/load";
import {
  accessorMarker,
  accessorsReferenced,
  bindAccessors,
  catalogPathParameters,
  controlPlane,
  fillCatalogPath,
  kvApiPath,
  kvConfigPath,
  type Layout,
  legacyRoot,
  multiSegmentProblem,
  orgsRoot,
  scopeRoot,
  secretPath,
  template,
} from "../../infra/core/paths";
import { thrown } from "./support";

const layout: Layout = { mount: "secret", prefix: "gbo", tenant: validateId("tenant", "dev") };
const acme = validateId("org", "acme");
const support = validateId("bot", "support");
const alice = validateId("user", "alice");

describe("scopeRoot", () => {
  it("system", () => {
    expect(scopeRoot(layout, { scope: "system" })).toBe("gbo/system");
  });
  it("tenant", () => {
    expect(scopeRoot(layout, { scope: "tenant" })).toBe("gbo/tenants/dev");
  });
  it("org", () => {
    expect(scopeRoot(layout, { scope: "org", org: acme })).toBe("gbo/orgs/acme");
  });
  it("bot", () => {
    expect(scopeRoot(layout, { scope: "bot", org: acme, bot: support })).toBe("gbo/orgs/acme/bots/support");
  });
  it("user", () => {
    expect(scopeRoot(layout, { scope: "user", org: acme, user: alice })).toBe("gbo/orgs/acme/users/alice");
  });
  it("multi-segment prefix", () => {
    expect(scopeRoot({ ...layout, prefix: "apps/gbo" }, { scope: "tenant" })).toBe("apps/gbo/tenants/dev");
  });
  it("template segments", () => {
    const org = template.entityMetadata("org");
    const bot = template.entityMetadata("bot");
    expect(scopeRoot(layout, { scope: "bot", org, bot })).toBe(
      "gbo/orgs/{{identity.entity.metadata.org}}/bots/{{identity.entity.metadata.bot}}",
    );
  });
});

describe("path builders", () => {
  it("orgsRoot", () => {
    expect(orgsRoot(layout)).toBe("gbo/orgs");
  });
  it("legacyRoot", () => {
    expect(legacyRoot(layout)).toBe("gbo");
  });
  it("secretPath", () => {
    expect(secretPath(layout, { scope: "tenant" }, "infrastructure/tables")).toBe("gbo/tenants/dev/infrastructure/tables");
  });
  it("secretPath of a bot", () => {
    expect(secretPath(layout, { scope: "bot", org: acme, bot: support }, "email")).toBe("gbo/orgs/acme/bots/support/email");
  });
  for (const api of ["data", "metadata", "delete", "undelete", "destroy", "subkeys"] as const) {
    it(`kvApiPath ${api}`, () => {
      expect(kvApiPath(layout, api, "gbo/system/jwt")).toBe(`secret/${api}/gbo/system/jwt`);
    });
  }
  it("kvApiPath of the mount root", () => {
    expect(kvApiPath(layout, "metadata", "")).toBe("secret/metadata/");
  });
  it("kvConfigPath", () => {
    expect(kvConfigPath(layout)).toBe("secret/config");
  });
});

describe("controlPlane", () => {
  const expected: Array<[string, string]> = [
    [controlPlane.mount("secret"), "sys/mounts/secret"],
    [controlPlane.mountTune("secret"), "sys/mounts/secret/tune"],
    [controlPlane.mounts(), "sys/mounts"],
    [controlPlane.auth("approle"), "sys/auth/approle"],
    [controlPlane.authTune("oidc"), "sys/auth/oidc/tune"],
    [controlPlane.auths(), "sys/auth"],
    [controlPlane.policy("gbo-dev-app"), "sys/policies/acl/gbo-dev-app"],
    [controlPlane.policies(), "sys/policies/acl"],
    [controlPlane.authRoot("oidc"), "auth/oidc"],
    [controlPlane.appRoleRole("approle", "botserver-dev"), "auth/approle/role/botserver-dev"],
    [controlPlane.appRoleRoles("approle"), "auth/approle/role"],
    [controlPlane.appRoleRoleId("approle", "r"), "auth/approle/role/r/role-id"],
    [controlPlane.appRoleSecretId("approle", "r"), "auth/approle/role/r/secret-id"],
    [controlPlane.appRoleLogin("approle"), "auth/approle/login"],
    [controlPlane.jwtConfig("oidc"), "auth/oidc/config"],
    [controlPlane.jwtRole("oidc", "user"), "auth/oidc/role/user"],
    [controlPlane.tokenCreate(), "auth/token/create"],
    [controlPlane.tokenLookupSelf(), "auth/token/lookup-self"],
    [controlPlane.identity("entity-alias"), "identity/entity-alias"],
    [controlPlane.identityById("group", "abc"), "identity/group/id/abc"],
    [controlPlane.identityByName("entity", "bot-acme-support"), "identity/entity/name/bot-acme-support"],
  ];
  for (const [actual, path] of expected) {
    it(path, () => {
      expect(actual).toBe(path);
    });
  }
});

describe("multiSegmentProblem", () => {
  it("accepts one segment", () => {
    expect(multiSegmentProblem("secret")).toBeUndefined();
  });
  it("accepts several segments", () => {
    expect(multiSegmentProblem("apps/gbo")).toBeUndefined();
  });
  for (const value of ["", "/gbo", "gbo/", "a//b", "a/*", "a/+/b", "a/..", "a b", "gbo/data"]) {
    it(`rejects ${JSON.stringify(value)}`, () => {
      expect(multiSegmentProblem(value)).toBeDefined();
    });
  }
  it("rejects a non-string", () => {
    expect(multiSegmentProblem(7)).toBe("must be a string");
  });
});

describe("accessor markers", () => {
  const text = `path "secret/data/gbo/orgs/{{identity.entity.aliases.${accessorMarker("oidc")}.metadata.org}}/*" {}`;

  it("marker names the mount", () => {
    expect(accessorMarker("oidc")).toBe("<accessor:oidc>");
  });
  it("referenced mounts are listed", () => {
    expect(accessorsReferenced(`${text} ${accessorMarker("approle")} ${accessorMarker("oidc")}`)).toEqual(["approle", "oidc"]);
  });
  it("bind replaces the marker", () => {
    expect(bindAccessors(text, { oidc: "auth_oidc_1234" })).toBe(
      'path "secret/data/gbo/orgs/{{identity.entity.aliases.auth_oidc_1234.metadata.org}}/*" {}',
    );
  });
  it("bind replaces every marker", () => {
    const bound = bindAccessors(`${text}\n${text}`, { oidc: "auth_oidc_1234" });
    expect(accessorsReferenced(bound)).toEqual([]);
  });
  it("missing accessor throws", () => {
    expect(() => bindAccessors(text, { approle: "auth_approle_1" })).toThrow(/no accessor is known for auth mount "oidc"/);
  });
  it("empty accessor throws", () => {
    expect(() => bindAccessors(text, { oidc: "" })).toThrow(/oidc/);
  });
  it("text without markers is unchanged", () => {
    expect(bindAccessors("path \"sys/mounts\" {}", {})).toBe("path \"sys/mounts\" {}");
  });
  it("alias template carries the marker", () => {
    expect(template.aliasMetadata("oidc", "user")).toBe("{{identity.entity.aliases.<accessor:oidc>.metadata.user}}");
  });
});

describe("fillCatalogPath", () => {
  it("lists parameters", () => {
    expect(catalogPathParameters("api-keys/custom/{name}")).toEqual(["name"]);
  });
  it("fills a parameter", () => {
    expect(fillCatalogPath("llm/providers/{provider}", { provider: "openai" }, { provider: "provider" })).toBe(
      "llm/providers/openai",
    );
  });
  it("leaves a path without parameters", () => {
    expect(fillCatalogPath("infrastructure/tables")).toBe("infrastructure/tables");
  });
  it("rejects a template segment", () => {
    const value = template.entityMetadata("bot");
    expect(() => fillCatalogPath("api-keys/custom/{name}", { name: value })).toThrow(/identity template/);
  });
  it("missing value throws", () => {
    expect(() => fillCatalogPath("llm/providers/{provider}", {})).toThrow(/needs a value for \{provider\}/);
  });
  for (const value of ["a/b", "*", "+", "..", "", "data", "a b", "{x"]) {
    it(`rejects ${JSON.stringify(value)}`, () => {
      const error = thrown(() => fillCatalogPath("llm/providers/{provider}", { provider: value }, { provider: "provider" }));
      expect(error).toBeInstanceOf(InvalidIdError);
    });
  }
  it("validates with the given kind", () => {
    expect(() => fillCatalogPath("bots/{bot}", { bot: "default" }, { bot: "bot" })).toThrow(/reserved/);
  });

  // A value only shaped like a template ("{{" ... "}}") is taken as one without any check, so it can carry a
  // slash or a glob into the path.
  it("rejects a template-shaped value with a slash", () => {
    expect(() => fillCatalogPath("llm/providers/{provider}", { provider: "{{x}}/*/{{y}}" })).toThrow(InvalidIdError);
  });
});

describe("dev plan paths", () => {
  const { plan, settings } = loadStack("dev");
  const orgIds = settings.orgs.map((org) => org.id);
  const tenantId = settings.tenant.id;
  const allPaths = [
    ...plan.secrets.flatMap((secret) => [secret.path, secret.dataPath]),
    ...plan.runtimeSecrets.flatMap((secret) => [secret.pathPattern, secret.fallback ?? ""]),
    ...plan.policies.flatMap((policy) => policy.model.rules.map((rule) => rule.path)),
  ].filter((path) => path !== "");

  it("covers every kind of path", () => {
    expect(allPaths.length).toBeGreaterThan(50);
  });
  it("no path contains //", () => {
    expect(allPaths.filter((path) => path.includes("//"))).toEqual([]);
  });
  it("no tenant id under orgs/", () => {
    expect(allPaths.filter((path) => path.includes(`/orgs/${tenantId}`))).toEqual([]);
  });
  it("no org id under tenants/", () => {
    const bad = allPaths.filter((path) => orgIds.some((org) => path.includes(`/tenants/${org}`)));
    expect(bad).toEqual([]);
  });
  it("tenant paths use the stack's tenant", () => {
    const tenantSegments = allPaths.flatMap((path) => [...path.matchAll(/\/tenants\/([^/]+)/g)].map((match) => match[1]));
    expect(new Set(tenantSegments)).toEqual(new Set([tenantId]));
  });
  it("no path starts or ends with a slash", () => {
    const bad = allPaths.filter((path) => path.startsWith("/") || (path.endsWith("/") && !path.endsWith("/*")));
    expect(bad).toEqual([]);
  });
});
