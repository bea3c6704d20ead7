/**
 * Parsing of Vault ACL policies (HCL or JSON) into typed stanzas, following `vault/policy.go`:
 * only known keys, capability names checked, legacy `policy = "..."` expanded, parameter keys
 * lower-cased, wrapping TTLs parsed and path patterns classified as exact, prefix or segment rules.
 */
import { type HclItem, type HclNode, HclSyntaxError, parseHcl, toPlain } from "./hcl";
import { checkTemplateSyntax, hasTemplateDirective, parseDurationSeconds } from "./template";

export const CAPABILITY_NAMES = [
  "deny",
  "create",
  "read",
  "update",
  "delete",
  "list",
  "sudo",
  "patch",
  "subscribe",
  "recover",
] as const;

export type Capability = (typeof CAPABILITY_NAMES)[number];

/** Bit per capability, in the order Vault's `cap2Int` defines them. */
export const CAPABILITY_BITS: Record<Capability, number> = {
  deny: 1 << 0,
  create: 1 << 1,
  read: 1 << 2,
  update: 1 << 3,
  delete: 1 << 4,
  list: 1 << 5,
  sudo: 1 << 6,
  patch: 1 << 7,
  subscribe: 1 << 8,
  recover: 1 << 9,
};

/** Capabilities that legacy `policy = "..."` values add. Neither `write` nor `sudo` includes `patch`. */
const LEGACY_POLICY_CAPABILITIES: Record<string, Capability[]> = {
  deny: ["deny"],
  read: ["read", "list"],
  write: ["create", "read", "update", "delete", "list"],
  sudo: ["create", "read", "update", "delete", "list", "sudo"],
};

/** Keys Vault accepts inside a `path` stanza. Any other key is a parse error. */
const PATH_KEYS = new Set([
  "policy",
  "capabilities",
  "allowed_parameters",
  "denied_parameters",
  "required_parameters",
  "min_wrapping_ttl",
  "max_wrapping_ttl",
  "mfa_methods",
  "control_group",
  "comment",
  "subscribe_event_types",
]);

const TOP_LEVEL_KEYS = new Set(["name", "path"]);

/** Map of parameter name to allowed or denied values, where an empty list means any value. */
export type ParameterMap = Record<string, unknown[]>;

/** Permissions of one stanza, or of several identical patterns merged together. */
export interface Permissions {
  /** OR of `CAPABILITY_BITS`. A deny-only entry has exactly the `deny` bit. */
  bits: number;
  allowedParameters?: ParameterMap;
  deniedParameters?: ParameterMap;
  requiredParameters: string[];
  /** Seconds, or 0 when unset. */
  minWrappingTtl: number;
  /** Seconds, or 0 when unset. */
  maxWrappingTtl: number;
  mfaMethods: string[];
}

/** One `path "..." { ... }` stanza as written. */
export interface PathRule {
  /**
   * The path key as written. One leading `/` is stripped from plain paths; templated paths keep it
   * because Vault strips it only after rendering.
   */
  path: string;
  /** True when `path` contains identity-template directives, which are rendered at compile time. */
  templated: boolean;
  permissions: Permissions;
  /** 1-based line of the stanza in the source. */
  line: number;
}

export interface Policy {
  /** Lower-cased, trimmed name, as Vault stores policy names. */
  name: string;
  rules: PathRule[];
  /** True when any path is templated. */
  templated: boolean;
  sourceFile?: string;
  /** Notes about legal but likely unintended patterns, such as a `*` in the middle of a path. */
  warnings: string[];
}

export class PolicyParseError extends Error {
  constructor(
    readonly source: string,
    readonly line: number | undefined,
    readonly reason: string,
  ) {
    super(line === undefined ? `${source}: ${reason}` : `${source}:${line}: ${reason}`);
    this.name = "PolicyParseError";
  }
}

/** Lower-cases and trims a policy name, as Vault's `sanitizeName` does. */
export function sanitizePolicyName(name: string): string {
  return name.trim().toLowerCase();
}

export type RuleKind = "exact" | "prefix" | "segment";

/** Classification of a rendered path pattern, with the key Vault stores it under. */
export interface PatternClass {
  kind: RuleKind;
  /** Exact and segment rules: the pattern itself. Prefix rules: the pattern without its trailing `*`. */
  key: string;
}

/**
 * Classifies a rendered path pattern. A pattern with a `+` segment is a segment rule and keeps any
 * trailing `*`. Otherwise a trailing `*` makes a prefix rule, and a `*` anywhere else is a literal
 * character. Returns an error for the forbidden `+*`.
 */
export function classifyPattern(path: string): PatternClass | { error: string } {
  if (path.includes("+*")) return { error: `path "${path}": invalid use of wildcards ('+*' is forbidden)` };
  if (path === "+" || path.startsWith("+/") || path.includes("/+")) return { kind: "segment", key: path };
  if (path.endsWith("*")) return { kind: "prefix", key: path.slice(0, -1) };
  return { kind: "exact", key: path };
}

class StanzaError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function findItem(items: HclItem[], key: string): HclItem | undefined {
  let found: HclItem | undefined;
  for (const item of items) if (item.keys[0] === key) found = item;
  return found;
}

function stringList(node: HclNode, keyName: string): string[] {
  if (node.kind !== "list") throw new StanzaError(node.line, `${keyName} must be a list of strings`);
  return node.items.map((item) => {
    if (item.kind !== "string") throw new StanzaError(item.line, `${keyName} must be a list of strings`);
    return item.value;
  });
}

function parameterMap(node: HclNode, keyName: string): ParameterMap {
  if (node.kind !== "object") throw new StanzaError(node.line, `${keyName} must be a map of parameter names to lists`);
  const result: ParameterMap = {};
  for (const item of node.items) {
    if (item.keys.length !== 1) {
      throw new StanzaError(item.line, `${keyName}: unexpected nested block "${item.keys.join(" ")}"`);
    }
    const name = item.keys[0].toLowerCase();
    if (name.includes("*") && name !== "*" && !name.startsWith("/")) {
      throw new StanzaError(item.line, `${keyName}: parameter name "${item.keys[0]}" may contain "*" only as the whole name "*"`);
    }
    const value = toPlain(item.value);
    result[name] = Array.isArray(value) ? value : [value];
  }
  return result;
}

function wrappingTtl(node: HclNode, keyName: string): number {
  let seconds: number | undefined;
  if (node.kind === "number" && Number.isInteger(node.value)) seconds = node.value;
  if (node.kind === "string") seconds = parseDurationSeconds(node.value);
  if (seconds === undefined || seconds < 0) {
    throw new StanzaError(node.line, `${keyName} must be a number of seconds or a duration such as "1h"`);
  }
  return seconds;
}

function parseStanza(path: string, body: HclNode, line: number): PathRule {
  if (body.kind !== "object") throw new StanzaError(body.line, `path "${path}" must be a block`);
  for (const item of body.items) {
    if (!PATH_KEYS.has(item.keys[0])) {
      throw new StanzaError(item.line, `invalid key "${item.keys[0]}" in path "${path}"`);
    }
  }

  let capabilities: string[] = [];
  const capabilitiesItem = findItem(body.items, "capabilities");
  if (capabilitiesItem !== undefined) capabilities = stringList(capabilitiesItem.value, "capabilities");

  const legacyItem = findItem(body.items, "policy");
  if (legacyItem !== undefined) {
    if (legacyItem.value.kind !== "string") throw new StanzaError(legacyItem.line, `policy must be a string`);
    const legacy = LEGACY_POLICY_CAPABILITIES[legacyItem.value.value];
    if (legacy === undefined) {
      throw new StanzaError(
        legacyItem.line,
        `invalid policy "${legacyItem.value.value}" in path "${path}": expected deny, read, write or sudo`,
      );
    }
    capabilities = legacyItem.value.value === "deny" ? ["deny"] : [...capabilities, ...legacy];
  }

  const permissions: Permissions = {
    bits: 0,
    requiredParameters: [],
    minWrappingTtl: 0,
    maxWrappingTtl: 0,
    mfaMethods: [],
  };
  for (const capability of capabilities) {
    if (!(CAPABILITY_NAMES as readonly string[]).includes(capability)) {
      const where = capabilitiesItem?.line ?? legacyItem?.line ?? line;
      throw new StanzaError(where, `invalid capability "${capability}" in path "${path}"`);
    }
    if (capability === "deny") {
      // A deny stanza discards its other capabilities and its parameter constraints.
      permissions.bits = CAPABILITY_BITS.deny;
      return { path, templated: hasTemplateDirective(path), permissions, line };
    }
    permissions.bits |= CAPABILITY_BITS[capability as Capability];
  }

  const allowed = findItem(body.items, "allowed_parameters");
  if (allowed !== undefined) permissions.allowedParameters = parameterMap(allowed.value, "allowed_parameters");
  const denied = findItem(body.items, "denied_parameters");
  if (denied !== undefined) permissions.deniedParameters = parameterMap(denied.value, "denied_parameters");
  const required = findItem(body.items, "required_parameters");
  if (required !== undefined) permissions.requiredParameters = stringList(required.value, "required_parameters");
  const mfa = findItem(body.items, "mfa_methods");
  if (mfa !== undefined) permissions.mfaMethods = stringList(mfa.value, "mfa_methods");

  const minTtl = findItem(body.items, "min_wrapping_ttl");
  if (minTtl !== undefined) permissions.minWrappingTtl = wrappingTtl(minTtl.value, "min_wrapping_ttl");
  const maxTtl = findItem(body.items, "max_wrapping_ttl");
  if (maxTtl !== undefined) permissions.maxWrappingTtl = wrappingTtl(maxTtl.value, "max_wrapping_ttl");
  if (permissions.maxWrappingTtl > 0 && permissions.maxWrappingTtl < permissions.minWrappingTtl) {
    throw new StanzaError(maxTtl!.line, `max_wrapping_ttl cannot be less than min_wrapping_ttl in path "${path}"`);
  }

  return { path, templated: hasTemplateDirective(path), permissions, line };
}

/** Yields (path, body) pairs from `path "x" {}` blocks and from the JSON form `"path": {"x": {...}}`. */
function pathStanzas(item: HclItem): { path: string; body: HclNode; line: number }[] {
  if (item.keys.length === 2) return [{ path: item.keys[1], body: item.value, line: item.line }];
  if (item.keys.length > 2) {
    throw new StanzaError(item.line, `path block takes one label, found ${item.keys.length - 1}`);
  }
  const containers = item.value.kind === "list" ? item.value.items : [item.value];
  const result: { path: string; body: HclNode; line: number }[] = [];
  for (const container of containers) {
    if (container.kind !== "object") throw new StanzaError(container.line, `"path" must map path patterns to blocks`);
    for (const entry of container.items) {
      if (entry.keys.length !== 1) {
        throw new StanzaError(entry.line, `path block takes one label, found ${entry.keys.length}`);
      }
      result.push({ path: entry.keys[0], body: entry.value, line: entry.line });
    }
  }
  return result;
}

/**
 * Parses policy text (HCL or JSON) the way Vault does when the policy is written.
 * Throws `PolicyParseError` whose message names the source file (or policy), the line and the reason.
 */
export function parsePolicy(text: string, name: string, sourceFile?: string): Policy {
  const source = sourceFile ?? `policy "${name}"`;
  let root: HclNode;
  try {
    root = parseHcl(text);
  } catch (error) {
    if (error instanceof HclSyntaxError) throw new PolicyParseError(source, error.line, error.reason);
    throw error;
  }
  if (root.kind !== "object") throw new PolicyParseError(source, root.line, "a policy must be an object");

  const policy: Policy = { name: sanitizePolicyName(name), rules: [], templated: false, sourceFile, warnings: [] };
  try {
    for (const item of root.items) {
      if (!TOP_LEVEL_KEYS.has(item.keys[0])) {
        throw new StanzaError(item.line, `invalid key "${item.keys[0]}": a policy contains only "name" and "path" blocks`);
      }
      if (item.keys[0] !== "path") continue;
      for (const stanza of pathStanzas(item)) {
        // Vault strips one leading "/" after rendering, so a templated path keeps it until compile time.
        const templated = hasTemplateDirective(stanza.path);
        const path = !templated && stanza.path.startsWith("/") ? stanza.path.slice(1) : stanza.path;
        const rule = parseStanza(path, stanza.body, stanza.line);
        checkPattern(rule, policy);
        policy.rules.push(rule);
      }
    }
  } catch (error) {
    if (error instanceof StanzaError) throw new PolicyParseError(source, error.line, error.reason);
    throw error;
  }
  policy.templated = policy.rules.some((rule) => rule.templated);
  return policy;
}

function checkPattern(rule: PathRule, policy: Policy): void {
  if (rule.templated) {
    const syntaxError = checkTemplateSyntax(rule.path);
    if (syntaxError !== undefined) throw new StanzaError(rule.line, `path "${rule.path}": ${syntaxError}`);
  }
  const pattern = classifyPattern(rule.path);
  if ("error" in pattern) throw new StanzaError(rule.line, pattern.error);
  const star = rule.path.indexOf("*");
  if (star >= 0 && star < rule.path.length - 1) {
    policy.warnings.push(
      `line ${rule.line}: path "${rule.path}" has "*" before its end; Vault treats that "*" as a literal character, not a wildcard`,
    );
  }
}
