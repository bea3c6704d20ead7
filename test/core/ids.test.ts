import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type IdKind, idProblem, InvalidIdError, MAX_ID_LENGTH, RESERVED_IDS, validateId } from "../../infra/core/ids";
import { thrown } from "./support";

const KINDS: IdKind[] = ["tenant", "org", "bot", "user", "provider", "name"];

/** Characters that would add a segment, a glob, a segment wildcard or an identity template to a policy path. */
const WIDENING = ["/", "*", "+", "{", "}"];

describe("validateId rejects", () => {
  const rejected: Array<[string, unknown, RegExp]> = [
    ["slash", "acme/bots", /slash/],
    ["leading slash", "/acme", /slash/],
    ["glob", "acme*", /glob/],
    ["lone glob", "*", /glob/],
    ["segment wildcard", "ac+me", /segment wildcard/],
    ["template start", "{acme", /identity template/],
    ["template end", "acme}", /identity template/],
    ["whole template", "{{identity.entity.id}}", /identity template/],
    ["dot-dot", "..", /'\.\.'/],
    ["dot-dot inside", "a..b", /'\.\.'/],
    ["leading dot", ".hidden", /start with '\.'/],
    ["space", "ac me", /whitespace/],
    ["tab", "acme\t", /whitespace/],
    ["newline", "acme\n", /whitespace/],
    ["non-breaking space", "ac\u00a0me", /whitespace/],
    ["empty", "", /empty/],
    ["too long", "a".repeat(MAX_ID_LENGTH + 1), /at most 128/],
    ["colon", "a:b", /only letters/],
    ["percent escape", "a%2Fb", /only letters/],
    ["backslash", "a\\b", /only letters/],
    ["non-ASCII letter", "açme", /only letters/],
    ["NUL byte", "a\u0000b", /only letters/],
    ["number", 42, /must be a string, got number/],
    ["null", null, /must be a string, got null/],
    ["undefined", undefined, /must be a string, got undefined/],
    ["object", { id: "acme" }, /must be a string, got object/],
  ];
  for (const [name, value, reason] of rejected) {
    it(`${name}`, () => {
      const error = thrown(() => validateId("org", value));
      expect(error).toBeInstanceOf(InvalidIdError);
      expect(error.message).toMatch(reason);
    });
  }

  it("error names kind and value", () => {
    const error = thrown(() => validateId("bot", "a/b")) as InvalidIdError;
    expect(error.message).toContain('invalid bot id "a/b"');
    expect(error.kind).toBe("bot");
    expect(error.value).toBe("a/b");
  });

  for (const kind of KINDS) {
    for (const word of RESERVED_IDS[kind]) {
      it(`reserved ${kind} id ${word}`, () => {
        expect(idProblem(kind, word)).toMatch(/reserved/);
      });
      it(`reserved ${kind} id ${word} in upper case`, () => {
        expect(idProblem(kind, word.toUpperCase())).toMatch(/reserved/);
      });
    }
  }

  it("data and metadata for every kind", () => {
    for (const kind of KINDS) {
      expect(RESERVED_IDS[kind]).toContain("data");
      expect(RESERVED_IDS[kind]).toContain("metadata");
    }
  });

  it("default as bot id", () => {
    expect(idProblem("bot", "default")).toMatch(/reserved/);
  });

  it("default as tenant id", () => {
    expect(idProblem("tenant", "default")).toMatch(/reserved/);
  });
});

describe("validateId accepts", () => {
  const accepted: Array<[string, string]> = [
    ["lower-case UUID", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"],
    ["upper-case UUID", "3F2504E0-4F89-11D3-9A0C-0305E82C3301"],
    ["numeric Zitadel id", "263846374648923136"],
    ["slug", "acme-corp"],
    ["snake case", "support_bot"],
    ["single dot", "v1.2"],
    ["single character", "a"],
    ["maximum length", "a".repeat(MAX_ID_LENGTH)],
    ["tenant name", "staging"],
  ];
  for (const [name, value] of accepted) {
    it(`${name}`, () => {
      expect(validateId("org", value)).toBe(value);
    });
  }

  it("default as org id", () => {
    expect(idProblem("org", "default")).toBeUndefined();
  });
});

describe("validateId property", () => {
  const candidate = fc.oneof(
    fc.string({ maxLength: 140 }),
    fc.string({ unit: fc.constantFrom(..."ab-_.09/*+{} \t".split("")), maxLength: 20 }),
    fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/),
  );

  it("accepted ids contain no widening character", () => {
    fc.assert(
      fc.property(candidate, (value) => {
        if (idProblem("org", value) !== undefined) return;
        for (const char of WIDENING) expect(value).not.toContain(char);
        expect(value).not.toContain("..");
        expect(value).not.toMatch(/\s/);
      }),
      { numRuns: 2000 },
    );
  });

  it("accepted id adds exactly one segment", () => {
    fc.assert(
      fc.property(candidate, (value) => {
        if (idProblem("bot", value) !== undefined) return;
        const base = "secret/data/gbo/orgs/acme/bots";
        const built = `${base}/${validateId("bot", value)}/email`;
        expect(built.split("/")).toHaveLength(base.split("/").length + 2);
        expect(built.split("/").filter((segment) => segment === "")).toHaveLength(0);
      }),
      { numRuns: 2000 },
    );
  });

  it("validateId agrees with idProblem", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KINDS), candidate, (kind, value) => {
        const problem = idProblem(kind, value);
        if (problem === undefined) expect(validateId(kind, value)).toBe(value);
        else expect(() => validateId(kind, value)).toThrow(InvalidIdError);
      }),
      { numRuns: 1000 },
    );
  });
});
