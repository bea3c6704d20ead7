import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { main } from "../../infra/cli/main";
import { PROJECT_ROOT } from "../../infra/core/project";

const WORKFLOW_DIR = path.join(PROJECT_ROOT, ".github", "workflows");
const SDK_VERSION = "3.248.0";
const STACKS = ["dev", "staging", "prod"];
const FORK_CHECK = "github.event.pull_request.head.repo.full_name == github.repository";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

interface Job {
  "runs-on"?: string;
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string };
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  strategy?: { matrix?: Record<string, unknown> };
  permissions?: Record<string, string>;
  env?: Record<string, unknown>;
  steps: Step[];
}

interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

function loadWorkflows(): Map<string, Workflow> {
  const workflows = new Map<string, Workflow>();
  for (const file of readdirSync(WORKFLOW_DIR).filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))) {
    const document = parseDocument(readFileSync(path.join(WORKFLOW_DIR, file), "utf8"));
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
    workflows.set(file, document.toJS() as Workflow);
  }
  return workflows;
}

const workflows = loadWorkflows();
const packageJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

function allSteps(): Array<{ file: string; job: string; jobDef: Job; step: Step }> {
  const out: Array<{ file: string; job: string; jobDef: Job; step: Step }> = [];
  for (const [file, workflow] of workflows) {
    for (const [job, jobDef] of Object.entries(workflow.jobs)) for (const step of jobDef.steps) out.push({ file, job, jobDef, step });
  }
  return out;
}

function runScripts(): Array<{ where: string; script: string }> {
  return allSteps()
    .filter(({ step }) => typeof step.run === "string")
    .map(({ file, job, step }) => ({ where: `${file} ${job} ${step.name ?? step.run!.split("\n")[0]}`, script: step.run! }));
}

/** Returns the `${{ secrets.X }}` expressions in a value, at any depth. */
function usesSecrets(value: unknown): boolean {
  return JSON.stringify(value ?? null).includes("secrets.");
}

async function cliHelp(command: string): Promise<number> {
  return main([command, "--help"], { stdout: () => undefined, stderr: () => undefined, cwd: PROJECT_ROOT, env: {} });
}

describe("workflow files", () => {
  it("include the four workflows", () => {
    expect([...workflows.keys()].sort()).toEqual(["deploy.yml", "drift.yml", "e2e.yml", "pull-request.yml"]);
  });

  it.each([...workflows.keys()])("%s has a name, triggers and jobs", (file) => {
    const workflow = workflows.get(file)!;
    expect(typeof workflow.name).toBe("string");
    expect(Object.keys(workflow.on ?? {}).length).toBeGreaterThan(0);
    expect(Object.keys(workflow.jobs ?? {}).length).toBeGreaterThan(0);
  });

  it("give every job a runner and steps", () => {
    for (const [file, workflow] of workflows) {
      for (const [name, job] of Object.entries(workflow.jobs)) {
        expect(job["runs-on"], `${file} ${name}`).toBeTypeOf("string");
        expect(Array.isArray(job.steps), `${file} ${name}`).toBe(true);
        expect(job.steps.length, `${file} ${name}`).toBeGreaterThan(0);
      }
    }
  });

  it("give every step exactly one of uses or run", () => {
    for (const { file, job, step } of allSteps()) {
      expect((step.uses === undefined) !== (step.run === undefined), `${file} ${job} ${JSON.stringify(step).slice(0, 80)}`).toBe(true);
    }
  });

  it("pin every action to a major version", () => {
    for (const { file, job, step } of allSteps()) {
      if (step.uses !== undefined) expect(step.uses, `${file} ${job}`).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
    }
  });
});

describe("workflow references", () => {
  it("name only npm scripts that exist", () => {
    const builtins = new Set(["ci", "test", "install"]);
    for (const { where, script } of runScripts()) {
      for (const match of script.matchAll(/\bnpm (?:run )?([\w:-]+)/g)) {
        const name = match[1]!;
        if (builtins.has(name) && name !== "test") continue;
        expect(packageJson.scripts[name], `${where}: npm ${name}`).toBeDefined();
      }
    }
  });

  it("name only CLI commands that exist", async () => {
    const commands = new Set<string>();
    for (const { script } of runScripts()) {
      for (const match of script.matchAll(/(?:npx gbo-vault|bin\/gbo-vault|node bin\/gbo-vault\.js) ([\w-]+)/g)) commands.add(match[1]!);
    }
    expect(commands).toEqual(new Set(["verify", "diff", "render"]));
    for (const command of commands) expect(await cliHelp(command), command).toBe(0);
  });

  it("name only local files that exist", () => {
    const texts = [...runScripts().map(({ script }) => script), ...allSteps().map(({ step }) => JSON.stringify(step.with ?? {}))];
    const found = new Set<string>();
    for (const text of texts) {
      for (const match of text.matchAll(/(?:^|[\s"'=])((?:\.\/)?(?:test|infra|bin|stacks|config|\.ci|\.github)\/[\w./-]+)/g)) found.add(match[1]!);
    }
    expect(found.size).toBeGreaterThan(0);
    for (const file of found) expect(existsSync(path.join(PROJECT_ROOT, file)), file).toBe(true);
  });

  it("point work-dir at a folder with Pulumi.yaml", () => {
    for (const { step } of allSteps()) {
      const workDir = step.with?.["work-dir"];
      if (typeof workDir === "string") expect(existsSync(path.join(PROJECT_ROOT, workDir, "Pulumi.yaml"))).toBe(true);
    }
  });
});

describe("pulumi steps", () => {
  const pulumiSteps = allSteps().filter(({ step }) => step.uses?.startsWith("pulumi/actions@"));

  it("use pulumi/actions v7", () => {
    expect(pulumiSteps.length).toBeGreaterThanOrEqual(3);
    for (const { step } of pulumiSteps) expect(step.uses).toBe("pulumi/actions@v7");
  });

  it("pin the CLI to the SDK version", () => {
    for (const { file, job, step } of pulumiSteps) expect(step.with?.["pulumi-version"], `${file} ${job}`).toBe(SDK_VERSION);
    expect(packageJson).toBeDefined();
    const sdk = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];
    expect(sdk).toBe(`~${SDK_VERSION}`);
  });

  it("pin the CLI installer in e2e", () => {
    const workflow = workflows.get("e2e.yml")!;
    const job = Object.values(workflow.jobs)[0]!;
    expect(job.env?.PULUMI_VERSION).toBe(SDK_VERSION);
    const install = job.steps.find((step) => step.run?.includes("get.pulumi.com"));
    expect(install?.run).toContain('--version "$PULUMI_VERSION"');
  });

  it("verify the Vault download's checksum", () => {
    const job = Object.values(workflows.get("e2e.yml")!.jobs)[0]!;
    const install = job.steps.find((step) => step.run?.includes("releases.hashicorp.com"))!;
    expect(install.run).toContain("SHA256SUMS");
    expect(install.run).toContain("sha256sum --check");
    expect(job.steps.some((step) => step.run?.includes("test/e2e/real-vault.test.ts"))).toBe(true);
  });

  it("give every pulumi step its passphrase, backend and Vault credentials", () => {
    for (const { file, job, step } of pulumiSteps) {
      for (const name of ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_BACKEND_URL", "VAULT_ADDR", "VAULT_TOKEN"]) {
        expect(String(step.env?.[name]), `${file} ${job} ${name}`).toContain(`secrets.${name}`);
      }
    }
  });

  it("run the drift check with refresh and expect no changes", () => {
    const job = workflows.get("drift.yml")!.jobs.drift!;
    const step = job.steps.find((candidate) => candidate.uses?.startsWith("pulumi/actions"))!;
    expect(step.with?.command).toBe("preview");
    expect(step.with?.refresh).toBe(true);
    expect(step.with?.["expect-no-changes"]).toBe(true);
    expect(step.env?.PULUMI_RUN_PROGRAM).toBe("true");
    expect(Object.keys(workflows.get("drift.yml")!.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
  });
});

describe("pull-request workflow", () => {
  const workflow = workflows.get("pull-request.yml")!;

  it("runs the tests with an npm cache", () => {
    const test = workflow.jobs.test!;
    expect(test.steps.map((step) => step.run).filter(Boolean)).toEqual(["npm ci", "npm test"]);
    const node = test.steps.find((step) => step.uses?.startsWith("actions/setup-node"))!;
    expect(node.with).toEqual({ "node-version": 20, cache: "npm" });
  });

  it("runs verify and the gated diff per stack with full history", () => {
    const job = workflow.jobs.offline!;
    expect(job.strategy?.matrix?.stack).toEqual(STACKS);
    const checkout = job.steps.find((step) => step.uses?.startsWith("actions/checkout"))!;
    expect(checkout.with?.["fetch-depth"]).toBe(0);
    const scripts = job.steps.map((step) => step.run ?? "").join("\n");
    expect(scripts).toContain('npx gbo-vault verify "$STACK"');
    expect(scripts).toContain('npx gbo-vault diff "$STACK" --base "origin/$BASE_REF" --format markdown --fail-on-destructive');
    expect(job.env?.BASE_REF).toBe("${{ github.base_ref }}");
  });

  it("posts one comment per stack found by its marker", () => {
    const job = workflow.jobs.offline!;
    const post = job.steps.find((step) => step.uses?.startsWith("actions/github-script"))!;
    const script = String(post.with?.script);
    expect(script).toContain("<!-- gbo-vault-diff:${process.env.STACK} -->");
    expect(script).toContain("updateComment");
    expect(script).toContain("createComment");
    expect(job.permissions?.["pull-requests"]).toBe("write");
  });

  it("previews with diff and a PR comment", () => {
    const job = workflow.jobs.preview!;
    expect(job.strategy?.matrix?.stack).toEqual(STACKS);
    const step = job.steps.find((candidate) => candidate.uses === "pulumi/actions@v7")!;
    expect(step.with).toMatchObject({ command: "preview", diff: true, "comment-on-pr": true, "stack-name": "${{ matrix.stack }}", "work-dir": "./" });
    expect(job.permissions?.["pull-requests"]).toBe("write");
  });

  it("skips every secret-using step for forks", () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const step of job.steps) {
        if (!usesSecrets(step) && !usesSecrets(job.env)) continue;
        const guarded = job.if?.includes(FORK_CHECK) === true || step.if?.includes(FORK_CHECK) === true;
        expect(guarded, `${name} ${step.name ?? step.uses}`).toBe(true);
      }
    }
    expect(workflow.jobs.preview!.if).toBe(FORK_CHECK);
  });

  it("keeps the offline checks for forks", () => {
    const job = workflow.jobs.offline!;
    expect(job.if).toBeUndefined();
    const verify = job.steps.find((step) => step.run?.includes("gbo-vault verify"))!;
    expect(verify.if).toBeUndefined();
    const post = job.steps.find((step) => step.uses?.startsWith("actions/github-script"))!;
    expect(post.if).toBe(FORK_CHECK);
  });
});

describe("deploy workflow", () => {
  const workflow = workflows.get("deploy.yml")!;

  it("runs on pushes to main", () => {
    expect(workflow.on).toEqual({ push: { branches: ["main"] } });
  });

  it("deploys dev, then staging, then prod", () => {
    expect(Object.keys(workflow.jobs)).toEqual(STACKS);
    expect(workflow.jobs.dev!.needs).toBeUndefined();
    expect(workflow.jobs.staging!.needs).toBe("dev");
    expect(workflow.jobs.prod!.needs).toBe("staging");
  });

  it.each(STACKS)("gives %s its environment and concurrency group", (stack) => {
    const job = workflow.jobs[stack]!;
    expect(job.environment).toBe(stack);
    expect(job.concurrency).toEqual({ group: `pulumi-${stack}`, "cancel-in-progress": false });
  });

  it.each(STACKS)("verifies %s before pulumi up", (stack) => {
    const steps = workflow.jobs[stack]!.steps;
    const install = steps.findIndex((step) => step.run === "npm ci");
    const verify = steps.findIndex((step) => step.run === `npx gbo-vault verify ${stack}`);
    const up = steps.findIndex((step) => step.uses === "pulumi/actions@v7" && step.with?.command === "up");
    expect(install).toBeGreaterThanOrEqual(0);
    expect(verify).toBeGreaterThan(install);
    expect(up).toBeGreaterThan(verify);
    expect(steps[up]!.with?.["stack-name"]).toBe(stack);
  });
});
