import { describe, expect, it } from "vitest";
import { kvConfigPath } from "../../infra/core/paths";
import { loadStack } from "../../infra/core/load";
import { PlanError, type Plan } from "../../infra/core/plan";
import { leakedDevSecrets, stackText, thrown } from "./support";

const DEV = stackText("dev");
const dev = loadStack("dev");
const plan = dev.plan;

/** Every secret the dev stack file gives at least one value for, as a path under the mount. */
const DEV_SEEDED = [
  "gbo/tenants/dev/config",
  "gbo/tenants/dev/infrastructure/tables",
  "gbo/tenants/dev/infrastructure/drive",
  "gbo/tenants/dev/infrastructure/cache",
  "gbo/tenants/dev/infrastructure/email",
  "gbo/tenants/dev/infrastructure/directory",
  "gbo/tenants/dev/infrastructure/llm",
  "gbo/tenants/dev/infrastructure/models",
  "gbo/system/jwt",
  "gbo/system/email",
  "gbo/system/llm",
  "gbo/system/llm/providers/openai",
  "gbo/system/llm/providers/anthropic",
  "gbo/system/security",
  "gbo/system/app",
];

/** Catalog secrets that the dev stack leaves unset. */
const DEV_UNSET = ["gbo/system/tables", "gbo/system/drive", "gbo/system/cache", "gbo/system/models", "gbo/system/directory", "gbo/system/alm", "gbo/system/cloud"];

/** Plain values of the dev stack that are neither ids nor addresses, so they must not appear in the plan. */
const DEV_PLAIN_VALUES = ["postgres.dev.gbo.example.test", "gpt-4o-mini", "noreply@dev.gbo.example.test", "/health,/api/public", "bots@dev.gbo.example.test"];

const KV_APIS = ["data", "metadata", "delete", "undelete", "destroy", "subkeys"];

/** Replaces the dev stack's orgs block with `orgs`. */
function devWithOrgs(orgs: Array<{ id: string; bots: string[] }>): string {
  const block = orgs.map((org) => `    - id: ${org.id}\n      bots: [${org.bots.join(", ")}]\n`).join("");
  const next = DEV.replace(/  gbo-vault:orgs:\n(?: {4}.*\n)+/, `  gbo-vault:orgs:\n${block}`);
  if (next === DEV) throw new Error("the dev stack has no orgs block");
  return next;
}

function policyHcl(target: Plan, principal: string): string {
  const policy = target.policies.find((candidate) => candidate.principal === principal);
  if (policy === undefined) throw new Error(`no ${principal} policy`);
  return policy.hcl;
}

describe("dev plan mount", () => {
  it("has one KV v2 mount", () => {
    expect(plan.mounts).toHaveLength(1);
    expect(plan.mounts[0]).toMatchObject({ path: "secret", type: "kv", options: { version: "2" } });
  });
  it("carries the engine settings", () => {
    expect(plan.mounts[0]!.kvConfig).toEqual({ maxVersions: 10, casRequired: false, deleteVersionAfterSeconds: 0 });
  });
  it("layout is mount, prefix and tenant", () => {
    expect(plan.layout).toEqual({ mount: "secret", prefix: "gbo", tenant: "dev" });
  });
  it("provider points at the stack's Vault", () => {
    expect(plan.provider).toEqual({ address: "http://127.0.0.1:8200", namespace: undefined, deniesSlashInTemplates: false });
  });
});

describe("dev plan secrets", () => {
  const paths = plan.secrets.map((secret) => secret.path);

  it("one per seeded secret", () => {
    const layoutPaths = plan.secrets.filter((secret) => secret.scope !== "legacy").map((secret) => secret.path);
    expect(layoutPaths.sort()).toEqual([...DEV_SEEDED].sort());
  });
  it("old flat copies for the paths the app reads", () => {
    const legacyPaths = plan.secrets.filter((secret) => secret.scope === "legacy").map((secret) => secret.path);
    expect(legacyPaths.sort()).toEqual(["gbo/cache", "gbo/drive", "gbo/email", "gbo/jwt", "gbo/llm", "gbo/tables"]);
  });
  it("none for unset secrets", () => {
    for (const path of DEV_UNSET) expect(paths).not.toContain(path);
  });
  it("no path twice", () => {
    expect(new Set(paths).size).toBe(paths.length);
  });
  it("data path carries the KV v2 segment", () => {
    for (const secret of plan.secrets) expect(secret.dataPath).toBe(`secret/data/${secret.path}`);
  });
  it("every secret is on the mount", () => {
    for (const secret of plan.secrets) expect(secret.mount).toBe("secret");
  });
  it("tables keys and their sources", () => {
    const tables = plan.secrets.find((secret) => secret.path === "gbo/tenants/dev/infrastructure/tables")!;
    expect(tables.keys.map((key) => [key.name, key.status])).toEqual([
      ["host", "plain"],
      ["port", "plain"],
      ["database", "plain"],
      ["username", "plain"],
      ["password", "secure"],
    ]);
    expect(tables.keys[4]!.configKey).toBe("gbo-vault:infrastructure.tables.password");
    expect(tables.keys[4]!.source).toEqual({ configKey: "infrastructure", path: ["tables", "password"] });
  });
  it("provider secret is filled", () => {
    const openai = plan.secrets.find((secret) => secret.path === "gbo/system/llm/providers/openai")!;
    expect(openai.catalogPath).toBe("llm/providers/{provider}");
    expect(openai.keys[0]!.source).toEqual({ configKey: "system", path: ["llm", "providers", "openai", "api-key"] });
  });
  it("unset keys of a seeded secret are missing", () => {
    const email = plan.secrets.find((secret) => secret.path === "gbo/system/email")!;
    expect(email.keys.every((key) => key.status !== "missing")).toBe(true);
    const llm = plan.secrets.find((secret) => secret.path === "gbo/system/llm")!;
    expect(llm.keys.map((key) => key.name)).toEqual(["url", "model"]);
  });
  it("tenant config comes from the tenant block", () => {
    const config = plan.secrets.find((secret) => secret.path === "gbo/tenants/dev/config")!;
    expect(config.keys.map((key) => key.configKey)).toEqual(["gbo-vault:tenant.name", "gbo-vault:tenant.domain", "gbo-vault:tenant.settings"]);
  });
  it("secret with only empty values is not seeded", () => {
    const text = DEV.replace("  gbo-vault:system:\n", "  gbo-vault:system:\n    alm:\n      url:\n");
    const { plan: edited } = loadStack("dev", { stackText: text });
    expect(edited.secrets.map((secret) => secret.path)).not.toContain("gbo/system/alm");
  });
});

describe("dev plan holds no value", () => {
  const json = JSON.stringify(plan);

  it("no decrypted secret", () => {
    expect(leakedDevSecrets(json)).toEqual([]);
  });
  it("no plain seeded value", () => {
    for (const value of DEV_PLAIN_VALUES) expect(json).not.toContain(value);
  });
  it("no ciphertext", () => {
    expect(json).not.toMatch(/v1:[A-Za-z0-9+/=]{12,}:/);
  });
});

describe("dev plan access", () => {
  it("auth backends", () => {
    expect(plan.authBackends.map((backend) => [backend.path, backend.type])).toEqual([
      ["approle", "approle"],
      ["oidc", "oidc"],
    ]);
  });
  it("oidc backend uses the issuer", () => {
    expect(plan.authBackends[1]!.oidc).toMatchObject({ discoveryUrl: "https://zitadel.dev.gbo.example.test", defaultRole: "user", clientSecret: "secure" });
  });
  it("roles", () => {
    expect(plan.roles.map((role) => `${role.backend}/${role.name}`)).toEqual([
      "approle/botserver-dev",
      "approle/bot-acme-support",
      "approle/bot-acme-sales",
      "approle/bot-globex-helpdesk",
      "oidc/user",
    ]);
  });
  it("app role gets the app policy", () => {
    expect(plan.roles[0]!.policies).toEqual(["gbo-dev-app"]);
  });
  it("bot roles get the bot policy", () => {
    for (const role of plan.roles.filter((candidate) => candidate.name.startsWith("bot-"))) expect(role.policies).toEqual(["gbo-dev-bot"]);
  });
  it("bot role id is its name", () => {
    for (const role of plan.roles.filter((candidate) => candidate.name.startsWith("bot-"))) expect(role.approle?.roleId).toBe(role.name);
  });
  it("user role maps org and user claims", () => {
    const user = plan.roles.find((role) => role.name === "user")!;
    expect(user.policies).toEqual(["gbo-dev-user"]);
    expect(user.oidc?.claimMappings).toEqual({ "urn:zitadel:iam:user:resourceowner:id": "org", sub: "user" });
    expect(user.oidc?.boundAudiences).toEqual(["000000000000000001@gbo-vault-dev"]);
  });
  it("entities carry org and bot", () => {
    expect(plan.identity.entities.map((entity) => [entity.name, entity.metadata.org, entity.metadata.bot])).toEqual([
      ["bot-acme-support", "acme", "support"],
      ["bot-acme-sales", "acme", "sales"],
      ["bot-globex-helpdesk", "globex", "helpdesk"],
    ]);
  });
  it("entity alias is the bot role", () => {
    for (const entity of plan.identity.entities) expect(entity.alias).toEqual({ backend: "approle", name: entity.name });
  });
  it("org admins are an external group", () => {
    expect(plan.identity.groups).toEqual([
      { name: "gbo-dev-org-admins", type: "external", policies: ["gbo-dev-org-admin"], alias: { backend: "oidc", name: "gbo-org-admin" } },
    ]);
  });
});

describe("dev policies", () => {
  const rules = plan.policies.flatMap((policy) => policy.model.rules.map((rule) => ({ policy: policy.name, path: rule.path })));
  const kvRules = rules.filter((rule) => rule.path.startsWith("secret/"));

  it("one per principal", () => {
    expect(plan.policies.map((policy) => policy.name)).toEqual([
      "gbo-dev-app",
      "gbo-dev-org-admin",
      "gbo-dev-bot",
      "gbo-dev-user",
      "gbo-dev-operator",
      "gbo-dev-deployer",
    ]);
  });
  it("KV rules carry an API segment", () => {
    const bare = kvRules.filter((rule) => rule.path !== kvConfigPath(plan.layout) && !KV_APIS.includes(rule.path.split("/")[1]!));
    expect(bare).toEqual([]);
  });
  it("only the deployer touches the engine config", () => {
    expect(kvRules.filter((rule) => rule.path === "secret/config").map((rule) => rule.policy)).toEqual(["gbo-dev-deployer"]);
  });
  it("no org or bot id in any policy", () => {
    const ids = plan.orgs.flatMap((org) => [org.id, ...org.bots]);
    for (const policy of plan.policies) {
      for (const id of ids) expect({ policy: policy.name, id, found: policy.hcl.includes(id) }).toMatchObject({ found: false });
    }
  });
  it("org, bot and user policies are templated", () => {
    for (const principal of ["orgAdmin", "bot", "user"]) {
      const policy = plan.policies.find((candidate) => candidate.principal === principal)!;
      for (const rule of policy.model.rules) expect(rule.path).toMatch(/\/orgs\/\{\{identity\.entity\./);
    }
  });
  it("no policy denies", () => {
    for (const policy of plan.policies) expect(policy.hcl).not.toContain('"deny"');
  });
  it("bot policy is read-only", () => {
    const bot = plan.policies.find((policy) => policy.principal === "bot")!;
    for (const rule of bot.model.rules) expect(rule.capabilities.every((capability) => capability === "read" || capability === "list")).toBe(true);
  });
  it("app reads only its own tenant", () => {
    const tenantRules = rules.filter((rule) => rule.policy === "gbo-dev-app" && rule.path.includes("/tenants/"));
    expect(tenantRules.map((rule) => rule.path)).toEqual(["secret/data/gbo/tenants/dev/*"]);
  });
  it("oidc templates use the accessor marker", () => {
    expect(policyHcl(plan, "user")).toContain("{{identity.entity.aliases.<accessor:oidc>.metadata.user}}");
  });
});

describe("policies with 1,000 orgs", () => {
  const orgs = Array.from({ length: 1000 }, (_unused, orgIndex) => ({
    id: `org-${String(orgIndex).padStart(4, "0")}`,
    bots: Array.from({ length: 10 }, (_unusedBot, botIndex) => `bot-${botIndex}`),
  }));
  const big = loadStack("dev", { stackText: devWithOrgs(orgs) }).plan;

  it("the stack has 10,000 bots", () => {
    expect(big.orgs.flatMap((org) => org.bots)).toHaveLength(10_000);
  });
  it("declares one role per bot", () => {
    expect(big.roles).toHaveLength(10_000 + 2);
  });
  it("policy count is unchanged", () => {
    expect(big.policies).toHaveLength(plan.policies.length);
  });
  for (const principal of ["app", "orgAdmin", "bot", "user", "operator"]) {
    it(`${principal} policy is unchanged`, () => {
      expect(policyHcl(big, principal)).toBe(policyHcl(plan, principal));
    });
  }
  it("deployer policy is unchanged", () => {
    expect(policyHcl(big, "deployer")).toBe(policyHcl(plan, "deployer"));
  });
});

describe("legacy layout", () => {
  const on = loadStack("dev");
  const off = loadStack("dev", { stackText: DEV.replace("  gbo-vault:legacyLayout: true\n", "") });
  const paths = (loaded: typeof on) => loaded.plan.secrets.map((secret) => secret.path);

  it("publishes the old flat paths when on", () => {
    expect(paths(on)).toContain("gbo/tables");
    expect(paths(on)).toContain("gbo/email");
  });
  it("publishes nothing when off", () => {
    expect(paths(off).filter((path) => !/^gbo\/(system|tenants)\//.test(path))).toEqual([]);
  });
  it("uses the app's snake_case keys", () => {
    const email = on.plan.secrets.find((secret) => secret.path === "gbo/email")!;
    expect(email.keys.map((key) => key.name)).toContain("smtp_host");
  });
  it("feeds old keys from the new config keys", () => {
    const tables = on.plan.secrets.find((secret) => secret.path === "gbo/tables")!;
    const password = tables.keys.find((key) => key.name === "password")!;
    expect(password.configKey).toBe("gbo-vault:infrastructure.tables.password");
  });
  it("publishes no copy with a key missing", () => {
    const partial = loadStack("dev", { stackText: DEV.replace(/      password:\n?\s*\{ secure: [^}]+\}\n/, "") });
    const secretPaths = partial.plan.secrets.map((secret) => secret.path);
    expect(secretPaths).toContain("gbo/tenants/dev/infrastructure/tables");
    expect(secretPaths).not.toContain("gbo/tables");
    const planned = partial.plan.legacyPaths.find((entry) => entry.path === "gbo/tables")!;
    expect(planned.missingConfigKeys).toEqual(["gbo-vault:infrastructure.tables.password"]);
  });
  it("leaves paths the app writes itself alone", () => {
    expect(paths(on)).not.toContain("gbo/directory");
    expect(paths(on)).not.toContain("gbo/alm");
  });
});

describe("role name collisions", () => {
  it("are rejected", () => {
    const text = devWithOrgs([
      { id: "a-b", bots: ["c"] },
      { id: "a", bots: ["b-c"] },
    ]);
    const error = thrown(() => loadStack("dev", { stackText: text }));
    expect(error).toBeInstanceOf(PlanError);
    expect(error.message).toContain('bot a/b-c and bot a-b/c both get the AppRole role "bot-a-b-c"');
  });
});

describe("staging and prod plans", () => {
  for (const stack of ["staging", "prod"]) {
    const { plan: target } = loadStack(stack);

    it(`${stack} seeds only tenant config`, () => {
      expect(target.secrets.map((secret) => secret.path)).toEqual([`gbo/tenants/${stack}/config`]);
    });
    it(`${stack} protects resources`, () => {
      expect(target.protect).toBe(true);
    });
    it(`${stack} names policies after the tenant`, () => {
      expect(target.policies.every((policy) => policy.name.startsWith(`gbo-${stack}-`))).toBe(true);
    });
    it(`${stack} declares no bot`, () => {
      expect(target.roles.map((role) => role.name)).toEqual([`botserver-${stack}`, "user"]);
    });
  }
  it("prod keeps 20 versions", () => {
    expect(loadStack("prod").plan.mounts[0]!.kvConfig.maxVersions).toBe(20);
  });
});
