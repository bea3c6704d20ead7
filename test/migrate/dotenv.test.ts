import * as dotenv from "dotenv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DotenvFileError, parseDotenv, type DotenvParseResult } from "../../infra/migrate/dotenv";

function valuesOf(result: DotenvParseResult): Record<string, string> {
  return Object.fromEntries(result.entries.map((entry) => [entry.key, entry.value]));
}

function parseValues(text: string | Buffer): Record<string, string> {
  return valuesOf(parseDotenv(text, ".env"));
}

/** Inputs for which dotenv.parse defines a result, each compared with this parser. */
const ORACLE_CASES: Array<[string, string]> = [
  ["plain assignments", "A=1\nB=two\n"],
  ["full-line comments", "# comment\nA=1\n  # indented comment\nB=2\n"],
  ["inline comment after unquoted", "A=value # comment\nB=value#no-space\n"],
  ["comment character in quotes", "A='a # b'\nB=\"c # d\"\nC=`e # f`\n"],
  ["comment after quoted value", "A='x' # comment\nB=\"y\"   # comment\n"],
  ["export prefix", "export A=1\nexport   B = 2\nexport=3\nexportC=4\n"],
  ["single quotes are literal", "A='a\\nb $HOME \\t'\n"],
  ["double quotes expand newline", 'A="line1\\nline2\\rend"\n'],
  ["escaped double quote", 'A="say \\"hi\\""\n'],
  ["escaped quote then text", 'A="a\\"b" trailing\n'],
  ["backticks", "A=`it's \"quoted\"`\nB=`no \\n expansion`\n"],
  ["multi-line double quoted", 'A="line one\nline two\n  line three"\nB=after\n'],
  ["multi-line single quoted", "A='-----BEGIN KEY-----\nabc\n-----END KEY-----'\nB=1\n"],
  ["multi-line backtick", "A=`one\ntwo`\n"],
  ["equals inside values", "A=a=b=c\nB='x=y'\nC=postgres://u:p@h:5432/db?sslmode=require\n"],
  ["empty values", "A=\nB=''\nC=\"\"\nD=``\nE= \nF=#comment\n"],
  ["CRLF line endings", "A=1\r\nB='two'\r\nC=\"x\r\ny\"\r\n"],
  ["lone CR line endings", "A=1\rB=2\r"],
  ["byte-order mark", "\uFEFFA=1\nB=2\n"],
  ["whitespace around keys and values", "  A  =  spaced value  \n\tB\t=\tx\t\n"],
  ["whitespace inside quotes kept", "A='  padded  '\nB=\"  padded  \"\n"],
  ["duplicate keys", "A=1\nB=2\nA=3\n"],
  ["colon separator", "A: value\nB:novalue\nC : nope\n"],
  ["keys with dots and dashes", "a.b-c_D=1\n"],
  ["unclosed quote is literal", 'A="abc\nB=def\n'],
  ["mismatched quotes", "A='abc\"\nB=\"x'\n"],
  ["text after closing quote", "A='abc' def\n"],
  ["quote inside unquoted value", "A=it's\nB=say \"hi\"\n"],
  ["value surrounded by quotes after text", "A=\"x\"y\"\n"],
  ["escaped closing quote backtracks", "A='x\\' # it's\n"],
  ["escaped quote at line end", 'A="x\\"\ny"\nB=1\n'],
  ["backslashes kept", "A=C:\\path\\n\nB='C:\\dir'\n"],
  ["invalid lines skipped", "not a line\nA=1\n=novalue\nBAD KEY=2\n'quoted'\nB=3\n"],
  ["unicode values", "A=héllo wörld ✓\nB='日本語'\n"],
  ["no trailing newline", "A=1\nB=2"],
  ["only comments and blanks", "# a\n\n   \n# b"],
  ["empty file", ""],
];

describe("parseDotenv matches dotenv.parse", () => {
  for (const [name, text] of ORACLE_CASES) {
    it(name, () => {
      expect(parseValues(text)).toEqual(dotenv.parse(text));
    });
  }

  it("Buffer input with BOM", () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("A=1\nB='x'\n")]);
    expect(parseValues(bytes)).toEqual(dotenv.parse(bytes));
  });
});

describe("parseDotenv edge cases", () => {
  it("skips comment lines", () => {
    const result = parseDotenv("# A=1\nB=2 # not part\n", ".env");
    expect(result.entries).toEqual([{ key: "B", value: "2", line: 2 }]);
    expect(result.invalidLines).toEqual([]);
  });

  it("strips export prefix", () => {
    expect(parseValues("export TOKEN=abc\n")).toEqual({ TOKEN: "abc" });
  });

  it("keeps single quotes literal", () => {
    expect(parseValues("A='a\\nb'\n").A).toBe("a\\nb");
  });

  it("expands newline in double quotes", () => {
    expect(parseValues('A="a\\nb"\n').A).toBe("a\nb");
  });

  it("keeps backslash of escaped quote", () => {
    expect(parseValues('A="say \\"hi\\""\n').A).toBe('say \\"hi\\"');
  });

  it("reads backtick values", () => {
    expect(parseValues("A=`it's \"x\"`\n").A).toBe("it's \"x\"");
  });

  it("reads multi-line values", () => {
    const result = parseDotenv('A="one\ntwo\nthree"\nB=4\n', ".env");
    expect(result.entries).toEqual([
      { key: "A", value: "one\ntwo\nthree", line: 1 },
      { key: "B", value: "4", line: 4 },
    ]);
  });

  it("keeps equals inside value", () => {
    expect(parseValues("URL=a=b==\n").URL).toBe("a=b==");
  });

  it("reads empty values", () => {
    expect(parseValues('A=\nB=""\n')).toEqual({ A: "", B: "" });
  });

  it("numbers lines across CRLF", () => {
    const result = parseDotenv("A=1\r\n\r\nB=2\r\n", ".env");
    expect(result.entries).toEqual([
      { key: "A", value: "1", line: 1 },
      { key: "B", value: "2", line: 3 },
    ]);
  });

  it("ignores byte-order mark", () => {
    expect(parseDotenv("\uFEFFA=1\n", ".env").entries).toEqual([{ key: "A", value: "1", line: 1 }]);
    expect(parseDotenv(Buffer.from("\uFEFFA=1\n"), ".env").entries).toEqual([{ key: "A", value: "1", line: 1 }]);
  });

  it("trims whitespace around key and value", () => {
    expect(parseValues("   KEY   =   some value   \n")).toEqual({ KEY: "some value" });
  });

  it("last duplicate wins in first-seen order", () => {
    const result = parseDotenv("A=1\nB=2\nA=3\nC=4\nA=5\nB=6\n", ".env");
    expect(result.entries).toEqual([
      { key: "A", value: "5", line: 5 },
      { key: "B", value: "6", line: 6 },
      { key: "C", value: "4", line: 4 },
    ]);
    expect(result.duplicates).toEqual([
      { key: "A", lines: [1, 3, 5] },
      { key: "B", lines: [2, 6] },
    ]);
  });

  it("reports invalid lines by number", () => {
    const result = parseDotenv("A=1\nsk-live-0123456789\n=orphan\nMY KEY=x\nB=2\n", ".env");
    expect(valuesOf(result)).toEqual({ A: "1", B: "2" });
    expect(result.invalidLines.map((report) => report.line)).toEqual([2, 3, 4]);
    expect(result.invalidLines[0]!.reason).toMatch(/not followed by '='/);
    expect(result.invalidLines[1]!.reason).toMatch(/does not start with a variable name/);
  });

  it("reports never contain values", () => {
    const text = [
      "LEAK1-secret-marker",
      "=LEAK2-secret-marker",
      "A=\"LEAK3-secret-marker",
      "A=LEAK4-secret-marker",
      "B=LEAK5\0secret-marker",
    ].join("\n");
    const result = parseDotenv(text, ".env");
    const reports = JSON.stringify([result.invalidLines, result.warnings, result.duplicates]);
    expect(reports).not.toMatch(/LEAK|secret-marker/);
    expect(result.invalidLines).toHaveLength(3);
    expect(result.warnings).toHaveLength(1);
  });

  it("warns about an unclosed quote", () => {
    const result = parseDotenv('A="abc\nB=2\n', ".env");
    expect(valuesOf(result)).toEqual({ A: '"abc', B: "2" });
    expect(result.warnings).toEqual([{ line: 1, reason: expect.stringMatching(/never closes/) }]);
  });

  it("reports key and equals split across lines", () => {
    // dotenv.parse joins these two lines into KEY=value; this parser reports both instead.
    const result = parseDotenv("KEY\n=value\n", ".env");
    expect(result.entries).toEqual([]);
    expect(result.invalidLines.map((report) => report.line)).toEqual([1, 2]);
  });
});

describe("parseDotenv binary input", () => {
  it("reports NUL byte in value", () => {
    const result = parseDotenv(Buffer.from("A=1\nB=x\0y\nC=3\n"), ".env");
    expect(valuesOf(result)).toEqual({ A: "1", C: "3" });
    expect(result.invalidLines).toEqual([{ line: 2, reason: expect.stringMatching(/NUL byte/) }]);
  });

  it("reports invalid UTF-8 lines", () => {
    const bytes = Buffer.concat([
      Buffer.from("A=1\nB="),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from("\r\nC=3\n"),
    ]);
    const result = parseDotenv(bytes, ".env");
    expect(valuesOf(result)).toEqual({ A: "1", C: "3" });
    expect(result.invalidLines).toEqual([{ line: 2, reason: "the line is not valid UTF-8" }]);
    expect(result.entries.find((entry) => entry.key === "C")!.line).toBe(3);
  });

  it("drops multi-line value over invalid UTF-8", () => {
    const bytes = Buffer.concat([Buffer.from('A="one\n'), Buffer.from([0xfe, 0x41]), Buffer.from('\nthree"\nB=2\n')]);
    const result = parseDotenv(bytes, ".env");
    expect(valuesOf(result)).toEqual({ B: "2" });
    expect(result.invalidLines.map((report) => report.line)).toEqual([1, 2]);
  });

  it("survives random binary garbage", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        if (buffer.length >= 2 && ((buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff))) {
          expect(() => parseDotenv(buffer, "garbage.env")).toThrow(DotenvFileError);
          return;
        }
        const result = parseDotenv(buffer, "garbage.env");
        for (const entry of result.entries) {
          expect(entry.value).not.toContain("\0");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("rejects UTF-16 with a clear error", () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("A=1\n", "utf16le")]);
    expect(() => parseDotenv(utf16, "prod.env")).toThrow(DotenvFileError);
    expect(() => parseDotenv(utf16, "prod.env")).toThrow(/prod\.env: the file is encoded as UTF-16/);
  });
});

describe("parseDotenv large files", () => {
  it("parses 10 MB in linear time", () => {
    const lines: string[] = [];
    let size = 0;
    for (let index = 0; size < 10 * 1024 * 1024; index++) {
      const kind = index % 5;
      const line =
        kind === 0
          ? `KEY_${index}=plain-value-${index}-abcdefghijklmnopqrstuvwxyz # comment`
          : kind === 1
            ? `export KEY_${index}='single quoted ${index} with = and # inside'`
            : kind === 2
              ? `KEY_${index}="double\\nquoted\nmulti-line ${index}"`
              : kind === 3
                ? `# comment line ${index} with 'stray' "quotes"`
                : `KEY_${index % 1000}=duplicate-${index}`;
      lines.push(line);
      size += line.length + 1;
    }
    const text = lines.join("\n");

    const started = performance.now();
    const result = parseDotenv(text, "large.env");
    const elapsedMs = performance.now() - started;

    expect(text.length).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    expect(elapsedMs).toBeLessThan(5000);
    expect(result.invalidLines).toEqual([]);
    expect(valuesOf(result)).toEqual(dotenv.parse(text));
  });

  it("parses unclosed quotes in linear time", () => {
    // Each line opens a quote that never closes and contains escaped quotes that cannot close it either. A
    // parser that rescans for the closing quote from every line takes quadratic time on this input.
    const line = 'KEY="abc \\" def \\" ghi';
    const text = Array.from({ length: 400_000 }, () => line).join("\n");

    const started = performance.now();
    const result = parseDotenv(text, "unclosed.env");
    const elapsedMs = performance.now() - started;

    expect(elapsedMs).toBeLessThan(5000);
    expect(result.entries).toEqual([{ key: "KEY", value: '"abc \\" def \\" ghi', line: 400_000 }]);
    expect(result.warnings).toHaveLength(400_000);
  });
});

describe("parseDotenv property tests", () => {
  const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,6}$/);
  const unquotedValue = fc.stringMatching(/^[A-Za-z0-9 _=:\/.,@!$%^&*()+\\-]{0,20}$/);
  const quotedContent = (quote: string) =>
    fc.stringMatching(/^[A-Za-z0-9 _=#:\/\n'"`\\-]{0,20}$/).map((content) => content.split(quote).join(""));
  const value = fc.oneof(
    unquotedValue,
    quotedContent("'").map((content) => `'${content}'`),
    quotedContent('"').map((content) => `"${content}"`),
    quotedContent("`").map((content) => `\`${content}\``),
  );
  const spaces = fc.constantFrom("", " ", "  ", "\t");
  const comment = fc.oneof(fc.constant(""), fc.stringMatching(/^[A-Za-z0-9 '"`=#]{0,12}$/).map((text) => ` # ${text}`));
  const assignment = fc
    .tuple(fc.boolean(), spaces, key, spaces, spaces, value, comment)
    .map(([exported, indent, name, beforeEquals, afterEquals, text, trailing]) => {
      const prefix = exported ? "export " : "";
      return `${indent}${prefix}${name}${beforeEquals}=${afterEquals}${text}${trailing}`;
    });
  const line = fc.oneof(
    { weight: 6, arbitrary: assignment },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9 '"=]{0,12}$/).map((text) => `# ${text}`) },
    { weight: 1, arbitrary: spaces },
  );
  const file = fc
    .tuple(fc.array(line, { maxLength: 20 }), fc.constantFrom("\n", "\r\n"), fc.boolean())
    .map(([lines, ending, finalNewline]) => lines.join(ending) + (finalNewline ? ending : ""));

  it("agrees with dotenv on generated files", () => {
    fc.assert(
      fc.property(file, (text) => {
        expect(parseValues(text)).toEqual(dotenv.parse(text));
      }),
      { numRuns: 2000 },
    );
  });

  it("reports every repeated key", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("A", "B", "C", "D"), { maxLength: 30 }), (keys) => {
        const result = parseDotenv(keys.map((name, index) => `${name}=${index}`).join("\n"), ".env");
        for (const name of new Set(keys)) {
          const expectedLines = keys.flatMap((other, index) => (other === name ? [index + 1] : []));
          const reported = result.duplicates.find((duplicate) => duplicate.key === name);
          if (expectedLines.length > 1) {
            expect(reported?.lines).toEqual(expectedLines);
          } else {
            expect(reported).toBeUndefined();
          }
          const entry = result.entries.find((candidate) => candidate.key === name)!;
          expect(entry.line).toBe(expectedLines[expectedLines.length - 1]);
        }
      }),
    );
  });
});
