import { describe, expect, it } from "vitest";
import { loadStack } from "../../infra/core/load";
import { reportFails, SCOPES, type ScopeColumn, verifyPlan } from "../../infra/verify/verify";
import { devStack, errors } from "./support";

/** Verbs of the matrix that read or change a secret's value; `metadata`, `subkeys` and `list` do neither. */
const VALUE_VERBS = ["read", "write", "delete", "undelete", "destroy", "delete-all"];

const ORG_COLUMNS: ScopeColumn[] = ["own bot", "own user", "own org: bots", "own org: users", "own org: root", "other orgs", "all orgs"];

describe.each(["dev", "staging", "prod"])("verify on shipped stack %s", (stack) => {
  const loaded = loadStack(stack);
  const report = verifyPlan(loaded.plan, loaded.catalog);

  it("has no errors", () => {
    expect(errors(report)).toEqual([]);
  });
  it("does not fail", () => {
    expect(reportFails(report)).toBe(false);
  });
  it("warns only about slashes in claims", () => {
    const slashWarnings = report.violations.filter((violation) => violation.message.includes("deny_slash_in_templated_paths"));
    expect(slashWarnings.length).toBeGreaterThan(0);
    for (const violation of slashWarnings) expect(violation.principal).toMatch(/^user with user claim ".*\/oauth"$/);
  });
  it("has a matrix row per principal", () => {
    expect(Object.keys(report.matrix).sort()).toEqual([...report.principals].sort());
  });
  it("has unique principal labels", () => {
    expect(new Set(report.principals).size).toBe(report.principals.length);
  });
  it("uses only known matrix columns", () => {
    for (const row of Object.values(report.matrix)) {
      for (const column of Object.keys(row)) expect(SCOPES).toContain(column);
    }
  });
  it("counts evaluations and probes", () => {
    expect(report.evaluations).toBeGreaterThan(report.probes);
    expect(report.probes).toBeGreaterThan(0);
  });
});

describe("verify matrix of dev", () => {
  const { plan, catalog } = devStack();
  const report = verifyPlan(plan, catalog);
  const row = (label: string) => {
    const found = report.matrix[label];
    if (found === undefined) throw new Error(`no matrix row "${label}"; rows: ${report.principals.join(", ")}`);
    return found;
  };

  it("probes every declared bot", () => {
    for (const label of ["bot acme/support", "bot acme/sales", "bot globex/helpdesk"]) {
      expect(report.principals).toContain(label);
    }
  });
  it("lets a bot read only its own secrets", () => {
    expect(row("bot acme/support")).toEqual({ "own bot": ["read", "list", "metadata"] });
    expect(row("bot acme/sales")).toEqual({ "own bot": ["read", "list", "metadata"] });
    expect(row("bot globex/helpdesk")).toEqual({ "own bot": ["read", "list", "metadata"] });
  });
  it("lets a user reach only its own user tree", () => {
    const users = report.principals.filter((label) => label.startsWith("user ") && label.includes("/verify-user-"));
    expect(users).toHaveLength(4);
    for (const label of users) {
      expect(Object.keys(row(label))).toEqual(["own user"]);
      expect(row(label)["own user"]).toContain("read");
      expect(row(label)["own user"]).toContain("write");
    }
  });
  it("lets an org admin reach only its own org", () => {
    for (const label of ["org admin acme", "org admin globex"]) {
      expect(Object.keys(row(label)).sort()).toEqual(["own org: bots", "own org: root", "own org: users"]);
      expect(row(label)["own org: bots"]).toContain("write");
      expect(row(label)["own org: users"]).toContain("write");
      expect(row(label)["own org: root"]).not.toContain("read");
    }
  });
  it("lets the app read system and tenant", () => {
    const app = row("app");
    expect(app.system).toEqual(["read"]);
    expect(app.tenant).toEqual(["read"]);
  });
  it("keeps the app off other tenants", () => {
    expect(row("app")["other tenant"]).toBeUndefined();
  });
  it("keeps the app off the control plane", () => {
    expect(row("app")["control plane"]).toBeUndefined();
  });
  it("lets the app read and write orgs", () => {
    expect(row("app")["all orgs"]).toEqual(["read", "write", "list", "metadata"]);
  });
  it("keeps the operator off secret values", () => {
    const operator = row("operator");
    for (const [column, verbs] of Object.entries(operator)) {
      if (column === "control plane") continue;
      for (const verb of VALUE_VERBS) expect(verbs, `operator ${column}`).not.toContain(verb);
    }
  });
  it("keeps the operator's control plane read-only", () => {
    expect(row("operator")["control plane"]).toEqual(["read", "list"]);
  });
  it("keeps the deployer off orgs", () => {
    const deployer = row("deployer");
    for (const column of ORG_COLUMNS) expect(deployer[column], `deployer ${column}`).toBeUndefined();
  });
  it("gives the default policy nothing", () => {
    expect(row("default policy only")).toEqual({});
  });
  it.each([
    'user with org claim "*"',
    'user with org claim "+"',
    "user with an empty org claim",
    'user with user claim "*"',
    "user without org claim",
  ])("gives %s nothing", (label) => {
    expect(row(label)).toEqual({});
  });
  it("reports a slash claim only as a warning", () => {
    const label = 'user with user claim "verify-user-2/oauth"';
    const found = report.violations.filter((violation) => violation.principal === label);
    expect(found.length).toBeGreaterThan(0);
    for (const violation of found) {
      expect(violation.severity).toBe("warning");
      expect(violation.kind).toBe("cross-user access");
      expect(violation.path).toContain("/users/verify-user-2/oauth/");
    }
  });
});
