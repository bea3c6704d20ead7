import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadCaseFile, runCases } from "../../infra/acl";

// The shared case folder sits beside the repository in CI; a checkout without it uses the copy kept in
// fixtures/, so the cases run either way.
const CASE_FOLDER = path.resolve(__dirname, "../../../shared/cases/vault-acl");
const SHARED_PUBLIC = path.join(CASE_FOLDER, "public.json");
const PUBLIC_CASES = existsSync(SHARED_PUBLIC) ? SHARED_PUBLIC : path.join(__dirname, "fixtures", "vault-acl-public.json");

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

describe("every Vault ACL case file beside the public one", () => {
  const files = existsSync(CASE_FOLDER)
    ? readdirSync(CASE_FOLDER).filter((name) => /\.(json|ya?ml)$/.test(name) && name !== "public.json")
    : [];
  it.skipIf(files.length === 0)("passes every check", () => {
    for (const name of files) {
      const summary = runCases(loadCaseFile(path.join(CASE_FOLDER, name)));
      expect(summary.results.filter((result) => !result.pass), name).toEqual([]);
    }
  });
});
