import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/core/project";
import { DEV_PASSPHRASE, leakedDevSecrets, stackText } from "./support";

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as a real process from the project root. The dev passphrase is in the environment, so a
 * render that decrypted anything could print it.
 */
function cli(...args: string[]): Run {
  const result = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin", "gbo-vault.js"), ...args], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function expectNoLeak(run: Run): void {
  expect(leakedDevSecrets(run.stdout)).toEqual([]);
  expect(leakedDevSecrets(run.stderr)).toEqual([]);
}

const tempRoots: string[] = [];
afterAll(() => {
  for (const root of tempRoots) rmSync(root, { recursive: true, force: true });
});

/** Creates a project root with this repository's Pulumi.yaml and config/ and one stack file `name`. */
function projectWithStack(name: string, text: string): string {
  const root = mkdtempSync(path.join(tmpdir(), "gbo-vault-render-"));
  tempRoots.push(root);
  cpSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  cpSync(path.join(PROJECT_ROOT, "config"), path.join(root, "config"), { recursive: true });
  mkdirSync(path.join(root, "stacks"));
  writeFileSync(path.join(root, "stacks", `Pulumi.${name}.yaml`), text);
  return root;
}

describe("render dev as text", () => {
  const run = cli("render", "dev");

  it("exits 0", () => {
    expect(run.status).toBe(0);
  });
  it("writes nothing to stderr", () => {
    expect(run.stderr).toBe("");
  });
  it("prints the stack header", () => {
    expect(run.stdout.startsWith('Stack dev: tenant dev "General Bots (dev)"')).toBe(true);
  });
  it("prints a seeded secret path", () => {
    expect(run.stdout).toContain("secret/gbo/tenants/dev/infrastructure/tables  [seeded]");
  });
  it("prints the fix of an unset key", () => {
    expect(run.stdout).toContain("fix: pulumi config set --stack dev --secret --path system.alm.token");
  });
  it("prints bot fallbacks", () => {
    expect(run.stdout).toContain("gbo/orgs/<org>/bots/<bot>/email  keys:");
    expect(run.stdout).toContain("falls back to: gbo/system/email");
  });
  it("leaks no secret value", () => {
    expectNoLeak(run);
  });
});

describe("render dev as JSON", () => {
  const run = cli("render", "dev", "--format", "json");
  const view = JSON.parse(run.stdout) as Record<string, unknown>;

  it("exits 0", () => {
    expect(run.status).toBe(0);
  });
  it("writes nothing to stderr", () => {
    expect(run.stderr).toBe("");
  });
  it("has the mounts", () => {
    expect(view.mounts).toEqual([expect.objectContaining({ path: "secret", type: "kv", options: { version: "2" } })]);
  });
  it("has the secrets", () => {
    expect(Array.isArray(view.secrets)).toBe(true);
    const tables = (view.secrets as Array<Record<string, unknown>>).find((secret) => secret.path === "gbo/tenants/dev/infrastructure/tables");
    expect(tables).toMatchObject({ mount: "secret", state: "seeded" });
    expect((tables!.keys as Array<{ name: string }>).map((key) => key.name)).toEqual(["host", "port", "database", "username", "password"]);
  });
  it("secret paths are under the prefix", () => {
    for (const secret of view.secrets as Array<{ path: string; mount: string }>) {
      expect(secret.path).toMatch(/^gbo\/(system\/|tenants\/dev\/|[a-z]+$)/);
      expect(secret.mount).toBe("secret");
    }
  });
  it("has the policies", () => {
    const policies = view.policies as Array<{ name: string; hcl: string }>;
    expect(policies.map((policy) => policy.name)).toContain("gbo-dev-bot");
    for (const policy of policies) expect(policy.hcl).toMatch(/^# .*\n\n(?:# .*\n)?path "/);
  });
  it("has the auth backends", () => {
    expect(view.authBackends).toEqual([
      expect.objectContaining({ path: "approle", type: "approle" }),
      expect.objectContaining({ path: "oidc", type: "oidc" }),
    ]);
  });
  it("has the roles", () => {
    const roles = view.roles as Array<{ backend: string; name: string; policies: string[] }>;
    expect(roles).toContainEqual(expect.objectContaining({ backend: "approle", name: "botserver-dev", policies: ["gbo-dev-app"] }));
    expect(roles).toContainEqual(expect.objectContaining({ backend: "approle", name: "bot-globex-helpdesk", policies: ["gbo-dev-bot"] }));
    expect(roles).toContainEqual(expect.objectContaining({ backend: "oidc", name: "user", policies: ["gbo-dev-user"] }));
  });
  it("is one JSON document", () => {
    expect(run.stdout.endsWith("}\n")).toBe(true);
  });
  it("leaks no secret value", () => {
    expectNoLeak(run);
  });
});

describe("render dev as Markdown", () => {
  const run = cli("render", "dev", "--format=markdown");

  it("exits 0", () => {
    expect(run.status).toBe(0);
  });
  it("starts with the heading", () => {
    expect(run.stdout.startsWith("### Vault layout of stack `dev`\n")).toBe(true);
  });
  it("has a policy block", () => {
    expect(run.stdout).toContain("<details><summary><code>gbo-dev-app</code> (app)</summary>");
  });
  it("leaks no secret value", () => {
    expectNoLeak(run);
  });
});

describe("render other stacks", () => {
  for (const stack of ["staging", "prod"]) {
    it(`${stack} exits 0`, () => {
      const run = cli("render", stack, "--format", "json");
      expect(run.status).toBe(0);
      expect((JSON.parse(run.stdout) as { stack: string }).stack).toBe(stack);
    });
  }
});

describe("render errors", () => {
  it("bad stack exits 2", () => {
    const plainValue = "plain-password-in-render-4471";
    const text = stackText("dev").replace(/password: \{ secure: v1:S2Z1[^}]+\}/, `password: ${plainValue}`);
    const run = cli("render", "broken", "--root", projectWithStack("broken", text));
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain('gbo-vault: stack "broken" has 1 configuration problem:');
    expect(run.stderr).toContain("gbo-vault:infrastructure.tables.password: is a secret but is set in plain text");
    expect(run.stderr).toContain("fix: pulumi config set --stack broken --secret --path infrastructure.tables.password");
    expect(run.stderr).not.toContain(plainValue);
    expectNoLeak(run);
  });

  it("stack with colliding roles exits 2", () => {
    const text = stackText("dev").replace(/  gbo-vault:orgs:\n(?: {4}.*\n)+/, "  gbo-vault:orgs:\n    - { id: a-b, bots: [c] }\n    - { id: a, bots: [b-c] }\n");
    const run = cli("render", "clash", "--root", projectWithStack("clash", text));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('both get the AppRole role "bot-a-b-c"');
    expectNoLeak(run);
  });

  it("unknown stack is named", () => {
    const run = cli("render", "qa");
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain('stack file not found for stack "qa"');
  });

  it("unknown format exits 2", () => {
    const run = cli("render", "dev", "--format", "yaml");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown format "yaml"; use text, json or markdown');
  });

  it("missing stack name exits 2", () => {
    const run = cli("render");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("render needs exactly one stack name");
  });

  it("unknown option exits 2", () => {
    const run = cli("render", "dev", "--verbose");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown option --verbose");
  });

  it("unknown command exits 2", () => {
    const run = cli("rendr", "dev");
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown command "rendr"');
  });

  it("help exits 0", () => {
    const run = cli("render", "--help");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("usage: gbo-vault render <stack>");
  });
});

describe("npm start", () => {
  it("renders the dev stack", () => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const result = spawnSync(npm, ["start", "--silent"], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 120_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Stack dev: tenant dev");
    expect(leakedDevSecrets(result.stdout + result.stderr)).toEqual([]);
  });
});
