import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/core/project";
import { loadCatalog } from "../../infra/core/catalog";
import { loadStack } from "../../infra/core/load";
import { configSetCommand, loadStackSettings, sharedVaultProblems, StackConfigError } from "../../infra/core/settings";
import { devSecretValues, leakedDevSecrets, stackText, thrown } from "./support";

const catalog = loadCatalog();
const DEV = stackText("dev");

/** Plain-text values that the broken stacks put where a secret belongs. No message may repeat them. */
const PLAIN_SECRETS = ["plain-tables-password-8841", "plain-jwt-secret-5512", "plain-oidc-secret-9034", "hvs.plain-vault-token-3310"];

/** A dev secure value, reused where a test needs a well-formed ciphertext. */
const DEV_CIPHERTEXT = /password: \{ secure: (v1:S2Z1[^ ]+) \}/.exec(DEV)![1]!;

/** Applies `from` -> `to` to the dev stack text and fails when `from` does not occur. */
function editDev(...pairs: Array<[string | RegExp, string]>): string {
  let text = DEV;
  for (const [from, to] of pairs) {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`the dev stack does not contain ${String(from)}`);
    text = next;
  }
  return text;
}

/** Returns the 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split("\n").findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`no line contains ${needle}`);
  return index + 1;
}

function configError(text: string, stack = "dev"): StackConfigError {
  const error = thrown(() => loadStack(stack, { stackText: text }));
  expect(error).toBeInstanceOf(StackConfigError);
  return error as StackConfigError;
}

describe("shipped stacks", () => {
  for (const stack of ["dev", "staging", "prod"]) {
    it(`${stack} loads`, () => {
      const { settings } = loadStack(stack);
      expect(settings.stack).toBe(stack);
      expect(settings.tenant.id).toBe(stack);
      expect(settings.stackFile).toBe(`stacks/Pulumi.${stack}.yaml`);
    });
  }

  it("dev has two orgs", () => {
    const { settings } = loadStack("dev");
    expect(settings.orgs).toEqual([
      { id: "acme", bots: ["support", "sales"] },
      { id: "globex", bots: ["helpdesk"] },
    ]);
  });

  it("dev turns protect off", () => {
    expect(loadStack("dev").settings.protect).toBe(false);
  });

  it("staging and prod protect by default", () => {
    expect(loadStack("staging").settings.protect).toBe(true);
    expect(loadStack("prod").settings.protect).toBe(true);
  });

  it("defaults come from Pulumi.yaml", () => {
    const { settings } = loadStack("staging");
    expect(settings.kv).toEqual({ mount: "secret", prefix: "gbo", maxVersions: 10, casRequired: false, deleteVersionAfterSeconds: 0 });
    expect(settings.vault.namespace).toBeUndefined();
    expect(settings.legacyLayout).toBe(true);
  });

  it("prod overrides max versions", () => {
    expect(loadStack("prod").settings.kv.maxVersions).toBe(20);
  });

  it("dev tenant settings become JSON", () => {
    expect(JSON.parse(loadStack("dev").settings.tenant.settings)).toEqual({ locale: "en-US", timezone: "UTC" });
  });

  it("dev credentials are secure", () => {
    const keys = loadStack("dev").settings.seeded.flatMap((secret) => secret.keys);
    for (const key of keys.filter((candidate) => candidate.secret && candidate.status !== "missing")) {
      expect({ key: key.configPath.join("."), status: key.status }).toEqual({ key: key.configPath.join("."), status: "secure" });
    }
  });

  it("dev has an encryption salt", () => {
    expect(loadStack("dev").settings.encryptionSalt).toMatch(/^v1:/);
  });

  it("oidc redirect URIs default from the address", () => {
    expect(loadStack("dev").settings.auth.oidc.allowedRedirectUris).toContain("http://127.0.0.1:8200/ui/vault/auth/oidc/oidc/callback");
  });

  it("shipped stacks use distinct Vaults", () => {
    const settings = ["dev", "staging", "prod"].map((stack) => loadStack(stack).settings);
    expect(sharedVaultProblems(settings)).toEqual([]);
  });

  it("two stacks on one Vault are reported", () => {
    const dev = loadStack("dev").settings;
    const copy = { ...dev, stack: "dev2", vault: { address: "HTTP://127.0.0.1:8200/" } };
    expect(sharedVaultProblems([dev, copy])).toEqual([expect.stringContaining("stacks \"dev\", \"dev2\" all manage the Vault at http://127.0.0.1:8200")]);
  });

  it("missing stack file names the stack", () => {
    const error = thrown(() => loadStackSettings("qa", { catalog })) as StackConfigError;
    expect(error).toBeInstanceOf(StackConfigError);
    expect(error.message).toContain('stack file not found for stack "qa"');
    expect(error.problems[0]!.file).toBe("stacks/Pulumi.qa.yaml");
  });
});

interface BrokenCase {
  name: string;
  text: string;
  /** Full config key the problem names. */
  key: string;
  /** Text of the line the problem points at. */
  lineText: string;
  message: RegExp;
  fix: RegExp;
  /** The product reports another line; the line test is marked failing. */
  wrongLine?: boolean;
}

const BROKEN: BrokenCase[] = [
  {
    name: "missing vaultAddress",
    text: editDev(["  gbo-vault:vaultAddress: http://127.0.0.1:8200\n", ""]),
    key: "gbo-vault:vaultAddress",
    // A missing key points at the `config:` line that should hold it.
    lineText: "config:",
    message: /is required but not set/,
    fix: /^pulumi config set --stack dev vaultAddress https:\/\/vault\.example\.com:8200$/,
  },
  {
    name: "vaultAddress not a URL",
    text: editDev(["vaultAddress: http://127.0.0.1:8200", "vaultAddress: vault.example.test:8200"]),
    key: "gbo-vault:vaultAddress",
    lineText: "vaultAddress: vault.example.test",
    message: /must be an http:\/\/ or https:\/\/ URL/,
    fix: /^pulumi config set --stack dev vaultAddress /,
  },
  {
    name: "invalid tenant id",
    text: editDev(["    id: dev\n", "    id: dev/acme\n"]),
    key: "gbo-vault:tenant.id",
    lineText: "id: dev/acme",
    message: /invalid tenant id "dev\/acme": must not contain a slash/,
    fix: /^pulumi config set --stack dev --path tenant\.id dev$/,
  },
  {
    name: "reserved tenant id",
    text: editDev(["    id: dev\n", "    id: default\n"]),
    key: "gbo-vault:tenant.id",
    lineText: "id: default",
    message: /reserved/,
    fix: /^pulumi config set --stack dev --path tenant\.id /,
  },
  {
    name: "invalid org id",
    text: editDev(["- id: globex", '- id: "glo bex"']),
    key: "gbo-vault:orgs[1].id",
    lineText: '- id: "glo bex"',
    message: /invalid org id "glo bex": must not contain whitespace/,
    fix: /^pulumi config set --stack dev --path 'orgs\[1\]\.id' /,
  },
  {
    name: "invalid bot id",
    text: editDev(["bots: [support, sales]", 'bots: [support, "sal*es"]']),
    key: "gbo-vault:orgs[0].bots[1]",
    lineText: "sal*es",
    message: /invalid bot id "sal\*es": must not contain '\*'/,
    fix: /^pulumi config set --stack dev --path 'orgs\[0\]\.bots\[1\]' /,
  },
  {
    name: "unknown config key",
    text: editDev(["  gbo-vault:protect: false\n", "  gbo-vault:protect: false\n  gbo-vault:vaultAdress: http://127.0.0.1:8200\n"]),
    key: "gbo-vault:vaultAdress",
    lineText: "gbo-vault:vaultAdress",
    message: /unknown config key; the project's keys are vaultAddress, /,
    fix: /^pulumi config rm --stack dev gbo-vault:vaultAdress$/,
  },
  {
    name: "unknown secret name",
    text: editDev(["    tables:\n      host: postgres", "    tabels:\n      host: postgres"]),
    key: "gbo-vault:infrastructure.tabels",
    lineText: "tabels:",
    // The reported line is that of the map's first entry, one below the key.
    wrongLine: true,
    message: /unknown secret "tabels"; the catalog's secrets: tables, drive/,
    fix: /^pulumi config rm --stack dev --path infrastructure\.tabels$/,
  },
  {
    name: "unknown key of a secret",
    text: editDev(["      database: botserver\n", "      database: botserver\n      dbname: botserver\n"]),
    key: "gbo-vault:infrastructure.tables.dbname",
    lineText: "dbname: botserver",
    message: /unknown key "dbname"; the catalog's keys of infrastructure\/tables: host, port, database, username, password/,
    fix: /^pulumi config rm --stack dev --path infrastructure\.tables\.dbname$/,
  },
  {
    name: "credential in plain text",
    text: editDev([/password: \{ secure: v1:S2Z1[^}]+\}/, `password: ${PLAIN_SECRETS[0]}`]),
    key: "gbo-vault:infrastructure.tables.password",
    lineText: PLAIN_SECRETS[0]!,
    message: /is a secret but is set in plain text/,
    fix: /^pulumi config set --stack dev --secret --path infrastructure\.tables\.password {3}# type the value at the prompt$/,
  },
  {
    name: "system credential in plain text",
    text: editDev([/secret: \{ secure: v1:s0qtt[^}]+\}/, `secret: ${PLAIN_SECRETS[1]}`]),
    key: "gbo-vault:system.jwt.secret",
    lineText: PLAIN_SECRETS[1]!,
    message: /is a secret but is set in plain text/,
    fix: /^pulumi config set --stack dev --secret --path system\.jwt\.secret /,
  },
  {
    name: "oidc client secret in plain text",
    text: editDev([/  gbo-vault:oidcClientSecret:\n    secure: \S+\n/, `  gbo-vault:oidcClientSecret: ${PLAIN_SECRETS[2]}\n`]),
    key: "gbo-vault:oidcClientSecret",
    lineText: PLAIN_SECRETS[2]!,
    message: /is a secret but is set in plain text/,
    fix: /^pulumi config set --stack dev --secret oidcClientSecret /,
  },
  {
    name: "secure value in a plain key",
    text: editDev(["  gbo-vault:protect: false\n", `  gbo-vault:protect: false\n  gbo-vault:vaultNamespace: { secure: ${DEV_CIPHERTEXT} }\n`]),
    key: "gbo-vault:vaultNamespace",
    lineText: "gbo-vault:vaultNamespace",
    message: /contains a secure value, but this key is plain configuration/,
    fix: /^pulumi config set --stack dev --path vaultNamespace <value> {3}# without --secret$/,
  },
  {
    name: "malformed secure value",
    text: editDev([/password: \{ secure: v1:S2Z1[^}]+\}/, "password: { secure: not-a-ciphertext }"]),
    key: "gbo-vault:infrastructure.tables.password",
    lineText: "not-a-ciphertext",
    message: /has a secure value that is not in the v1:<nonce>:<ciphertext> format/,
    fix: /^pulumi config set --stack dev --secret --path infrastructure\.tables\.password /,
  },
  {
    name: "vault namespace token",
    text: editDev(["  gbo-vault:protect: false\n", `  gbo-vault:protect: false\n  vault:token: ${PLAIN_SECRETS[3]}\n`]),
    key: "vault:token",
    lineText: "vault:token",
    message: /configures Pulumi's default Vault provider, which this project disables/,
    fix: /^pulumi config rm --stack dev vault:token; set gbo-vault:vaultAddress /,
  },
  {
    name: "vault namespace address",
    text: editDev(["  gbo-vault:protect: false\n", "  gbo-vault:protect: false\n  vault:address: http://127.0.0.1:8200\n"]),
    key: "vault:address",
    lineText: "vault:address",
    message: /default Vault provider/,
    fix: /^pulumi config rm --stack dev vault:address/,
  },
  {
    name: "secure values without salt",
    text: editDev([/^encryptionsalt: .*\n/m, ""]),
    key: "encryptionsalt",
    lineText: "",
    message: /has secure values but no encryptionsalt or secretsprovider/,
    fix: /pulumi config set --stack dev --secret/,
  },
];

describe("broken stack", () => {
  for (const broken of BROKEN) {
    describe(broken.name, () => {
      const error = configError(broken.text);
      const problem = error.problems.find((candidate) => candidate.key === broken.key);

      it("names the config key", () => {
        expect(error.problems.map((candidate) => candidate.key)).toContain(broken.key);
      });
      it("states the reason", () => {
        expect(problem?.message).toMatch(broken.message);
      });
      if (broken.lineText !== "") {
        it("names the line", () => {
          expect(problem?.line).toBe(lineOf(broken.text, broken.lineText));
        });
      }
      it("gives the fix", () => {
        expect(problem?.fix).toMatch(broken.fix);
      });
      it("message has file, key and fix", () => {
        const where = problem?.line === undefined ? "stacks/Pulumi.dev.yaml" : `stacks/Pulumi.dev.yaml:${problem.line}`;
        expect(error.message).toContain(`${where}: ${broken.key}: `);
        expect(error.message).toContain(`fix: ${problem?.fix}`);
      });
      it("leaks no secret value", () => {
        for (const value of PLAIN_SECRETS) expect(error.message).not.toContain(value);
        expect(leakedDevSecrets(error.message)).toEqual([]);
      });
    });
  }

  describe("duplicate org", () => {
    const text = editDev(["- id: globex", "- id: acme"]);
    const error = configError(text);
    const problem = error.problems[0]!;

    it("names the key and line", () => {
      expect(problem.key).toBe("gbo-vault:orgs[1].id");
      expect(problem.line).toBe(lineOf(text, "bots: [helpdesk]") - 1);
    });
    it("names the first declaration", () => {
      expect(problem.message).toBe('duplicate org id "acme", first declared at orgs[0]');
    });
    it("fix renames the second entry", () => {
      expect(problem.fix).toContain("orgs[1].id");
    });
    it("fix is a pulumi command", () => {
      expect(problem.fix).toMatch(/^pulumi config (set|rm) --stack dev /);
    });
  });

  describe("duplicate bot", () => {
    const text = editDev(["bots: [support, sales]", "bots: [support, support]"]);
    const error = configError(text);
    const problem = error.problems[0]!;

    it("names the key and line", () => {
      expect(problem.key).toBe("gbo-vault:orgs[0].bots[1]");
      expect(problem.line).toBe(lineOf(text, "bots: [support, support]"));
    });
    it("names the org", () => {
      expect(problem.message).toBe('duplicate bot id "support" in org "acme"');
    });
    it("fix is a pulumi command", () => {
      expect(problem.fix).toMatch(/^pulumi config (set|rm) --stack dev /);
    });
  });

  describe("YAML syntax error", () => {
    const text = editDev(["      database: botserver\n", `      database: "${PLAIN_SECRETS[0]}\n`]);
    const error = configError(text);
    const problem = error.problems[0]!;

    it("is the only problem", () => {
      expect(error.problems).toHaveLength(1);
    });
    it("names the stack file", () => {
      expect(problem.key).toBe("(stack file)");
      expect(problem.file).toBe("stacks/Pulumi.dev.yaml");
    });
    it("states the reason", () => {
      expect(problem.message).toMatch(/^invalid YAML: /);
    });
    it("leaks no secret value", () => {
      expect(error.message).not.toContain(PLAIN_SECRETS[0]);
    });
    // yaml's linePos is only filled with prettyErrors on, which the loader turns off, so the line is lost.
    it("names the line", () => {
      expect(problem.line).toBeTypeOf("number");
    });
  });

  it("duplicate YAML key is an error", () => {
    const error = configError(editDev(["      database: botserver\n", "      database: botserver\n      database: other\n"]));
    expect(error.problems[0]!.message).toMatch(/Map keys must be unique/);
  });

  it("fix names the stack being loaded", () => {
    const text = stackText("staging").replace("https://vault.staging.gbo.example.test:8200", "not-a-url");
    const error = configError(text, "staging");
    expect(error.problems[0]!.fix).toMatch(/^pulumi config set --stack staging vaultAddress /);
  });

  it("stack file with no config", () => {
    const error = configError("encryptionsalt: v1:AAAA:v1:BBBB:CCCC\n");
    const keys = error.problems.map((problem) => problem.key);
    expect(keys).toEqual(expect.arrayContaining(["gbo-vault:vaultAddress", "gbo-vault:tenant", "gbo-vault:auth"]));
  });
});

describe("several problems", () => {
  const text = editDev(
    ["- id: globex", "- id: glo/bex"],
    [/password: \{ secure: v1:S2Z1[^}]+\}/, `password: ${PLAIN_SECRETS[0]}`],
    ["    tables:\n      host: postgres", "    tables:\n      hostname: x\n      host: postgres"],
    ["  gbo-vault:protect: false\n", `  gbo-vault:protect: false\n  vault:token: ${PLAIN_SECRETS[3]}\n`],
  );
  const error = configError(text);

  it("are reported in one error", () => {
    expect(error.problems.map((problem) => problem.key).sort()).toEqual(
      [
        "gbo-vault:infrastructure.tables.hostname",
        "gbo-vault:infrastructure.tables.password",
        "gbo-vault:orgs[1].id",
        "vault:token",
      ].sort(),
    );
  });
  it("count is in the summary", () => {
    expect(error.message).toMatch(/^stack "dev" has 4 configuration problems:/);
  });
  it("every problem has a fix", () => {
    expect(error.message.match(/\n {4}fix: /g)).toHaveLength(4);
  });
  it("leak no secret value", () => {
    for (const value of PLAIN_SECRETS) expect(error.message).not.toContain(value);
    expect(leakedDevSecrets(error.message)).toEqual([]);
  });

  // Ids are checked only when every plain key passed the schema, so one bad URL hides an invalid org id.
  it("schema and id problems together", () => {
    const both = configError(editDev(["vaultAddress: http://127.0.0.1:8200", "vaultAddress: ftp://vault"], ["- id: globex", "- id: glo/bex"]));
    expect(both.problems.map((problem) => problem.key)).toEqual(["gbo-vault:vaultAddress", "gbo-vault:orgs[1].id"]);
  });
});

describe("configSetCommand", () => {
  it("plain top-level key", () => {
    expect(configSetCommand("dev", "vaultAddress", [], { example: "https://v:8200" })).toBe("pulumi config set --stack dev vaultAddress https://v:8200");
  });
  it("secret reads the prompt", () => {
    expect(configSetCommand("dev", "system", ["jwt", "secret"], { secret: true })).toBe(
      "pulumi config set --stack dev --secret --path system.jwt.secret   # type the value at the prompt",
    );
  });
  it("quotes an index path", () => {
    expect(configSetCommand("prod", "orgs", [0, "id"])).toBe("pulumi config set --stack prod --path 'orgs[0].id' <value>");
  });
  it("quotes an example with spaces", () => {
    expect(configSetCommand("dev", "tenant", ["name"], { example: "General Bots" })).toBe(
      "pulumi config set --stack dev --path tenant.name 'General Bots'",
    );
  });
});

describe("dev secret values", () => {
  it("decrypt with the dev passphrase", () => {
    expect(devSecretValues()).toHaveLength(10);
  });
});

describe("values as the Pulumi CLI writes them", () => {
  const dev = readFileSync(path.join(PROJECT_ROOT, "stacks", "Pulumi.dev.yaml"), "utf8");

  it("accepts integers and booleans as strings", () => {
    const text = dev.replace("  gbo-vault:protect: false", '  gbo-vault:protect: "false"\n  gbo-vault:kvMaxVersions: "12"');
    const { settings } = loadStack("dev", { stackText: text });
    expect(settings.protect).toBe(false);
    expect(settings.kv.maxVersions).toBe(12);
  });

  it("keeps every digit of a numeric org id", () => {
    const text = dev.replace("    - id: acme", "    - id: 259375098341711876");
    const { settings } = loadStack("dev", { stackText: text });
    expect(settings.orgs[0]!.id).toBe("259375098341711876");
  });

  it("names the type of a wrong value", () => {
    const text = dev.replace("  gbo-vault:protect: false", '  gbo-vault:kvMaxVersions: "ten"');
    const error = thrown(() => loadStack("dev", { stackText: text })) as StackConfigError;
    expect(error.problems[0]!.message).not.toContain("required");
    expect(error.problems[0]!.key).toBe("gbo-vault:kvMaxVersions");
  });
});

describe("settings Vault would reject", () => {
  const dev = readFileSync(path.join(PROJECT_ROOT, "stacks", "Pulumi.dev.yaml"), "utf8");
  const problemsOf = (text: string) => (thrown(() => loadStack("dev", { stackText: text })) as StackConfigError).problems;

  it("rejects a reserved mount path", () => {
    const problems = problemsOf(dev.replace("  gbo-vault:protect: false", "  gbo-vault:protect: false\n  gbo-vault:kvMount: cubbyhole"));
    expect(problems.map((problem) => problem.key)).toContain("gbo-vault:kvMount");
  });

  it("rejects an invalid namespace", () => {
    const problems = problemsOf(dev.replace("  gbo-vault:protect: false", "  gbo-vault:protect: false\n  gbo-vault:vaultNamespace: a/../b"));
    expect(problems.map((problem) => problem.key)).toContain("gbo-vault:vaultNamespace");
  });

  it("rejects check-and-set on every write", () => {
    const problems = problemsOf(dev.replace("  gbo-vault:protect: false", "  gbo-vault:protect: false\n  gbo-vault:kvCasRequired: true"));
    expect(problems[0]!.message).toContain("check-and-set");
  });

  it("rejects one claim for org and user", () => {
    const text = dev.replace("      issuerUrl: https://zitadel.dev.gbo.example.test", "      issuerUrl: https://zitadel.dev.gbo.example.test\n      orgClaim: sub");
    const problems = problemsOf(text);
    expect(problems.map((problem) => problem.key)).toContain("gbo-vault:auth.oidc.orgClaim");
  });

  it("names a YAML alias that refers to itself", () => {
    const problems = problemsOf(`${dev}extra: &loop [*loop]\n`);
    expect(problems[0]!.message).toContain("alias");
  });
});
