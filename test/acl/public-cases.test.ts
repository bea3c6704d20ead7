import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCaseFile, runCases } from "../../infra/acl";

const PUBLIC_CASES = path.resolve(__dirname, "../../../shared/cases/vault-acl/public.json");

describe("public Vault ACL cases", () => {
  it("case file exists", () => {
    expect(existsSync(PUBLIC_CASES), `public case file not found at ${PUBLIC_CASES}`).toBe(true);
  });

  it("every check passes", () => {
    const cases = loadCaseFile(PUBLIC_CASES);
    expect(cases).toHaveLength(46);
    const summary = runCases(cases);
    const failures = summary.results.filter((result) => !result.pass);
    expect(failures).toEqual([]);
    expect(summary.failed).toBe(0);
    // 139 checks in the policy cases plus one result per template case.
    expect(summary.passed).toBe(139 + 17);
  });

  it("template results use index 0", () => {
    const summary = runCases(loadCaseFile(PUBLIC_CASES));
    const templateIds = new Set(loadCaseFile(PUBLIC_CASES).filter((c) => c.kind === "template").map((c) => c.id));
    for (const result of summary.results.filter((r) => templateIds.has(r.id))) expect(result.index).toBe(0);
  });
});
