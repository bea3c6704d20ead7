import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadStack } from "../../infra/core/load";
import { PROJECT_ROOT } from "../../infra/core/project";
import { reportFails, verifyPlan } from "../../infra/verify/verify";

const DEV = readFileSync(path.join(PROJECT_ROOT, "stacks", "Pulumi.dev.yaml"), "utf8");

function verifyDev(text: string) {
  const { plan, catalog } = loadStack("dev", { stackText: text });
  return verifyPlan(plan, catalog);
}

describe("deny_slash_in_templated_paths", () => {
  it("without it a slash in a claim is a warning", () => {
    const report = verifyDev(DEV);
    const slash = report.violations.filter((violation) => violation.message.includes("deny_slash_in_templated_paths"));
    expect(slash.length).toBeGreaterThan(0);
    expect(slash.every((violation) => violation.severity === "warning")).toBe(true);
  });

  it("declared, the slash claim reaches nothing", () => {
    const text = DEV.replace("  gbo-vault:legacyLayout: true\n", "  gbo-vault:legacyLayout: true\n  gbo-vault:vaultDeniesSlashInTemplates: true\n");
    const report = verifyDev(text);
    expect(report.violations).toEqual([]);
    expect(reportFails(report, { strict: true })).toBe(false);
  });
});
