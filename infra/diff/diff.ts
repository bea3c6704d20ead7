/**
 * `diff`: compares a stack in the working tree with the same stack at a git revision, offline. It reports the
 * Pulumi resources added, changed and removed, policy rule changes, access changes from `verify`, values that
 * changed (by fingerprint only) and the destructive changes that the gate checks.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { loadStack } from "../core/load";
import type { Plan } from "../core/plan";
import { loadProject, stackFilePath } from "../core/project";
import { type VerifyReport, verifyPlan } from "../verify/verify";
import { type AccessDiff, diffAccess } from "./access";
import { allowFilePath, applyAllowList, findDestructive, type GateResult, loadAllowFile, parseAllowFile } from "./gate";
import { diffPolicies, type PolicyChange } from "./policies";
import { diffResources, planResources, type ResourceChange } from "./resources";
import { checkoutRevision, readFileAtRevision } from "./revision";
import { diffValues, type ValueDiff } from "./values";

export interface DiffOptions {
  /** Project root in the working tree, the folder that contains `Pulumi.yaml`. */
  root: string;
  stack: string;
  /** Git revision to compare with, for example `origin/main`. */
  base: string;
  /** Stack passphrase, for comparing `secure:` values; undefined compares ciphertexts only. */
  passphrase?: string;
  /** Allow file given on the command line; otherwise `.gbo-vault/allow-destructive.yaml` when it exists. */
  allowFile?: string;
}

export interface DiffReport {
  stack: string;
  /** `code` says whether the base was built by its own revision's code or, when that failed, by this one's. */
  base: { ref: string; commit: string; stackExists: boolean; code: "revision" | "working tree"; codeNote?: string };
  resources: ResourceChange[];
  policies: PolicyChange[];
  access: AccessDiff;
  values: ValueDiff;
  gate: GateResult & { allowFile?: string };
}

/** Raised when the stack at the base revision fails to load; the CLI exits 2. */
export class BaseRevisionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BaseRevisionError";
  }
}

interface BaseCode {
  loadStack: typeof loadStack;
  verifyPlan: typeof verifyPlan;
}

/**
 * Loads the base revision's own `loadStack` and `verifyPlan`, so a change made in code (a policy rule, a path
 * builder) shows up in the diff. A revision whose code cannot be loaded falls back to this revision's code.
 */
function loadBaseCode(root: string): BaseCode | string {
  try {
    const load = require(path.join(root, "infra", "core", "load.ts")) as { loadStack?: unknown };
    const verify = require(path.join(root, "infra", "verify", "verify.ts")) as { verifyPlan?: unknown };
    if (typeof load.loadStack !== "function" || typeof verify.verifyPlan !== "function") {
      return "its code has no loadStack or verifyPlan";
    }
    return { loadStack: load.loadStack as typeof loadStack, verifyPlan: verify.verifyPlan as typeof verifyPlan };
  } catch (error) {
    return `its code failed to load: ${(error as Error).message.split("\n")[0]}`;
  }
}

interface LoadedBase {
  plan?: Plan;
  stackText?: string;
  commit: string;
  report?: VerifyReport;
  code: "revision" | "working tree";
  codeNote?: string;
}

function loadBase(stack: string, root: string, ref: string): LoadedBase {
  const checkout = checkoutRevision(root, ref, stack);
  try {
    if (checkout.root === undefined || checkout.stackText === undefined) return { commit: checkout.commit, code: "revision" };
    const code = checkout.hasCode ? loadBaseCode(checkout.root) : "it has no infra/ code";
    const own = typeof code !== "string";
    const builder: BaseCode = own ? code : { loadStack, verifyPlan };
    try {
      const loaded = builder.loadStack(stack, { root: checkout.root });
      return {
        plan: loaded.plan,
        stackText: checkout.stackText,
        commit: checkout.commit,
        // Verify runs before the copy is removed, while the revision's modules can still load what they need.
        report: builder.verifyPlan(loaded.plan, loaded.catalog),
        code: own ? "revision" : "working tree",
        codeNote: own ? undefined : `the base was built with this revision's code because ${code}`,
      };
    } catch (error) {
      throw new BaseRevisionError(`stack "${stack}" at ${ref} (${checkout.commit.slice(0, 12)}) fails to load: ${(error as Error).message}`);
    }
  } finally {
    checkout.remove();
  }
}

/** Builds the whole diff report; throws on input errors (bad revision, invalid stack, invalid allow file). */
export function buildDiff(options: DiffOptions): DiffReport {
  const head = loadStack(options.stack, { root: options.root });
  const project = loadProject(options.root);
  const headText = readFileSync(stackFilePath(project, options.stack), "utf8");
  const base = loadBase(options.stack, options.root, options.base);

  const allowFile = allowFilePath(options.root, options.allowFile);
  const entries = allowFile === undefined ? [] : loadAllowFile(allowFile);
  const baseText = allowFile === undefined ? undefined : readFileAtRevision(options.root, base.commit, allowFile);
  const baseEntries = baseText === undefined ? [] : parseAllowFile(baseText, `${allowFile} at ${options.base}`);
  const gate = applyAllowList(
    options.stack,
    findDestructive(base.plan, head.plan),
    entries,
    (name) => existsSync(stackFilePath(project, name)),
    baseEntries,
  );

  const values = diffValues({ plan: base.plan, stackText: base.stackText }, { plan: head.plan, stackText: headText }, options.passphrase);
  const resources = diffResources(base.plan === undefined ? [] : planResources(base.plan), planResources(head.plan));
  // A changed value changes the secret's `dataJson` input even when nothing else about the resource does.
  for (const change of values.changes) {
    const isAuth = change.location.startsWith("auth/");
    const secret = isAuth ? undefined : head.plan.secrets.find((candidate) => `${candidate.mount}/${candidate.path}` === change.location);
    // A secret that exists only at base is already listed as removed.
    if (!isAuth && secret === undefined) continue;
    const name = secret === undefined ? `auth-${change.location.slice("auth/".length)}` : `secret-${secret.path}`;
    const type = secret === undefined ? "vault:jwt/authBackend:AuthBackend" : "vault:kv/secretV2:SecretV2";
    const input = secret === undefined ? "oidcClientSecret" : "dataJson";
    const existing = resources.find((resource) => resource.type === type && resource.name === name);
    if (existing === undefined) {
      resources.push({ type, name, action: "update", inputs: [input] });
    } else if ((existing.action === "update" || existing.action === "replace") && !existing.inputs.includes(input)) {
      existing.inputs.push(input);
    }
  }

  return {
    stack: options.stack,
    base: { ref: options.base, commit: base.commit, stackExists: base.plan !== undefined, code: base.code, codeNote: base.codeNote },
    resources,
    policies: diffPolicies(base.plan, head.plan),
    access: diffAccess(
      base.report === undefined || base.plan === undefined ? undefined : { report: base.report, layout: base.plan.layout },
      { report: verifyPlan(head.plan, head.catalog), layout: head.plan.layout },
    ),
    values,
    gate: { ...gate, allowFile },
  };
}
