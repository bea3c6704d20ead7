import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { applyStackEdits } from "../../infra/migrate/stackedit";

const STACK = `# header comment
encryptionsalt: v1:abc
config:
  gbo-vault:orgs:
    - id: acme
      bots: [support, sales]   # flow list
  gbo-vault:system:
    email:
      smtp-host: old.example.test
      smtp-password: { secure: v1:old:old }
    # comment before llm
    llm:
      url: http://llm.example.test
`;

describe("applyStackEdits", () => {
  it("replaces leaves in place", () => {
    const out = applyStackEdits(STACK, [
      { path: ["config", "gbo-vault:system", "email", "smtp-host"], value: "new.example.test" },
      { path: ["config", "gbo-vault:system", "email", "smtp-password"], value: { secure: "v1:new:new" } },
    ]);
    expect(out).toBe(
      STACK.replace("smtp-host: old.example.test", "smtp-host: new.example.test").replace("{ secure: v1:old:old }", "{ secure: v1:new:new }"),
    );
  });

  it("appends new keys at map ends", () => {
    const out = applyStackEdits(STACK, [
      { path: ["config", "gbo-vault:system", "email", "smtp-port"], value: "587" },
      { path: ["config", "gbo-vault:system", "llm", "providers", "groq", "api-key"], value: { secure: "v1:g:g" } },
      { path: ["config", "gbo-vault:infrastructure", "tables", "host"], value: "db.example.test" },
    ]);
    expect(out).toContain('      smtp-password: { secure: v1:old:old }\n      smtp-port: "587"\n    # comment before llm\n');
    expect(out).toContain(
      "      url: http://llm.example.test\n      providers:\n        groq:\n          api-key: { secure: v1:g:g }\n  gbo-vault:infrastructure:\n    tables:\n      host: db.example.test\n",
    );
    expect(out).toContain("bots: [support, sales]   # flow list");
    expect(parse(out).config["gbo-vault:system"].email["smtp-port"]).toBe("587");
  });

  it("quotes values YAML would retype", () => {
    const values = ["true", "0123", "a: b", "#hash", "multi\nline", "- dash", "  spaced  ", "null", "~"];
    const edits = values.map((value, index) => ({ path: ["config", "gbo-vault:system", "app", `key-${index}`], value }));
    const app = parse(applyStackEdits(STACK, edits)).config["gbo-vault:system"].app;
    values.forEach((value, index) => expect(app[`key-${index}`], JSON.stringify(value)).toBe(value));
  });

  it("falls back for a flow map parent", () => {
    const text = "config:\n  gbo-vault:system: { email: { smtp-host: a } }\n";
    const out = applyStackEdits(text, [{ path: ["config", "gbo-vault:system", "email", "smtp-user"], value: "u" }]);
    expect(parse(out).config["gbo-vault:system"].email).toEqual({ "smtp-host": "a", "smtp-user": "u" });
  });

  it("fills an empty file", () => {
    const out = applyStackEdits("", [{ path: ["config", "gbo-vault:system", "jwt", "secret"], value: { secure: "v1:j:j" } }]);
    expect(parse(out)).toEqual({ config: { "gbo-vault:system": { jwt: { secret: { secure: "v1:j:j" } } } } });
  });

  it("adds a line break at end of file", () => {
    const out = applyStackEdits("config:\n  a: b", [{ path: ["config", "c"], value: "d" }]);
    expect(out).toBe("config:\n  a: b\n  c: d\n");
  });
});
