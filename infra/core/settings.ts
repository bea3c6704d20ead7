/**
 * Stack settings: `Pulumi.yaml` defaults merged with `stacks/Pulumi.<stack>.yaml`, validated with zod and
 * against the catalog before any resource is declared.
 *
 * Secret values never enter the settings. For every seeded key the settings record whether the stack has it
 * encrypted (`secure`), in plain text (`plain`) or not at all (`missing`), and which config key feeds it.
 */
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import type { Catalog, CatalogScope, CatalogSecret } from "./catalog";
import { type Id, idProblem, type IdKind } from "./ids";
import { multiSegmentProblem } from "./paths";
import { loadProject, type ProjectFile, stackFilePath } from "./project";
import { formatPath, YamlSource } from "./yamlfile";

export type ValueStatus = "secure" | "plain" | "missing";

/** One key of a seeded secret and where its value comes from. */
export interface KeySource {
  key: string;
  /** The catalog marks the key as a credential. */
  secret: boolean;
  status: ValueStatus;
  /** Top-level config key without namespace, for example `infrastructure`. */
  configKey: string;
  /** Path inside that key's object, for example `["tables", "password"]`. */
  configPath: string[];
  /** The value itself, for plain settings that the plan publishes as they are (the tenant's name, domain, settings). */
  literal?: string;
}

/** A catalog secret of the system or tenant scope that the stack has values for. */
export interface SeededSecret {
  scope: Extract<CatalogScope, "system" | "tenant">;
  catalogPath: string;
  /** The catalog path with parameters filled, for example `llm/providers/openai`. */
  path: string;
  keys: KeySource[];
}

export interface OrgSettings {
  id: Id;
  bots: Id[];
}

export interface StackSettings {
  project: string;
  stack: string;
  /** Path of the stack file relative to the project root, for messages. */
  stackFile: string;
  tenant: { id: Id; name: string; domain: string; settings: string };
  vault: { address: string; namespace?: string };
  kv: { mount: string; prefix: string; maxVersions: number; casRequired: boolean; deleteVersionAfterSeconds: number };
  auth: {
    approle: {
      path: string;
      tokenTtlSeconds: number;
      tokenMaxTtlSeconds: number;
      secretIdTtlSeconds: number;
      secretIdNumUses: number;
      tokenBoundCidrs: string[];
      secretIdBoundCidrs: string[];
    };
    oidc: {
      path: string;
      issuerUrl: string;
      clientId: string;
      clientSecret: ValueStatus;
      allowedRedirectUris: string[];
      orgClaim: string;
      userClaim: string;
      groupsClaim: string;
      orgAdminGroup: string;
      scopes: string[];
      tokenTtlSeconds: number;
      tokenMaxTtlSeconds: number;
    };
  };
  orgs: OrgSettings[];
  /** Pulumi `protect` on mounts and auth backends. */
  protect: boolean;
  /** Publish the app's old flat layout next to the new one, from the same values. */
  legacyLayout: boolean;
  /** The Vault server sets deny_slash_in_templated_paths, so a templated rule whose value contains `/` is dropped. */
  vaultDeniesSlashInTemplates: boolean;
  seeded: SeededSecret[];
  /** Whether the stack file carries a passphrase provider salt. */
  encryptionSalt?: string;
  /** Secrets provider named by the stack file; undefined means the default (passphrase or service). */
  secretsProvider?: string;
}

/** One problem in the stack settings, with the command that fixes it. */
export interface ConfigProblem {
  file: string;
  line?: number;
  /** Full config key and path, for example `gbo-vault:infrastructure.tables.password`. */
  key: string;
  message: string;
  fix: string;
}

export class StackConfigError extends Error {
  constructor(
    readonly stackName: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `stack "${stackName}" has ${problems.length} configuration problem${problems.length === 1 ? "" : "s"}:\n` +
        problems.map(formatConfigProblem).join("\n"),
    );
    this.name = "StackConfigError";
  }
}

export function formatConfigProblem(problem: ConfigProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return `  ${where}: ${problem.key}: ${problem.message}\n    fix: ${problem.fix}`;
}

/** Top-level config keys of the project, without namespace. */
export const CONFIG_KEYS = [
  "vaultAddress",
  "vaultNamespace",
  "kvMount",
  "kvPrefix",
  "kvMaxVersions",
  "kvCasRequired",
  "kvDeleteVersionAfter",
  "tenant",
  "auth",
  "orgs",
  "protect",
  "legacyLayout",
  "vaultDeniesSlashInTemplates",
  "infrastructure",
  "system",
  "oidcClientSecret",
] as const;

/** Config keys whose values may hold `secure:` leaves; the program reads them with `requireSecretObject`. */
export const SECRET_CONFIG_KEYS = ["infrastructure", "system", "oidcClientSecret"] as const;

/**
 * `pulumi config set KEY 10` stores top-level values as strings, so integer and boolean settings accept the
 * string forms as Pulumi's own getNumber and getBoolean do.
 */
const integer = z.preprocess((value) => (typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value), z.number().int().min(0));
const BOOLEAN_STRINGS: Readonly<Record<string, boolean>> = { true: true, false: false };
const boolean = z.preprocess((value) => (typeof value === "string" && value in BOOLEAN_STRINGS ? BOOLEAN_STRINGS[value] : value), z.boolean());
const seconds = integer;
/** Ids may arrive as YAML numbers (Zitadel ids are numeric); they are path segments, so they become strings. */
const idValue = z.preprocess((value) => (typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value), z.string());
const url = z.string().regex(/^https?:\/\/[^\s/]+(?:\/\S*)?$/, "must be an http:// or https:// URL");

const approleSchema = z.strictObject({
  path: z.string().default("approle"),
  tokenTtl: seconds.default(3600),
  tokenMaxTtl: seconds.default(14_400),
  secretIdTtl: seconds.default(86_400),
  secretIdNumUses: integer.default(0),
  tokenBoundCidrs: z.array(z.string()).default([]),
  secretIdBoundCidrs: z.array(z.string()).default([]),
});

const oidcSchema = z.strictObject({
  path: z.string().default("oidc"),
  issuerUrl: url,
  clientId: z.string().min(1, "must not be empty"),
  allowedRedirectUris: z.array(url).optional(),
  orgClaim: z.string().min(1, "must not be empty").default("urn:zitadel:iam:user:resourceowner:id"),
  userClaim: z.string().min(1, "must not be empty").default("sub"),
  // Vault fails a login whose token lacks the groups claim, so the identity provider must always send it;
  // an empty string turns org-admin groups off.
  groupsClaim: z.string().default("groups"),
  orgAdminGroup: z.string().min(1, "must not be empty").default("gbo-org-admin"),
  scopes: z.array(z.string().min(1, "must not be empty")).default(["openid", "profile", "email", "urn:zitadel:iam:user:resourceowner"]),
  tokenTtl: seconds.default(3600),
  tokenMaxTtl: seconds.default(28_800),
});

const plainSchema = z.strictObject({
  vaultAddress: url,
  vaultNamespace: z.string().default(""),
  kvMount: z.string().default("secret"),
  kvPrefix: z.string().default("gbo"),
  kvMaxVersions: integer.default(10),
  // Check-and-set needs the secret's current version on every write. Neither the app (it writes with
  // kv2::set and no version) nor the Vault provider's kv.SecretV2 can supply one, so every write would fail.
  kvCasRequired: boolean.default(false).refine((value) => value === false, {
    message: "must be false: the app and this program write secrets without a check-and-set version, so Vault would reject every write",
  }),
  kvDeleteVersionAfter: seconds.default(0),
  tenant: z.strictObject({
    id: idValue,
    name: z.string().min(1, "must not be empty"),
    domain: z.string().regex(/^[A-Za-z0-9.-]+$/, "must be a DNS name"),
    settings: z.union([z.string(), z.record(z.string(), z.unknown())]).default({}),
  }),
  auth: z
    .strictObject({
      approle: approleSchema.default(approleSchema.parse({})),
      oidc: oidcSchema,
    }),
  orgs: z
    .array(z.strictObject({ id: idValue, bots: z.array(idValue).default([]) }))
    .default([]),
  protect: boolean.default(true),
  legacyLayout: boolean.default(false),
  vaultDeniesSlashInTemplates: boolean.default(false),
});

type PlainConfig = z.infer<typeof plainSchema>;

const SECURE_VALUE = /^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/;

interface Context {
  project: string;
  stack: string;
  source: YamlSource;
  problems: ConfigProblem[];
}

function configPathText(configKey: string, inner: ReadonlyArray<string | number>): string {
  return formatPath([configKey, ...inner]);
}

/** Quotes a config path for a POSIX shell when it needs quoting. */
function shellQuote(text: string): string {
  return /^[A-Za-z0-9_.:/@=-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/** Returns the `pulumi config set` command that sets one value; secrets are read from the prompt, never argv. */
export function configSetCommand(
  stack: string,
  configKey: string,
  inner: ReadonlyArray<string | number>,
  options: { secret?: boolean; example?: string } = {},
): string {
  const pathText = configPathText(configKey, inner);
  const usesPath = inner.length > 0 || configKey.includes(".");
  const parts = ["pulumi config set", `--stack ${shellQuote(stack)}`];
  if (options.secret) parts.push("--secret");
  if (usesPath) parts.push("--path");
  parts.push(shellQuote(pathText));
  if (options.secret) return `${parts.join(" ")}   # type the value at the prompt`;
  parts.push(options.example === undefined ? "<value>" : shellQuote(options.example));
  return parts.join(" ");
}

function lineFor(context: Context, fullKey: string, inner: ReadonlyArray<string | number>): number | undefined {
  return context.source.lineOf(["config", fullKey, ...inner]);
}

function report(
  context: Context,
  configKey: string,
  inner: ReadonlyArray<string | number>,
  message: string,
  fix: string,
): void {
  const fullKey = `${context.project}:${configKey}`;
  context.problems.push({
    file: context.source.file,
    line: lineFor(context, fullKey, inner),
    key: `${context.project}:${configPathText(configKey, inner)}`,
    message,
    fix,
  });
}

/**
 * Turns the BigInt integers of the YAML parser into numbers where that is exact and into their digits where it
 * is not, so an 18-digit Zitadel org id keeps every digit.
 */
function normalizeIntegers(value: unknown, ancestors: Set<unknown> = new Set()): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (typeof value !== "object" || value === null) return value;
  // A YAML alias inside the node it names makes the parsed data contain itself.
  if (ancestors.has(value)) throw new Error("a YAML alias refers to a node that contains it");
  ancestors.add(value);
  const out = Array.isArray(value)
    ? value.map((inner) => normalizeIntegers(inner, ancestors))
    : Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, normalizeIntegers(inner, ancestors)]));
  ancestors.delete(value);
  return out;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

/** True when `value` is a `{ secure: "v1:..." }` leaf of Pulumi's stack file format. */
export function isSecureLeaf(value: unknown): value is { secure: string } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { secure?: unknown }).secure === "string"
  );
}

/** Replaces every `secure:` leaf with a marker string, so zod can check structure without secret values. */
function maskSecure(value: unknown): unknown {
  if (isSecureLeaf(value)) return "[secure]";
  if (Array.isArray(value)) return value.map(maskSecure);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, maskSecure(inner)]));
  }
  return value;
}

function containsSecure(value: unknown): boolean {
  if (isSecureLeaf(value)) return true;
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecure);
  return false;
}

export interface LoadOptions {
  root?: string;
  catalog: Catalog;
  /** Replaces the stack file's text, for tests and for diffs against another git revision. */
  stackText?: string;
}

/** Loads and validates one stack's settings; every problem is thrown at once in a {@link StackConfigError}. */
export function loadStackSettings(stack: string, options: LoadOptions): StackSettings {
  const project = loadProject(options.root);
  if (!/^[A-Za-z0-9_.-]+$/.test(stack) || stack.startsWith(".")) {
    throw new StackConfigError(stack, [
      {
        file: project.stackConfigDir,
        key: "(stack name)",
        message: `invalid stack name ${JSON.stringify(stack)}: a stack name is letters, digits, '-', '_' and '.'`,
        fix: `use one of the stacks in ${project.stackConfigDir}/: ${knownStacks(project).join(", ") || "none"}`,
      },
    ]);
  }
  const file = stackFilePath(project, stack);
  const display = path.relative(project.root, file) || file;
  const source =
    options.stackText === undefined ? readStackFile(stack, file, display, project) : YamlSource.parse(options.stackText, display, { intAsBigInt: true });
  return settingsFromSource(stack, project, source, options.catalog);
}

/** Lists the stacks that have a file in the project's stack config folder. */
export function knownStacks(project: ProjectFile): string[] {
  try {
    return readdirSync(path.join(project.root, project.stackConfigDir))
      .map((name) => /^Pulumi\.(.+)\.ya?ml$/.exec(name)?.[1])
      .filter((name): name is string => name !== undefined)
      .sort();
  } catch {
    return [];
  }
}

function readStackFile(stack: string, file: string, display: string, project: ProjectFile): YamlSource {
  try {
    return YamlSource.read(file, display, { intAsBigInt: true });
  } catch {
    throw new StackConfigError(stack, [
      {
        file: display,
        key: "(stack file)",
        message: `stack file not found for stack "${stack}"`,
        fix: `use one of the stacks ${knownStacks(project).join(", ") || "(none yet)"}, or create the file with pulumi stack init ${shellQuote(stack)} and set its config`,
      },
    ]);
  }
}

/** Validates the parsed stack file against the project defaults and the catalog. */
export function settingsFromSource(
  stack: string,
  project: ProjectFile,
  source: YamlSource,
  catalog: Catalog,
): StackSettings {
  const context: Context = { project: project.name, stack, source, problems: [] };
  for (const problem of source.syntaxProblems()) {
    context.problems.push({ ...problem, key: "(stack file)", fix: "fix the YAML syntax at that line" });
  }
  if (context.problems.length > 0) throw new StackConfigError(stack, context.problems);

  let document: Record<string, unknown>;
  try {
    document = normalizeIntegers(source.toJS() ?? {}) as Record<string, unknown>;
  } catch (error) {
    context.problems.push({
      file: source.file,
      key: "(stack file)",
      message: `cannot be read as data: ${(error as Error).message}`,
      fix: "replace the YAML aliases (*name) in the stack file with the values they stand for",
    });
    throw new StackConfigError(stack, context.problems);
  }
  const rawConfig = (document.config ?? {}) as Record<string, unknown>;
  if (typeof rawConfig !== "object" || Array.isArray(rawConfig)) {
    report(context, "config", [], "must be a map of config keys", "write `config:` as a YAML map");
    throw new StackConfigError(stack, context.problems);
  }

  const values: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(project.config)) {
    if (!key.includes(":") && entry.default !== undefined) values[key] = entry.default;
  }
  for (const [fullKey, value] of Object.entries(rawConfig)) {
    const colon = fullKey.indexOf(":");
    const namespace = colon < 0 ? project.name : fullKey.slice(0, colon);
    const key = colon < 0 ? fullKey : fullKey.slice(colon + 1);
    if (namespace === project.name) {
      if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
        report(
          context,
          key,
          [],
          `unknown config key; the project's keys are ${CONFIG_KEYS.join(", ")}`,
          `pulumi config rm --stack ${shellQuote(stack)} ${shellQuote(fullKey)}`,
        );
        continue;
      }
      values[key] = value;
    } else if (namespace === "vault") {
      context.problems.push({
        file: source.file,
        line: source.lineOf(["config", fullKey]),
        key: fullKey,
        message: "configures Pulumi's default Vault provider, which this project disables",
        fix: `pulumi config rm --stack ${shellQuote(stack)} ${shellQuote(fullKey)}; set ${project.name}:vaultAddress or ${project.name}:vaultNamespace instead`,
      });
    }
  }

  const secretsProvider = typeof document.secretsprovider === "string" ? document.secretsprovider : undefined;
  const encryptionSalt = typeof document.encryptionsalt === "string" ? document.encryptionsalt : undefined;

  const plain = validatePlain(context, values);
  const seeded = [
    ...collectSeeded(context, catalog, "tenant", "infrastructure", values.infrastructure),
    ...collectSeeded(context, catalog, "system", "system", values.system),
  ];
  const clientSecret = secretScalarStatus(context, "oidcClientSecret", values.oidcClientSecret);

  const anySecure = Object.values(values).some(containsSecure);
  if (anySecure && encryptionSalt === undefined && secretsProvider === undefined) {
    context.problems.push({
      file: source.file,
      key: "encryptionsalt",
      message: "the stack has secure values but no encryptionsalt or secretsprovider, so they cannot be decrypted",
      fix: `restore the stack file's encryptionsalt line, or re-create the values with pulumi config set --stack ${shellQuote(stack)} --secret`,
    });
  }

  if (context.problems.length > 0 || plain === undefined) throw new StackConfigError(stack, context.problems);

  if (plain.tenant.settings !== undefined && typeof plain.tenant.settings !== "string") {
    plain.tenant.settings = JSON.stringify(plain.tenant.settings);
  }
  const tenantValues: Record<string, string> = {
    name: plain.tenant.name,
    domain: plain.tenant.domain,
    settings: plain.tenant.settings as string,
  };
  const tenantConfig = catalog.secret("tenant", "config");
  if (tenantConfig !== undefined) {
    seeded.unshift({
      scope: "tenant",
      catalogPath: "config",
      path: "config",
      keys: tenantConfig.keys.map((key) => ({
        key: key.name,
        secret: key.secret,
        status: "plain" as const,
        configKey: "tenant",
        configPath: [key.name],
        literal: tenantValues[key.name],
      })),
    });
  }

  return {
    project: project.name,
    stack,
    stackFile: source.file,
    tenant: {
      id: plain.tenant.id as Id,
      name: plain.tenant.name,
      domain: plain.tenant.domain,
      settings: plain.tenant.settings as string,
    },
    vault: { address: plain.vaultAddress, namespace: plain.vaultNamespace === "" ? undefined : plain.vaultNamespace },
    kv: {
      mount: plain.kvMount,
      prefix: plain.kvPrefix,
      maxVersions: plain.kvMaxVersions,
      casRequired: plain.kvCasRequired,
      deleteVersionAfterSeconds: plain.kvDeleteVersionAfter,
    },
    auth: {
      approle: {
        path: plain.auth.approle.path,
        tokenTtlSeconds: plain.auth.approle.tokenTtl,
        tokenMaxTtlSeconds: plain.auth.approle.tokenMaxTtl,
        secretIdTtlSeconds: plain.auth.approle.secretIdTtl,
        secretIdNumUses: plain.auth.approle.secretIdNumUses,
        tokenBoundCidrs: plain.auth.approle.tokenBoundCidrs,
        secretIdBoundCidrs: plain.auth.approle.secretIdBoundCidrs,
      },
      oidc: {
        path: plain.auth.oidc.path,
        issuerUrl: plain.auth.oidc.issuerUrl,
        clientId: plain.auth.oidc.clientId,
        clientSecret,
        allowedRedirectUris: plain.auth.oidc.allowedRedirectUris ?? [
          `${plain.vaultAddress.replace(/\/+$/, "")}/ui/vault/auth/${plain.auth.oidc.path}/oidc/callback`,
          "http://localhost:8250/oidc/callback",
        ],
        orgClaim: plain.auth.oidc.orgClaim,
        userClaim: plain.auth.oidc.userClaim,
        groupsClaim: plain.auth.oidc.groupsClaim,
        orgAdminGroup: plain.auth.oidc.orgAdminGroup,
        scopes: plain.auth.oidc.scopes,
        tokenTtlSeconds: plain.auth.oidc.tokenTtl,
        tokenMaxTtlSeconds: plain.auth.oidc.tokenMaxTtl,
      },
    },
    orgs: plain.orgs.map((org) => ({ id: org.id as Id, bots: org.bots as Id[] })),
    protect: plain.protect,
    legacyLayout: plain.legacyLayout,
    vaultDeniesSlashInTemplates: plain.vaultDeniesSlashInTemplates,
    seeded,
    encryptionSalt,
    secretsProvider,
  };
}

/** Mount paths that Vault reserves for its own backends. */
const RESERVED_MOUNTS = ["sys", "auth", "identity", "cubbyhole", "token"];

/** Required fields of the object-valued settings, in the order an operator sets them. */
const REQUIRED_OBJECT_FIELDS: Record<string, string[]> = {
  tenant: ["id", "name", "domain"],
  auth: ["oidc.issuerUrl", "oidc.clientId"],
};

function exampleFor(key: string, stack: string): string | undefined {
  const examples: Record<string, string> = {
    vaultAddress: "https://vault.example.com:8200",
    "tenant.id": stack,
    "tenant.name": `General Bots (${stack})`,
    "tenant.domain": `${stack}.example.com`,
    "auth.oidc.issuerUrl": "https://zitadel.example.com",
    "auth.oidc.clientId": "123456789@gbo",
  };
  return examples[key];
}

function validatePlain(context: Context, values: Record<string, unknown>): PlainConfig | undefined {
  const input: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    if ((SECRET_CONFIG_KEYS as readonly string[]).includes(key)) continue;
    if (values[key] !== undefined) input[key] = maskSecure(values[key]);
  }
  for (const key of Object.keys(input)) {
    if (containsSecure(values[key])) {
      report(
        context,
        key,
        [],
        "contains a secure value, but this key is plain configuration",
        `pulumi config set --stack ${shellQuote(context.stack)} --path ${shellQuote(key)} <value>   # without --secret`,
      );
    }
  }
  const result = plainSchema.safeParse(input);
  const problemsBefore = context.problems.length;
  if (!result.success) {
    for (const issue of result.error.issues) {
      const [configKey, ...inner] = issue.path.map((part) => (typeof part === "symbol" ? String(part) : part));
      const key = String(configKey ?? "");
      const innerPath = inner as Array<string | number>;
      const dotted = formatPath([key, ...innerPath]);
      const missing = issue.code === "invalid_type" && valueAt(input, issue.path) === undefined;
      const message = missing ? "is required but not set" : issue.message;
      // A missing object is set one required field at a time, because `pulumi config set KEY VALUE` would
      // store a string where the program needs an object.
      const firstField = missing && innerPath.length === 0 ? REQUIRED_OBJECT_FIELDS[key] : undefined;
      const fix =
        key === "kvCasRequired"
          ? `pulumi config rm --stack ${shellQuote(context.stack)} kvCasRequired`
          : firstField === undefined
          ? configSetCommand(context.stack, key, innerPath, { example: exampleFor(dotted, context.stack) })
          : firstField.map((field) => configSetCommand(context.stack, key, field.split("."), { example: exampleFor(`${key}.${field}`, context.stack) })).join("; ");
      report(context, key, innerPath, message, fix);
    }
  }
  const data = result.success ? result.data : undefined;
  checkIds(context, input);
  return context.problems.length > problemsBefore ? undefined : data;
}

function checkId(context: Context, kind: IdKind, value: string, configKey: string, inner: Array<string | number>): void {
  const problem = idProblem(kind, value);
  if (problem === undefined) return;
  report(
    context,
    configKey,
    inner,
    `invalid ${kind} id ${JSON.stringify(value)}: ${problem}`,
    configSetCommand(context.stack, configKey, inner, { example: kind === "tenant" ? context.stack : `${kind}-1` }),
  );
}

function asString(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
  return typeof value === "string" ? value : undefined;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * Checks ids and paths on the raw input, so they are reported even when other settings fail the schema. Values
 * of the wrong type are left to the schema's own message.
 */
function checkIds(context: Context, raw: Record<string, unknown>): void {
  const tenantId = asString(asRecord(raw.tenant).id);
  if (tenantId !== undefined) checkId(context, "tenant", tenantId, "tenant", ["id"]);
  const namespace = asString(raw.vaultNamespace);
  const namespaceProblem = namespace === undefined || namespace === "" ? undefined : multiSegmentProblem(namespace);
  if (namespaceProblem !== undefined) {
    report(context, "vaultNamespace", [], `invalid namespace ${JSON.stringify(namespace)}: ${namespaceProblem}`, configSetCommand(context.stack, "vaultNamespace", [], { example: "team-a" }));
  }
  const mount = asString(raw.kvMount);
  const reservedMount = mount === undefined ? undefined : RESERVED_MOUNTS.find((reserved) => mount === reserved || mount.startsWith(`${reserved}/`));
  if (reservedMount !== undefined) {
    report(context, "kvMount", [], `"${mount}" is a path Vault reserves for its own ${reservedMount} backend`, configSetCommand(context.stack, "kvMount", [], { example: "secret" }));
  }
  for (const name of ["kvMount", "kvPrefix"] as const) {
    const value = asString(raw[name]);
    const problem = value === undefined ? undefined : multiSegmentProblem(value);
    if (problem !== undefined) {
      report(context, name, [], `invalid path ${JSON.stringify(value)}: ${problem}`, configSetCommand(context.stack, name, [], { example: name === "kvMount" ? "secret" : "gbo" }));
    }
  }
  const auth = asRecord(raw.auth);
  const approlePath = asString(asRecord(auth.approle).path) ?? "approle";
  const oidcPath = asString(asRecord(auth.oidc).path) ?? "oidc";
  for (const [name, value] of [
    ["approle", approlePath],
    ["oidc", oidcPath],
  ] as const) {
    const problem = multiSegmentProblem(value);
    if (problem !== undefined) {
      report(context, "auth", [name, "path"], `invalid auth mount path ${JSON.stringify(value)}: ${problem}`, configSetCommand(context.stack, "auth", [name, "path"], { example: name }));
    }
  }
  const oidcSettings = asRecord(auth.oidc);
  const orgClaim = asString(oidcSettings.orgClaim) ?? "urn:zitadel:iam:user:resourceowner:id";
  const userClaim = asString(oidcSettings.userClaim) ?? "sub";
  if (orgClaim === userClaim) {
    report(
      context,
      "auth",
      ["oidc", "orgClaim"],
      `the org claim and the user claim are both "${orgClaim}", so a user's org would be their user id`,
      configSetCommand(context.stack, "auth", ["oidc", "orgClaim"], { example: "urn:zitadel:iam:user:resourceowner:id" }),
    );
  }
  if (approlePath === oidcPath) {
    report(context, "auth", ["oidc", "path"], "the OIDC and AppRole auth mounts must have different paths", configSetCommand(context.stack, "auth", ["oidc", "path"], { example: "oidc" }));
  }
  const group = asString(asRecord(auth.oidc).orgAdminGroup);
  const groupProblem = group === undefined ? undefined : idProblem("name", group);
  if (groupProblem !== undefined) {
    report(context, "auth", ["oidc", "orgAdminGroup"], `invalid group name: ${groupProblem}`, configSetCommand(context.stack, "auth", ["oidc", "orgAdminGroup"], { example: "gbo-org-admin" }));
  }
  const orgs = Array.isArray(raw.orgs) ? raw.orgs : [];
  const orgIds = new Map<string, number>();
  orgs.forEach((rawOrg, orgIndex) => {
    const org = asRecord(rawOrg);
    const orgId = asString(org.id);
    if (orgId === undefined) return;
    checkId(context, "org", orgId, "orgs", [orgIndex, "id"]);
    const first = orgIds.get(orgId);
    if (first !== undefined) {
      report(
        context,
        "orgs",
        [orgIndex, "id"],
        `duplicate org id "${orgId}", first declared at orgs[${first}]`,
        configSetCommand(context.stack, "orgs", [orgIndex, "id"], { example: "another-org-id" }),
      );
    } else {
      orgIds.set(orgId, orgIndex);
    }
    const bots = Array.isArray(org.bots) ? org.bots : [];
    const botIds = new Set<string>();
    bots.forEach((rawBot, botIndex) => {
      const bot = asString(rawBot);
      if (bot === undefined) return;
      checkId(context, "bot", bot, "orgs", [orgIndex, "bots", botIndex]);
      if (botIds.has(bot)) {
        report(
          context,
          "orgs",
          [orgIndex, "bots", botIndex],
          `duplicate bot id "${bot}" in org "${orgId}"`,
          configSetCommand(context.stack, "orgs", [orgIndex, "bots", botIndex], { example: "another-bot-id" }),
        );
      }
      botIds.add(bot);
    });
  });
}

function secretScalarStatus(context: Context, configKey: string, value: unknown): ValueStatus {
  if (value === undefined || value === null || value === "") return "missing";
  if (isSecureLeaf(value)) return checkSecureText(context, configKey, [], value.secure) ? "secure" : "missing";
  report(
    context,
    configKey,
    [],
    "is a secret but is set in plain text",
    configSetCommand(context.stack, configKey, [], { secret: true }),
  );
  return "plain";
}

function checkSecureText(context: Context, configKey: string, inner: Array<string | number>, text: string): boolean {
  if (SECURE_VALUE.test(text)) return true;
  report(
    context,
    configKey,
    inner,
    "has a secure value that is not in the v1:<nonce>:<ciphertext> format",
    configSetCommand(context.stack, configKey, inner, { secret: true }),
  );
  return false;
}

/**
 * Walks a secret tree of the stack file (`infrastructure` or `system`) against the catalog. A node whose path
 * is a catalog secret contributes its keys; any other object child is a deeper path (`llm` -> `llm/providers`).
 */
function collectSeeded(
  context: Context,
  catalog: Catalog,
  scope: "tenant" | "system",
  configKey: string,
  tree: unknown,
): SeededSecret[] {
  if (tree === undefined || tree === null) return [];
  const seeded: SeededSecret[] = [];
  const basePrefix = scope === "tenant" ? "infrastructure" : "";
  const candidates = catalog.scopes[scope].secrets.filter((secret) =>
    scope === "tenant" ? secret.path.startsWith("infrastructure/") : true,
  );
  const names = candidates.map((secret) => (basePrefix === "" ? secret.path : secret.path.slice(basePrefix.length + 1)));

  const walk = (node: unknown, inner: string[]): void => {
    if (typeof node !== "object" || node === null || Array.isArray(node) || isSecureLeaf(node)) {
      report(context, configKey, inner, "must be a map of secret names to their keys", `edit ${context.source.file} so that ${configPathText(configKey, inner)} is a YAML map`);
      return;
    }
    const relative = inner.join("/");
    let concrete = relative;
    if (basePrefix !== "") concrete = relative === "" ? basePrefix : `${basePrefix}/${relative}`;
    const match = relative === "" ? undefined : catalog.match(scope, concrete);
    const secret: CatalogSecret | undefined = match && candidates.includes(match.secret) ? match.secret : undefined;
    if (match !== undefined && secret !== undefined) {
      for (const [parameter, value] of Object.entries(match.values)) {
        const kind: IdKind = parameter === "provider" ? "provider" : "name";
        const problem = idProblem(kind, value);
        if (problem !== undefined) {
          report(context, configKey, inner, `invalid ${kind} id ${JSON.stringify(value)}: ${problem}`, `rename ${configPathText(configKey, inner)} in ${context.source.file}`);
          return;
        }
      }
    }
    const keySources: KeySource[] = [];
    for (const [name, value] of Object.entries(node as Record<string, unknown>)) {
      const childInner = [...inner, name];
      const key = secret?.keys.find((candidate) => candidate.name === name);
      if (key !== undefined) {
        const status = leafStatus(context, configKey, childInner, key.secret, value);
        if (status !== undefined) keySources.push({ key: name, secret: key.secret, status, configKey, configPath: childInner });
        continue;
      }
      const childRelative = childInner.join("/");
      const deeper = names.some((candidate) => prefixMatches(candidate.split("/"), childRelative.split("/")));
      if (deeper && typeof value === "object" && value !== null && !isSecureLeaf(value)) {
        walk(value, childInner);
        continue;
      }
      const valid = secret
        ? `keys of ${scope === "tenant" ? "" : "system/"}${concrete}: ${secret.keys.map((candidate) => candidate.name).join(", ")}`
        : `secrets: ${names.join(", ")}`;
      report(
        context,
        configKey,
        childInner,
        `unknown ${secret ? "key" : "secret"} "${name}"; the catalog's ${valid}`,
        `pulumi config rm --stack ${shellQuote(context.stack)} --path ${shellQuote(configPathText(configKey, childInner))}`,
      );
    }
    if (secret !== undefined && match !== undefined) {
      const present = new Set(keySources.map((source) => source.key));
      for (const key of secret.keys) {
        if (!present.has(key.name)) {
          keySources.push({ key: key.name, secret: key.secret, status: "missing", configKey, configPath: [...inner, key.name] });
        }
      }
      const order = secret.keys.map((key) => key.name);
      keySources.sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
      seeded.push({ scope, catalogPath: secret.path, path: concrete, keys: keySources });
    }
  };
  walk(tree, []);
  return seeded;
}

function prefixMatches(pattern: string[], prefix: string[]): boolean {
  if (prefix.length > pattern.length) return false;
  return prefix.every((part, index) => pattern[index] === part || /^\{[a-z_]+\}$/.test(pattern[index]!));
}

function leafStatus(
  context: Context,
  configKey: string,
  inner: string[],
  secret: boolean,
  value: unknown,
): ValueStatus | undefined {
  if (value === null || value === undefined) return "missing";
  if (isSecureLeaf(value)) return checkSecureText(context, configKey, inner, value.secure) ? "secure" : undefined;
  if (typeof value === "object") {
    report(context, configKey, inner, "must be a string, number or boolean (it is stored as a JSON string)", configSetCommand(context.stack, configKey, inner, { secret }));
    return undefined;
  }
  if (secret) {
    report(context, configKey, inner, "is a secret but is set in plain text; the catalog requires an encrypted value", configSetCommand(context.stack, configKey, inner, { secret: true }));
    return undefined;
  }
  return "plain";
}

/** Repository-level check: two stacks must not manage the same Vault (address and namespace). */
export function sharedVaultProblems(settings: readonly StackSettings[]): string[] {
  const byTarget = new Map<string, string[]>();
  for (const stack of settings) {
    const target = `${stack.vault.address.replace(/\/+$/, "").toLowerCase()}#${stack.vault.namespace ?? ""}`;
    byTarget.set(target, [...(byTarget.get(target) ?? []), stack.stack]);
  }
  const problems: string[] = [];
  for (const [target, stacks] of byTarget) {
    if (stacks.length > 1) {
      const [address, namespace] = target.split("#");
      problems.push(
        `stacks ${stacks.map((name) => `"${name}"`).join(", ")} all manage the Vault at ${address}${namespace ? ` namespace ${namespace}` : ""}; ` +
          "give each stack its own Vault or namespace (gbo-vault:vaultAddress, gbo-vault:vaultNamespace)",
      );
    }
  }
  return problems;
}
