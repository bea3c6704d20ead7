/**
 * Case files for the ACL evaluator: validation (zod), loading from JSON or YAML, and a runner that
 * checks every case kind (`acl`, `acl_templated`, `mount_access`, `template`).
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import {
  type Acl,
  compileAcl,
  capabilities,
  evaluate,
  type ListAlgorithm,
  mountAccess,
  type Operation,
  OPERATIONS,
  rootPrivileges,
} from "./acl";
import { rootPolicy } from "./builtin";
import { parsePolicy, type Policy } from "./policy";
import { type Identity, renderTemplate } from "./template";

const stringMap = z.record(z.string(), z.string());

export const aliasSchema = z.object({
  mount_accessor: z.string(),
  id: z.string().default(""),
  name: z.string().default(""),
  metadata: stringMap.default({}),
  custom_metadata: stringMap.default({}),
});

export const entitySchema = z.object({
  id: z.string(),
  name: z.string().default(""),
  metadata: stringMap.default({}),
  aliases: z.array(aliasSchema).default([]),
});

export const groupSchema = z.object({
  id: z.string(),
  name: z.string().default(""),
  metadata: stringMap.default({}),
  namespace_id: z.string().default("root"),
});

/** The identity file of `acl capabilities --identity`: the case format's `entity` and `groups`. */
export const identitySchema = z.object({
  entity: entitySchema.nullable().optional(),
  groups: z.array(groupSchema).default([]),
});

const configSchema = z.object({ deny_slash_in_templated_paths: z.boolean().optional() }).strict();

const checkOperations = [...OPERATIONS, "sudo", "mount_access"] as const;

const checkSchema = z.object({
  path: z.string(),
  operation: z.enum(checkOperations),
  allowed: z.boolean(),
  capabilities: z.array(z.string()).optional(),
  root_privs: z.boolean().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  wrap_ttl_seconds: z.number().nonnegative().optional(),
  era_results: z
    .object({ "vault<=1.15.1": z.boolean().optional(), "1.15.2..pre-2026-fix": z.boolean().optional() })
    .strict()
    .optional(),
  granting_policies: z.array(z.string()).optional(),
  cli: z.string().optional(),
  derived: z.boolean().optional(),
  notes: z.string().optional(),
});

const commonFields = {
  id: z.string().min(1),
  source: z.string().optional(),
  derived: z.boolean().optional(),
  notes: z.string().optional(),
  config: configSchema.optional(),
};

const policyCaseFields = {
  ...commonFields,
  policies: z.array(z.string()),
  policy_names: z.array(z.string()).optional(),
  entity: entitySchema.nullable().optional(),
  groups: z.array(groupSchema).optional(),
  checks: z.array(checkSchema).min(1),
};

const aclCaseSchema = z.object({ kind: z.literal("acl"), ...policyCaseFields });
const templatedCaseSchema = z.object({ kind: z.literal("acl_templated"), ...policyCaseFields });
const mountCaseSchema = z.object({ kind: z.literal("mount_access"), ...policyCaseFields });
const templateCaseSchema = z.object({
  kind: z.literal("template"),
  ...commonFields,
  mode: z.literal("acl"),
  template: z.string(),
  entity: entitySchema.nullable().optional(),
  groups: z.array(groupSchema).optional(),
  expected: z.string(),
  error: z.string().optional(),
});

export const caseSchema = z.discriminatedUnion("kind", [aclCaseSchema, templatedCaseSchema, mountCaseSchema, templateCaseSchema]);

export type AclCase = z.infer<typeof caseSchema>;
export type PolicyCase = z.infer<typeof aclCaseSchema> | z.infer<typeof templatedCaseSchema> | z.infer<typeof mountCaseSchema>;
export type CaseCheck = z.infer<typeof checkSchema>;

export interface CheckResult {
  id: string;
  /** Position of the check within its case; 0 for a `template` case. */
  index: number;
  pass: boolean;
  expected: Record<string, unknown>;
  actual: Record<string, unknown>;
}

export interface RunSummary {
  passed: number;
  failed: number;
  results: CheckResult[];
}

export class CaseFileError extends Error {
  constructor(
    readonly file: string,
    readonly caseId: string | undefined,
    readonly reason: string,
  ) {
    super(caseId === undefined ? `${file}: ${reason}` : `${file}: case "${caseId}": ${reason}`);
    this.name = "CaseFileError";
  }
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length === 0 ? "" : `${issue.path.map(String).join(".")}: `;
      return `${where}${issue.message}`;
    })
    .join("; ");
}

/** Validates parsed case-file content. Throws `CaseFileError` naming the file, the case id and the reason. */
export function validateCases(content: unknown, file: string): AclCase[] {
  if (!Array.isArray(content)) throw new CaseFileError(file, undefined, "a case file must contain a list of cases");
  const cases: AclCase[] = [];
  const seen = new Set<string>();
  content.forEach((raw, position) => {
    const rawId = typeof raw === "object" && raw !== null && typeof (raw as { id?: unknown }).id === "string" ? (raw as { id: string }).id : undefined;
    const label = rawId ?? `#${position}`;
    const parsed = caseSchema.safeParse(raw);
    if (!parsed.success) throw new CaseFileError(file, label, `invalid case: ${formatIssues(parsed.error)}`);
    const item = parsed.data;
    if (seen.has(item.id)) throw new CaseFileError(file, item.id, "duplicate case id");
    seen.add(item.id);
    if (item.kind !== "template") checkPolicyCase(item, file);
    if (item.kind === "template" && item.expected === "error" && item.error === undefined) {
      throw new CaseFileError(file, item.id, `"error" is required when "expected" is "error"`);
    }
    cases.push(item);
  });
  return cases;
}

function checkPolicyCase(item: PolicyCase, file: string): void {
  const names = item.policy_names;
  const isRoot = names !== undefined && names.length === 1 && names[0].toLowerCase() === "root";
  if (isRoot && item.policies.length !== 0) {
    throw new CaseFileError(file, item.id, `policy_names ["root"] takes an empty "policies" list`);
  }
  if (!isRoot && names !== undefined && names.length !== item.policies.length) {
    throw new CaseFileError(file, item.id, `policy_names has ${names.length} names for ${item.policies.length} policies`);
  }
  for (const check of item.checks) {
    if (item.kind === "mount_access" && check.operation !== "mount_access") {
      throw new CaseFileError(file, item.id, `mount_access cases take only "mount_access" checks, found "${check.operation}"`);
    }
  }
  item.policies.forEach((text, index) => {
    try {
      parsePolicy(text, names?.[index] ?? `policy${index + 1}`);
    } catch (error) {
      throw new CaseFileError(file, item.id, error instanceof Error ? error.message : String(error));
    }
  });
}

/** Reads a case file (JSON, or YAML for `.yaml` / `.yml`) and validates it. */
export function loadCaseFile(file: string): AclCase[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new CaseFileError(file, undefined, `cannot read the file: ${(error as Error).message}`);
  }
  let content: unknown;
  try {
    content = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new CaseFileError(file, undefined, `invalid ${/\.ya?ml$/i.test(file) ? "YAML" : "JSON"}: ${(error as Error).message}`);
  }
  return validateCases(content, file);
}

function identityOf(item: { entity?: Identity["entity"]; groups?: Identity["groups"] }): Identity {
  return { entity: item.entity ?? null, groups: item.groups ?? [] };
}

function buildAcl(item: PolicyCase): Acl {
  const names = item.policy_names;
  if (names !== undefined && names.length === 1 && names[0].toLowerCase() === "root" && item.policies.length === 0) {
    return compileAcl([rootPolicy()]);
  }
  const policies: Policy[] = item.policies.map((text, index) => parsePolicy(text, names?.[index] ?? `policy${index + 1}`));
  return compileAcl(policies, identityOf(item), {
    denySlashInTemplatedPaths: item.config?.deny_slash_in_templated_paths === true,
  });
}

const ERA_ALGORITHMS: Record<string, ListAlgorithm> = {
  "vault<=1.15.1": "full-path",
  "1.15.2..pre-2026-fix": "trimmed-first",
};

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((item) => right.has(item));
}

function decide(acl: Acl, check: CaseCheck, listAlgorithm: ListAlgorithm): boolean {
  if (check.operation === "mount_access") return mountAccess(acl, check.path);
  if (check.operation === "sudo") return rootPrivileges(acl, check.path, "read", listAlgorithm);
  return evaluate(acl, { path: check.path, operation: check.operation, data: check.data, wrapTtlSeconds: check.wrap_ttl_seconds }, { listAlgorithm })
    .allowed;
}

function runCheck(acl: Acl, check: CaseCheck): { pass: boolean; expected: Record<string, unknown>; actual: Record<string, unknown> } {
  const expected: Record<string, unknown> = { allowed: check.allowed };
  const actual: Record<string, unknown> = { allowed: decide(acl, check, "current") };
  let pass = actual.allowed === check.allowed;

  if (check.capabilities !== undefined) {
    const found = capabilities(acl, check.path);
    expected.capabilities = check.capabilities;
    actual.capabilities = found;
    pass &&= sameSet(found, check.capabilities);
  }
  if (check.root_privs !== undefined) {
    const operation: Operation = check.operation === "mount_access" || check.operation === "sudo" ? "read" : check.operation;
    const found = rootPrivileges(acl, check.path, operation);
    expected.root_privs = check.root_privs;
    actual.root_privs = found;
    pass &&= found === check.root_privs;
  }
  if (check.granting_policies !== undefined && check.operation !== "mount_access" && check.operation !== "sudo") {
    const found = evaluate(acl, { path: check.path, operation: check.operation, data: check.data, wrapTtlSeconds: check.wrap_ttl_seconds }).grantingPolicies;
    expected.granting_policies = check.granting_policies;
    actual.granting_policies = found;
    pass &&= sameSet(found, check.granting_policies);
  }
  if (check.era_results !== undefined) {
    const expectedEras: Record<string, boolean> = {};
    const actualEras: Record<string, boolean> = {};
    for (const [era, value] of Object.entries(check.era_results)) {
      if (value === undefined) continue;
      expectedEras[era] = value;
      actualEras[era] = decide(acl, check, ERA_ALGORITHMS[era]);
      pass &&= actualEras[era] === value;
    }
    expected.era_results = expectedEras;
    actual.era_results = actualEras;
  }
  return { pass, expected, actual };
}

function runTemplateCase(item: z.infer<typeof templateCaseSchema>): CheckResult {
  const rendered = renderTemplate(item.template, identityOf(item), {
    denySlashInTemplatedPaths: item.config?.deny_slash_in_templated_paths === true,
    namespaceId: "root",
  });
  const expected: Record<string, unknown> =
    item.expected === "error" ? { error: item.error } : { rendered: item.expected };
  const actual: Record<string, unknown> = rendered.ok ? { rendered: rendered.value } : { error: rendered.error };
  const pass = item.expected === "error" ? !rendered.ok && rendered.error === item.error : rendered.ok && rendered.value === item.expected;
  return { id: item.id, index: 0, pass, expected, actual };
}

/**
 * Runs cases in the case-file format and returns one result per check (one per `template` case).
 * Input that has not been through `validateCases` is validated first, so it may be raw parsed JSON.
 */
export function runCases(input: readonly unknown[]): RunSummary {
  const cases = validateCases(input, "<cases>");
  const results: CheckResult[] = [];
  for (const item of cases) {
    if (item.kind === "template") {
      results.push(runTemplateCase(item));
      continue;
    }
    let acl: Acl;
    try {
      acl = buildAcl(item);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      item.checks.forEach((check, index) => {
        results.push({ id: item.id, index, pass: false, expected: { allowed: check.allowed }, actual: { error: reason } });
      });
      continue;
    }
    item.checks.forEach((check, index) => {
      results.push({ id: item.id, index, ...runCheck(acl, check) });
    });
  }
  const passed = results.filter((result) => result.pass).length;
  return { passed, failed: results.length - passed, results };
}
