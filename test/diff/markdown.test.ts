import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DiffReport } from "../../infra/diff/diff";
import { commentMarker, formatDiffMarkdown, GITHUB_COMMENT_LIMIT } from "../../infra/diff/format";
import { diff, makeRepo, type ScratchRepo } from "./support";

const FENCE = /^```/;

function fenceLines(markdown: string): string[] {
  return markdown.split("\n").filter((line) => FENCE.test(line));
}

describe("markdown diff of thousands of changes", () => {
  let scratch: ScratchRepo;
  let markdown: string;
  let fullText: string;
  beforeAll(async () => {
    scratch = makeRepo();
    const bots = Array.from({ length: 1500 }, (_, index) => `bot-${index}`);
    scratch.editStack("dev", (document) => {
      document.setIn(["config", "gbo-vault:orgs"], [
        { id: "acme", bots: ["support", "sales"] },
        { id: "globex", bots: ["helpdesk"] },
        { id: "massive", bots },
      ]);
    });
    const result = await diff(scratch, "dev", "HEAD", ["--format", "markdown"]);
    expect(result.code).toBe(0);
    markdown = result.stdout;
    fullText = (await diff(scratch, "dev", "HEAD")).stdout;
  });
  afterAll(() => scratch.cleanup());

  it("has thousands of changes in the full report", () => {
    expect(fullText.split("\n").length).toBeGreaterThan(5000);
    expect(Buffer.byteLength(fullText)).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
  });

  it("stays under GitHub's comment limit", () => {
    expect(markdown.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(Buffer.byteLength(markdown)).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
  });

  it("ends with the truncation note", () => {
    expect(markdown).toMatch(/> \*\*Truncated:\*\* \d+ more line\(s\) in \d+ section\(s\) were left out/);
    expect(markdown.trimEnd().endsWith("for the full report.")).toBe(true);
  });

  it("starts with the comment marker", () => {
    expect(markdown.startsWith(commentMarker("dev"))).toBe(true);
  });

  it("keeps the destructive and cross-scope lines", () => {
    expect(markdown).toContain("#### Destructive changes (0, 0 not allowed)");
    expect(markdown).toContain("cross-scope: nobody gains cross-org");
  });

  it("cuts only whole lines", () => {
    const bullets = markdown.split("\n").filter((line) => line.startsWith("- "));
    const full = new Set(fullText.split("\n").map((line) => line.trim()));
    for (const bullet of bullets) {
      expect(full.has(bullet.slice(2).replace(/`/g, ""))).toBe(true);
    }
  });
});

function syntheticReport(ruleCount: number): DiffReport {
  return {
    stack: "dev",
    base: { ref: "origin/main", commit: "0123456789abcdef0123456789abcdef01234567", stackExists: true, code: "revision" },
    resources: [],
    policies: [
      {
        name: "gbo-dev-huge",
        action: "change",
        rules: Array.from({ length: ruleCount }, (_, index) => ({ path: `secret/data/gbo/system/rule-${index}`, action: "add" as const, after: ["read"] })),
      },
    ],
    access: { changes: [], gainedCrossScope: [], lostCrossScope: [], unchangedCrossScope: 0 },
    values: { changes: [], reEncryptedUnchanged: 0, decrypted: false, notes: [] },
    gate: { destructive: [], gated: [], unused: [], unknownStack: [], alreadyAtBase: [] },
  };
}

describe("markdown cut inside a code block", () => {
  const markdown = formatDiffMarkdown(syntheticReport(5000));

  it("stays under the limit", () => {
    expect(Buffer.byteLength(markdown)).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
  });

  it("closes every code fence", () => {
    const fences = fenceLines(markdown);
    expect(fences.length % 2).toBe(0);
    expect(fences.filter((line) => line === "```").length).toBe(fences.length / 2);
  });

  it("puts the note after the closing fence", () => {
    const lastFence = markdown.lastIndexOf("\n```\n");
    expect(markdown.indexOf("**Truncated:**")).toBeGreaterThan(lastFence);
  });

  it("counts the lines left out", () => {
    const keptRules = markdown.split("\n").filter((line) => line.startsWith("+ secret/data/gbo/system/rule-")).length;
    expect(keptRules).toBeGreaterThan(0);
    // The rules that did not fit, plus the two lines of the values section that follows.
    expect(markdown).toContain(`**Truncated:** ${5000 - keptRules + 2} more line(s) in 2 section(s)`);
  });

  it("keeps a small report whole", () => {
    const small = formatDiffMarkdown(syntheticReport(3));
    expect(small).not.toContain("Truncated");
    expect(fenceLines(small)).toEqual(["```diff", "```"]);
  });

  it("honours a smaller limit", () => {
    const limited = formatDiffMarkdown(syntheticReport(5000), 4000);
    expect(Buffer.byteLength(limited)).toBeLessThanOrEqual(4000);
    expect(limited).toContain("**Truncated:**");
  });
});
