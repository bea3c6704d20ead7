/**
 * Each test breaks one policy of the dev plan the way a careless edit would, and checks that verify fails with
 * the violation kind that names the mistake.
 */
import { describe, expect, it } from "vitest";
import type { PolicyRule } from "../../infra/core/hcl";
import { loadStack } from "../../infra/core/load";
import { template } from "../../infra/core/paths";
import { reportFails, verifyPlan } from "../../infra/verify/verify";
import { devStack, errorKinds, errors, mutatePolicy, stackTextWith } from "./support";

const BOT_ORG = template.entityMetadata("org");
const BOT_NAME = template.entityMetadata("bot");
const USER_ORG = template.aliasMetadata("oidc", "org");

function verifyMutated(principal: Parameters<typeof mutatePolicy>[0], edit: (rules: PolicyRule[]) => PolicyRule[]) {
  return verifyPlan(mutatePolicy(principal, edit), devStack().catalog);
}

function replaceInPaths(rules: PolicyRule[], from: string, to: string): PolicyRule[] {
  return rules.map((rule) => ({ ...rule, path: rule.path.split(from).join(to) }));
}

describe("verify on mutated dev policies", () => {
  it("leaves the shipped plan unchanged", () => {
    const before = JSON.stringify(devStack().plan);
    mutatePolicy("bot", () => []);
    expect(JSON.stringify(devStack().plan)).toBe(before);
  });

  it("reports bot wildcards as cross-bot and cross-org", () => {
    const report = verifyMutated("bot", (rules) =>
      rules.map((rule) => (rule.path.startsWith("secret/data/") ? { ...rule, path: "secret/data/gbo/orgs/+/bots/+/*" } : rule)),
    );
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toContain("cross-bot access");
    expect(errorKinds(report)).toContain("cross-org access");
    const crossBot = errors(report).find((violation) => violation.kind === "cross-bot access")!;
    expect(crossBot.principal).toMatch(/^bot acme\//);
    expect(crossBot.path).toMatch(/^secret\/data\/gbo\/orgs\/acme\/bots\//);
  });

  it("reports a user glob over orgs", () => {
    const report = verifyMutated("user", (rules) => [...rules, { path: "secret/data/gbo/orgs/*", capabilities: ["read"] }]);
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toContain("cross-user access");
    expect(errorKinds(report)).toContain("cross-org access");
    const crossUser = errors(report).find((violation) => violation.kind === "cross-user access" && violation.principal?.startsWith("user acme/"));
    expect(crossUser?.path).toMatch(/^secret\/data\/gbo\/orgs\/acme\/users\//);
  });

  it("reports app policy writes as control-plane write", () => {
    const report = verifyMutated("app", (rules) => [...rules, { path: "sys/policies/acl/*", capabilities: ["update"] }]);
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toEqual(["control-plane write"]);
    for (const violation of errors(report)) {
      expect(violation.principal).toBe("app");
      expect(violation.path).toMatch(/^sys\/policies\/acl\//);
    }
  });

  it("reports org admin entity writes", () => {
    const report = verifyMutated("orgAdmin", (rules) => [...rules, { path: "identity/entity/id/*", capabilities: ["update"] }]);
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toEqual(["identity writable"]);
    for (const violation of errors(report)) expect(violation.principal).toMatch(/^org admin /);
  });

  it("reports a templated deny", () => {
    // A path that no principal needs, so the deny itself takes nothing away that verify would report.
    const denied = `secret/destroy/gbo/orgs/${USER_ORG}/bots/*`;
    const report = verifyMutated("user", (rules) => [...rules, { path: denied, capabilities: ["deny"] }]);
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toEqual(["templated deny"]);
    expect(errors(report)[0]!.policy).toBe("gbo-dev-user");
    expect(errors(report)[0]!.path).toContain("{{identity.entity.aliases.");
  });

  it("reports a rule without the KV v2 segment", () => {
    const report = verifyMutated("app", (rules) => [...rules, { path: "secret/gbo/orgs/*", capabilities: ["read"] }]);
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toEqual(["rule without KV v2 segment"]);
    expect(errors(report)[0]!.path).toBe("secret/gbo/orgs/*");
  });

  it("reports a deny-only policy", () => {
    const report = verifyMutated("operator", () => [{ path: "secret/data/gbo/*", capabilities: ["deny"] }]);
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toEqual(["policy grants nothing"]);
    for (const violation of errors(report)) expect(violation.policy).toBe("gbo-dev-operator");
  });

  it("reports a policy whose template never renders", () => {
    // Bots authenticate through AppRole and carry no OIDC alias, so this template has no value for any bot.
    const report = verifyMutated("bot", (rules) => replaceInPaths(rules, BOT_ORG, USER_ORG));
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toContain("policy grants nothing");
    expect(errorKinds(report)).toContain("missing access");
  });

  it("reports the app contract without legacy reads", () => {
    const report = verifyMutated("app", (rules) => rules.filter((rule) => rule.path !== "secret/data/gbo/tables" && !rule.path.includes("+")));
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toContain("app contract");
    const contract = errors(report).filter((violation) => violation.kind === "app contract");
    expect(contract.map((violation) => violation.path)).toContain("secret/data/gbo/tables");
    expect(contract.map((violation) => violation.path)).toContain("secret/data/gbo/verify-bot-name");
  });

  it("reports a bot without its data read", () => {
    const report = verifyMutated("bot", (rules) => rules.filter((rule) => !rule.path.startsWith("secret/data/")));
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toEqual(["missing access"]);
    for (const violation of errors(report)) {
      expect(violation.principal).toMatch(/^bot /);
      expect(violation.operation).toBe("read");
      expect(violation.path).toMatch(/^secret\/data\/gbo\/orgs\/[^/]+\/bots\//);
    }
  });

  it("reports an app read of all tenants", () => {
    const report = verifyMutated("app", (rules) => replaceInPaths(rules, "secret/data/gbo/tenants/dev/*", "secret/data/gbo/tenants/*"));
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toEqual(["cross-tenant access"]);
  });

  it("reports deployer secret-id writes", () => {
    const report = verifyMutated("deployer", (rules) => [...rules, { path: "auth/approle/role/+/secret-id", capabilities: ["update"] }]);
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toEqual(["control-plane write"]);
    expect(errors(report)[0]!.path).toMatch(/\/secret-id$/);
  });

  it("reports an org admin without the org template", () => {
    const report = verifyMutated("orgAdmin", (rules) => replaceInPaths(rules, USER_ORG, "+"));
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toEqual(["cross-org access"]);
  });

  it("reports a user without the user template", () => {
    const userTemplate = `/users/${template.aliasMetadata("oidc", "user")}/*`;
    const report = verifyMutated("user", (rules) => replaceInPaths(rules, userTemplate, "/users/*"));
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toContain("cross-user access");
    const crossUser = errors(report).filter((violation) => violation.kind === "cross-user access" && violation.principal?.startsWith("user acme/"));
    expect(crossUser.length).toBeGreaterThan(0);
    for (const violation of crossUser) expect(violation.path).toMatch(/\/gbo\/orgs\/acme\/users\//);
  });

  it("reports a bot template without its slash", () => {
    // `bots/{{bot}}*` also matches every bot whose id starts with the own id, such as sales-eu for sales.
    const loaded = loadStack("dev", {
      stackText: stackTextWith({ orgs: [{ id: "acme", bots: ["sales", "sales-eu"] }, { id: "globex", bots: ["helpdesk"] }] }),
    });
    const plan = structuredClone(loaded.plan);
    const bot = plan.policies.find((policy) => policy.principal === "bot")!;
    bot.hcl = bot.hcl.split(`${BOT_NAME}/*`).join(`${BOT_NAME}*`);
    const report = verifyPlan(plan, loaded.catalog);
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toEqual(["cross-bot access"]);
    expect(errors(report)[0]!.principal).toBe("bot acme/sales");
  });

  // NOTE: verify probes a bot only against its own org's next bot and the next org's first bot. So a bot
  // policy that ignores the org (`orgs/+/bots/{{bot}}/*`) passes unless two declared orgs have a bot of the
  // same id, and every bot `support` would then read every other org's bot `support`. Verify should also probe
  // the principal's own bot id under another org.
  it("reports a bot policy that ignores the org", () => {
    const report = verifyMutated("bot", (rules) => replaceInPaths(rules, BOT_ORG, "+"));
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toContain("cross-org access");
  });

  it("reports an org-blind bot policy when ids repeat", () => {
    const loaded = loadStack("dev", {
      stackText: stackTextWith({ orgs: [{ id: "acme", bots: ["support"] }, { id: "globex", bots: ["support"] }] }),
    });
    const plan = structuredClone(loaded.plan);
    const bot = plan.policies.find((policy) => policy.principal === "bot")!;
    bot.hcl = bot.hcl.split(BOT_ORG).join("+");
    const report = verifyPlan(plan, loaded.catalog);
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toEqual(["cross-org access"]);
  });

  // A user claim may be unique per org only (an email or a login name rather than Zitadel's `sub`), so one
  // org's user must not reach another org's user of the same name.
  it("reports a user policy that ignores the org", () => {
    const report = verifyMutated("user", (rules) => replaceInPaths(rules, USER_ORG, "+"));
    expect(reportFails(report)).toBe(true);
    expect(errorKinds(report)).toContain("cross-org access");
  });

  // The synthetic orgs that verify adds must not reuse a declared org's id.
  it("reports org-blind admins beside verify-org-a", () => {
    const loaded = loadStack("dev", { stackText: stackTextWith({ orgs: [{ id: "verify-org-a", bots: ["support"] }] }) });
    const plan = structuredClone(loaded.plan);
    const orgAdmin = plan.policies.find((policy) => policy.principal === "orgAdmin")!;
    orgAdmin.hcl = orgAdmin.hcl.split(USER_ORG).join("+");
    const report = verifyPlan(plan, loaded.catalog);
    expect(new Set(report.principals).size).toBe(report.principals.length);
    expect(errorKinds(report)).toContain("cross-org access");
  });
});
