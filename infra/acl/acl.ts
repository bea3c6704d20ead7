/**
 * Compiling policies into one ACL and evaluating requests against it, modelled on `vault/acl.go`.
 *
 * Modelled version: Vault as of 2026 (the 1.21 / 2.0 line with the LIST deny-bypass fix):
 * - LIST on a trailing-slash path pools the prefix and segment candidates of the full and the
 *   slash-trimmed path, and the most specific deny wins over a less specific list grant. The two
 *   older algorithms (up to 1.15.1, and 1.15.2 until the fix) are available through `listAlgorithm`.
 * - A rendered template value containing `*` or `+` drops the stanza; `/` drops it only when
 *   `denySlashInTemplatedPaths` is set (Vault's default is false).
 * - List-valued and comma-separated request parameters are matched element by element (1.21+).
 * - The capabilities `subscribe` and `recover` are accepted.
 */
import { isRootProtectedPath } from "./builtin";
import {
  CAPABILITY_BITS,
  type Capability,
  classifyPattern,
  type ParameterMap,
  type Permissions,
  type Policy,
} from "./policy";
import { type Identity, renderTemplate, type TemplateOptions } from "./template";

export type Operation =
  | "read"
  | "create"
  | "update"
  | "patch"
  | "delete"
  | "list"
  | "recover"
  | "help"
  | "revoke"
  | "renew"
  | "rollback";

export const OPERATIONS: readonly Operation[] = [
  "read",
  "create",
  "update",
  "patch",
  "delete",
  "list",
  "recover",
  "help",
  "revoke",
  "renew",
  "rollback",
];

/** Algorithm that chooses among non-exact rules for LIST on a trailing-slash path, which differs by Vault version. */
export type ListAlgorithm =
  /** Current Vault: pool full and trimmed candidates; the most specific deny beats a weaker list grant. */
  | "current"
  /** Vault 1.15.2 until the 2026 fix: candidates of the trimmed path first, the full path only if none. */
  | "trimmed-first"
  /** Vault up to 1.15.1: candidates of the full path only. */
  | "full-path";

export interface CompileOptions extends TemplateOptions {}

/** Permissions of one pattern after merging every identical pattern across the policies. */
export interface MergedPermissions extends Permissions {
  /** Policy names per capability bit, for the `granting_policies` of a decision. */
  granting: Map<number, Set<string>>;
}

/** One compiled pattern: exact, prefix (glob) or segment-wildcard. */
export interface CompiledRule {
  kind: "exact" | "prefix" | "segment";
  /** The pattern as a policy writes it, trailing `*` included. */
  pattern: string;
  permissions: MergedPermissions;
  /** Capability names of the rule in Vault's reporting order, or `["deny"]` for a deny rule. */
  capabilities: readonly string[];
  /** Priority among non-exact rules: a higher rank wins. 0 for exact rules. */
  rank: number;
  /** Index of the first wildcard: the first `+` of a segment rule, the length of a prefix rule's key. */
  firstWildcard: number;
  /** True when the pattern ends in `*`. */
  isPrefix: boolean;
  /** Number of `+` segments. */
  wildcards: number;
  /** The pattern without its trailing `*`. */
  stem: string;
  /** Segment rules: `stem` split on `/`. */
  parts: string[];
}

/** A templated stanza that could not be rendered for the identity, and so is absent from the ACL. */
export interface DroppedRule {
  policy: string;
  path: string;
  error: string;
}

export interface Acl {
  /** True for the built-in `root` policy: everything is allowed with root privileges. */
  readonly root: boolean;
  readonly policyNames: readonly string[];
  readonly exact: ReadonlyMap<string, CompiledRule>;
  /** Prefix rules keyed by the pattern without its trailing `*`. */
  readonly prefix: ReadonlyMap<string, CompiledRule>;
  /** Distinct prefix key lengths, longest first, for the longest-prefix lookup. */
  readonly prefixLengths: readonly number[];
  readonly segment: readonly CompiledRule[];
  /** Segment rules whose first segment is literal, keyed by that segment. */
  readonly segmentByFirstPart: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Segment rules whose first segment is `+`. */
  readonly segmentWildFirst: readonly CompiledRule[];
  readonly dropped: readonly DroppedRule[];
}

export interface AclRequest {
  /** API path after `/v1/`, without a leading `/`. */
  path: string;
  operation: Operation;
  /** Request parameters (body or query) as typed JSON values. */
  data?: Record<string, unknown>;
  /** Requested response-wrapping TTL in seconds; absent means the request is not wrapped. */
  wrapTtlSeconds?: number;
}

export interface EvaluateOptions {
  listAlgorithm?: ListAlgorithm;
  /** Require `sudo` on root-protected paths as Vault's request handling does (default true). */
  enforceRootProtectedPaths?: boolean;
}

export interface Decision {
  allowed: boolean;
  /** Capabilities of the selected rule in Vault's reporting order: `["deny"]` without a rule, `["root"]` for root. */
  capabilities: readonly string[];
  /** True when the selected rule carries `sudo` (or the ACL is root). */
  rootPrivileges: boolean;
  /** The selected rule's pattern, if any. */
  rule?: string;
  /** Policies whose stanzas on the selected rule grant the requested capability. */
  grantingPolicies: string[];
  /** Reason for a denial. */
  reason?: string;
}

const CAPABILITY_REPORT_ORDER: readonly Capability[] = [
  "sudo",
  "read",
  "list",
  "update",
  "delete",
  "create",
  "patch",
  "subscribe",
  "recover",
];

const OPERATION_CAPABILITY: Partial<Record<Operation, Capability>> = {
  read: "read",
  list: "list",
  create: "create",
  update: "update",
  patch: "patch",
  delete: "delete",
  recover: "recover",
  revoke: "update",
  renew: "update",
  rollback: "update",
};

/** Operations whose request parameters are checked against the parameter constraints. */
const PARAMETER_CHECKED = new Set<Operation>(["read", "create", "update", "patch", "recover"]);

const DENY_ONLY: readonly string[] = Object.freeze(["deny"]);
const ROOT_ONLY: readonly string[] = Object.freeze(["root"]);

function capabilityNames(bits: number): readonly string[] {
  if ((bits & CAPABILITY_BITS.deny) !== 0) return DENY_ONLY;
  const names = CAPABILITY_REPORT_ORDER.filter((name) => (bits & CAPABILITY_BITS[name]) !== 0);
  return names.length === 0 ? DENY_ONLY : Object.freeze(names);
}

function clonePermissions(source: Permissions, policyName: string): MergedPermissions {
  const granting = new Map<number, Set<string>>();
  addGranting(granting, source.bits, policyName);
  return {
    bits: source.bits,
    allowedParameters: source.allowedParameters === undefined ? undefined : cloneParameters(source.allowedParameters),
    deniedParameters: source.deniedParameters === undefined ? undefined : cloneParameters(source.deniedParameters),
    requiredParameters: [...source.requiredParameters],
    minWrappingTtl: source.minWrappingTtl,
    maxWrappingTtl: source.maxWrappingTtl,
    mfaMethods: [...source.mfaMethods],
    granting,
  };
}

function cloneParameters(map: ParameterMap): ParameterMap {
  const result: ParameterMap = {};
  for (const [key, values] of Object.entries(map)) result[key] = [...values];
  return result;
}

function addGranting(granting: Map<number, Set<string>>, bits: number, policyName: string): void {
  for (const name of Object.keys(CAPABILITY_BITS) as Capability[]) {
    const bit = CAPABILITY_BITS[name];
    if ((bits & bit) === 0) continue;
    let names = granting.get(bit);
    if (names === undefined) {
      names = new Set();
      granting.set(bit, names);
    }
    names.add(policyName);
  }
}

/** Merges parameter maps per key: an empty list on either side means any value, else the lists concatenate. */
function mergeParameters(existing: ParameterMap | undefined, incoming: ParameterMap | undefined): ParameterMap | undefined {
  if (incoming === undefined || Object.keys(incoming).length === 0) return existing;
  if (existing === undefined) return cloneParameters(incoming);
  for (const [key, values] of Object.entries(incoming)) {
    const current = existing[key];
    if (values.length === 0 || (current !== undefined && current.length === 0)) {
      existing[key] = [];
    } else {
      existing[key] = [...values, ...(current ?? [])];
    }
  }
  return existing;
}

/** Merges a stanza into the entry stored under the same pattern, as Vault's `NewACL` does. */
function mergeInto(target: MergedPermissions, incoming: Permissions, policyName: string): void {
  if ((target.bits & CAPABILITY_BITS.deny) !== 0) return;
  if ((incoming.bits & CAPABILITY_BITS.deny) !== 0) {
    target.bits = CAPABILITY_BITS.deny;
    target.allowedParameters = undefined;
    target.deniedParameters = undefined;
    return;
  }
  target.bits |= incoming.bits;
  addGranting(target.granting, incoming.bits, policyName);
  // The lowest non-zero value wins for both bounds.
  if (incoming.maxWrappingTtl > 0 && (target.maxWrappingTtl === 0 || incoming.maxWrappingTtl < target.maxWrappingTtl)) {
    target.maxWrappingTtl = incoming.maxWrappingTtl;
  }
  if (incoming.minWrappingTtl > 0 && (target.minWrappingTtl === 0 || incoming.minWrappingTtl < target.minWrappingTtl)) {
    target.minWrappingTtl = incoming.minWrappingTtl;
  }
  target.allowedParameters = mergeParameters(target.allowedParameters, incoming.allowedParameters);
  target.deniedParameters = mergeParameters(target.deniedParameters, incoming.deniedParameters);
  for (const name of incoming.requiredParameters) {
    if (!target.requiredParameters.includes(name)) target.requiredParameters.push(name);
  }
  for (const method of incoming.mfaMethods) {
    if (!target.mfaMethods.includes(method)) target.mfaMethods.push(method);
  }
}

/**
 * Returns true when rule `a` has lower priority than rule `b`, by Vault's five rules in order:
 * earlier first wildcard, trailing `*`, more `+` segments, shorter stem, lexicographically smaller stem.
 */
export function hasLowerPriority(a: CompiledRule, b: CompiledRule): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard < b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix;
  if (a.wildcards !== b.wildcards) return a.wildcards > b.wildcards;
  if (a.stem.length !== b.stem.length) return a.stem.length < b.stem.length;
  return a.stem < b.stem;
}

/**
 * Compiles policies into one ACL, rendering templated paths for `identity` first. Stanzas whose
 * template cannot be rendered are dropped and listed in `dropped`, as Vault drops them per request.
 * Throws when the `root` policy is combined with any other policy.
 */
export function compileAcl(policies: Policy[], identity?: Identity, options: CompileOptions = {}): Acl {
  const isRoot = policies.some((policy) => policy.name === "root");
  if (isRoot && policies.length !== 1) {
    throw new Error("the root policy cannot be combined with other policies in one ACL");
  }

  const tables = {
    exact: new Map<string, CompiledRule>(),
    prefix: new Map<string, CompiledRule>(),
    segment: new Map<string, CompiledRule>(),
  };
  const dropped: DroppedRule[] = [];

  for (const policy of policies) {
    for (const rule of policy.rules) {
      let path = rule.path;
      if (rule.templated) {
        const rendered = renderTemplate(path, identity, { namespaceId: "root", ...options });
        if (!rendered.ok) {
          dropped.push({ policy: policy.name, path: rule.path, error: rendered.error });
          continue;
        }
        path = rendered.value.startsWith("/") ? rendered.value.slice(1) : rendered.value;
      }
      const pattern = classifyPattern(path);
      if ("error" in pattern) {
        dropped.push({ policy: policy.name, path: rule.path, error: pattern.error });
        continue;
      }
      const table = tables[pattern.kind];
      const existing = table.get(pattern.key);
      if (existing === undefined) {
        table.set(pattern.key, newRule(pattern.kind, path, clonePermissions(rule.permissions, policy.name)));
      } else {
        mergeInto(existing.permissions, rule.permissions, policy.name);
      }
    }
  }

  const nonExact = [...tables.prefix.values(), ...tables.segment.values()];
  nonExact.sort((a, b) => (hasLowerPriority(a, b) ? -1 : hasLowerPriority(b, a) ? 1 : 0));
  nonExact.forEach((rule, index) => {
    rule.rank = index + 1;
  });
  for (const rule of [...tables.exact.values(), ...nonExact]) {
    rule.capabilities = capabilityNames(rule.permissions.bits);
  }

  const segmentByFirstPart = new Map<string, CompiledRule[]>();
  const segmentWildFirst: CompiledRule[] = [];
  for (const rule of tables.segment.values()) {
    const first = rule.parts[0];
    if (first === "+" || (rule.isPrefix && rule.parts.length === 1)) {
      segmentWildFirst.push(rule);
    } else {
      const bucket = segmentByFirstPart.get(first) ?? [];
      bucket.push(rule);
      segmentByFirstPart.set(first, bucket);
    }
  }

  return {
    root: isRoot,
    policyNames: policies.map((policy) => policy.name),
    exact: tables.exact,
    prefix: tables.prefix,
    prefixLengths: [...new Set([...tables.prefix.keys()].map((key) => key.length))].sort((a, b) => b - a),
    segment: [...tables.segment.values()],
    segmentByFirstPart,
    segmentWildFirst,
    dropped,
  };
}

function newRule(kind: CompiledRule["kind"], pattern: string, permissions: MergedPermissions): CompiledRule {
  const isPrefix = kind !== "exact" && pattern.endsWith("*");
  const stem = isPrefix ? pattern.slice(0, -1) : pattern;
  const parts = kind === "segment" ? stem.split("/") : [];
  let firstWildcard = -1;
  if (kind === "prefix") firstWildcard = stem.length;
  if (kind === "segment") firstWildcard = pattern.indexOf("+");
  return {
    kind,
    pattern,
    permissions,
    capabilities: DENY_ONLY,
    rank: 0,
    firstWildcard,
    isPrefix,
    wildcards: parts.filter((part) => part === "+").length,
    stem,
    parts,
  };
}

/** Matches a segment rule against a split request path (segment counts, `+`, and a trailing `*` on the last segment). */
function segmentMatches(rule: CompiledRule, pathParts: string[]): boolean {
  const parts = rule.parts;
  if (pathParts.length < parts.length) return false;
  if (!rule.isPrefix && pathParts.length !== parts.length) return false;
  const last = parts.length - 1;
  for (let i = 0; i <= last; i++) {
    const part = parts[i];
    if (part === "+" || part === pathParts[i]) continue;
    if (rule.isPrefix && i === last && pathParts[i].startsWith(part)) continue;
    return false;
  }
  return true;
}

/** Calls `visit` for the longest matching prefix rule and every matching segment rule of `path`. */
function forEachCandidate(acl: Acl, path: string, visit: (rule: CompiledRule) => void): void {
  for (const length of acl.prefixLengths) {
    if (length > path.length) continue;
    const rule = acl.prefix.get(path.slice(0, length));
    if (rule !== undefined) {
      visit(rule);
      break;
    }
  }
  if (acl.segment.length === 0) return;
  const pathParts = path.split("/");
  const bucket = acl.segmentByFirstPart.get(pathParts[0]);
  if (bucket !== undefined) for (const rule of bucket) if (segmentMatches(rule, pathParts)) visit(rule);
  for (const rule of acl.segmentWildFirst) if (segmentMatches(rule, pathParts)) visit(rule);
}

function bestCandidate(acl: Acl, path: string): CompiledRule | undefined {
  let best: CompiledRule | undefined;
  forEachCandidate(acl, path, (rule) => {
    if (best === undefined || rule.rank > best.rank) best = rule;
  });
  return best;
}

/** Resolves LIST as current Vault does: pools both path forms, and a deny outranking every list grant wins. */
function resolveListCandidates(acl: Acl, trimmed: string, full: string): CompiledRule | undefined {
  let bestDeny: CompiledRule | undefined;
  let bestList: CompiledRule | undefined;
  let bestAny: CompiledRule | undefined;
  const visit = (rule: CompiledRule): void => {
    const bits = rule.permissions.bits;
    if ((bits & CAPABILITY_BITS.deny) !== 0 && (bestDeny === undefined || rule.rank > bestDeny.rank)) bestDeny = rule;
    if ((bits & CAPABILITY_BITS.list) !== 0 && (bestList === undefined || rule.rank > bestList.rank)) bestList = rule;
    if (bestAny === undefined || rule.rank > bestAny.rank) bestAny = rule;
  };
  forEachCandidate(acl, trimmed, visit);
  forEachCandidate(acl, full, visit);
  if (bestDeny !== undefined && (bestList === undefined || bestList.rank < bestDeny.rank)) return bestDeny;
  return bestList ?? bestAny;
}

/** Selects the single rule that applies to `path` for `operation`, or undefined when none matches. */
export function selectRule(
  acl: Acl,
  path: string,
  operation: Operation,
  listAlgorithm: ListAlgorithm = "current",
): CompiledRule | undefined {
  const exact = acl.exact.get(path);
  if (exact !== undefined) return exact;
  const isList = operation === "list";
  const trimmed = path.endsWith("/") ? path.slice(0, -1) : path;
  if (isList) {
    const trimmedExact = acl.exact.get(trimmed);
    if (trimmedExact !== undefined) return trimmedExact;
  }
  if (isList && path.endsWith("/")) {
    if (listAlgorithm === "current") return resolveListCandidates(acl, trimmed, path);
    if (listAlgorithm === "trimmed-first") return bestCandidate(acl, trimmed) ?? bestCandidate(acl, path);
  }
  return bestCandidate(acl, path);
}

function stripLeadingSlashes(path: string): string {
  let start = 0;
  while (start < path.length && path[start] === "/") start++;
  return start === 0 ? path : path.slice(start);
}

function denied(rule: CompiledRule | undefined, reason: string): Decision {
  return {
    allowed: false,
    capabilities: rule?.capabilities ?? DENY_ONLY,
    rootPrivileges: rule !== undefined && (rule.permissions.bits & CAPABILITY_BITS.sudo) !== 0,
    rule: rule?.pattern,
    grantingPolicies: [],
    reason,
  };
}

/**
 * Decides one request as Vault does: the `root` short-cut, `help`, rule selection, the capability
 * check, wrapping TTL bounds, parameter constraints and, unless disabled, `sudo` on root-protected paths.
 */
export function evaluate(acl: Acl, request: AclRequest, options: EvaluateOptions = {}): Decision {
  if (acl.root) return { allowed: true, capabilities: ROOT_ONLY, rootPrivileges: true, grantingPolicies: ["root"] };
  const operation = request.operation;
  const path = stripLeadingSlashes(request.path);
  if (operation === "help") return { allowed: true, capabilities: capabilitiesOf(acl, path), rootPrivileges: false, grantingPolicies: [] };

  const rule = selectRule(acl, path, operation, options.listAlgorithm);
  if (rule === undefined) return denied(undefined, `no policy rule matches "${path}"`);
  const permissions = rule.permissions;
  const bits = permissions.bits;
  if ((bits & CAPABILITY_BITS.deny) !== 0) return denied(rule, `rule "${rule.pattern}" denies the path`);

  const capability = OPERATION_CAPABILITY[operation];
  if (capability === undefined) return denied(rule, `operation "${operation}" is not supported by ACL policies`);
  const bit = CAPABILITY_BITS[capability];
  if ((bits & bit) === 0) return denied(rule, `rule "${rule.pattern}" lacks the "${capability}" capability`);

  const wrapReason = checkWrapping(permissions, request.wrapTtlSeconds);
  if (wrapReason !== undefined) return denied(rule, wrapReason);

  if (PARAMETER_CHECKED.has(operation)) {
    const parameterReason = checkParameters(permissions, request.data);
    if (parameterReason !== undefined) return denied(rule, `rule "${rule.pattern}": ${parameterReason}`);
  }

  const rootPrivileges = (bits & CAPABILITY_BITS.sudo) !== 0;
  if (options.enforceRootProtectedPaths !== false && !rootPrivileges && isRootProtectedPath(path)) {
    return denied(rule, `"${path}" is root-protected and rule "${rule.pattern}" lacks "sudo"`);
  }
  return {
    allowed: true,
    capabilities: rule.capabilities,
    rootPrivileges,
    rule: rule.pattern,
    grantingPolicies: [...(permissions.granting.get(bit) ?? [])],
  };
}

function checkWrapping(permissions: MergedPermissions, wrapTtl: number | undefined): string | undefined {
  const { minWrappingTtl: min, maxWrappingTtl: max } = permissions;
  if (max > 0 && (wrapTtl === undefined || wrapTtl > max)) {
    return wrapTtl === undefined
      ? `the request must be response-wrapped with a TTL of at most ${max}s`
      : `wrapping TTL ${wrapTtl}s exceeds max_wrapping_ttl ${max}s`;
  }
  if (min > 0 && (wrapTtl === undefined || wrapTtl < min)) {
    return wrapTtl === undefined
      ? `the request must be response-wrapped with a TTL of at least ${min}s`
      : `wrapping TTL ${wrapTtl}s is below min_wrapping_ttl ${min}s`;
  }
  if (min > 0 && max > 0 && max < min) return `merged max_wrapping_ttl ${max}s is below min_wrapping_ttl ${min}s`;
  return undefined;
}

/**
 * Parameter names whose values newer Vault lower-cases and trims before matching, because it stores
 * policy names that way. NOTE: Vault's exact list of role fields may be longer than these three.
 */
const POLICY_NAME_PARAMETERS = new Set(["policies", "token_policies", "allowed_policies"]);

function normalizeParameterValue(name: string, value: unknown): unknown {
  if (!POLICY_NAME_PARAMETERS.has(name.toLowerCase())) return value;
  if (typeof value === "string") return value.trim().toLowerCase();
  if (Array.isArray(value)) return value.map((item) => (typeof item === "string" ? item.trim().toLowerCase() : item));
  return value;
}

function checkParameters(permissions: MergedPermissions, data: Record<string, unknown> | undefined): string | undefined {
  for (const name of permissions.requiredParameters) {
    const key = name.toLowerCase();
    if (data === undefined || !Object.prototype.hasOwnProperty.call(data, key)) return `missing required parameter "${key}"`;
  }
  if (data === undefined) return undefined;
  const entries = Object.entries(data);
  if (entries.length === 0) return undefined;

  const deniedMap = permissions.deniedParameters;
  if (deniedMap !== undefined && Object.keys(deniedMap).length > 0) {
    if (Object.prototype.hasOwnProperty.call(deniedMap, "*")) return `every parameter is denied`;
    for (const [name, value] of entries) {
      const list = ownValue(deniedMap, name.toLowerCase());
      if (list !== undefined && valueInDeniedList(normalizeParameterValue(name, value), list)) {
        return `parameter "${name}" has a denied value`;
      }
    }
  }

  const allowedMap = permissions.allowedParameters;
  if (allowedMap === undefined) return undefined;
  const allowedKeys = Object.keys(allowedMap);
  if (allowedKeys.length === 0) return undefined;
  const allowAll = Object.prototype.hasOwnProperty.call(allowedMap, "*");
  if (allowAll && allowedKeys.length === 1) return undefined;
  for (const [name, value] of entries) {
    const list = ownValue(allowedMap, name.toLowerCase());
    if (list === undefined && !allowAll) return `parameter "${name}" is not allowed`;
    if (list !== undefined && !valueInAllowedList(normalizeParameterValue(name, value), list)) {
      return `parameter "${name}" has a value that is not allowed`;
    }
  }
  return undefined;
}

function ownValue(map: ParameterMap, key: string): unknown[] | undefined {
  return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}

/** Splits a string the way Vault's comma-string-slice parser does: on commas, each piece trimmed; "" gives no pieces. */
function commaPieces(value: string): string[] {
  if (value === "") return [];
  return value.split(",").map((piece) => piece.trim());
}

function valueInAllowedList(value: unknown, list: unknown[]): boolean {
  if (list.length === 0) return true;
  if (valueInList(value, list)) return true;
  if (Array.isArray(value)) return value.every((item) => valueInList(item, list));
  if (typeof value === "string") return commaPieces(value).every((piece) => valueInList(piece, list));
  return false;
}

function valueInDeniedList(value: unknown, list: unknown[]): boolean {
  if (list.length === 0) return true;
  if (valueInList(value, list)) return true;
  if (Array.isArray(value)) return value.some((item) => valueInList(item, list));
  if (typeof value === "string") return commaPieces(value).some((piece) => valueInList(piece, list));
  return false;
}

function valueInList(value: unknown, list: unknown[]): boolean {
  for (const entry of list) {
    if (entry === null || entry === undefined || value === null || value === undefined) {
      if ((entry ?? null) === (value ?? null)) return true;
    } else if (typeof entry === "string") {
      if (typeof value === "string" && globbedStringMatches(entry, value)) return true;
    } else if (deepEqual(entry, value)) {
      return true;
    }
  }
  return false;
}

/** Matches a policy value with an optional leading and/or trailing `*`; entries under 2 characters match only themselves. */
export function globbedStringMatches(pattern: string, value: string): boolean {
  if (pattern.length < 2) return pattern === value;
  const leading = pattern.startsWith("*");
  const trailing = pattern.endsWith("*");
  if (leading && trailing) return value.includes(pattern.slice(1, -1));
  if (leading) return value.endsWith(pattern.slice(1));
  if (trailing) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, index) => deepEqual(item, other[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(right, key) && deepEqual(left[key], right[key]));
}

function capabilitiesOf(acl: Acl, path: string, listAlgorithm: ListAlgorithm = "current"): readonly string[] {
  if (acl.root) return ROOT_ONLY;
  return selectRule(acl, path, "list", listAlgorithm)?.capabilities ?? DENY_ONLY;
}

/**
 * Returns the capabilities on `path` as `vault token capabilities` and `sys/capabilities-self` report
 * them. The path is evaluated as a LIST request and the names come in Vault's order (sudo, read, list,
 * update, delete, create, patch, subscribe, recover). The result is `["deny"]` without a rule or for a
 * deny rule, and `["root"]` for root.
 */
export function capabilities(acl: Acl, path: string, listAlgorithm: ListAlgorithm = "current"): string[] {
  return [...capabilitiesOf(acl, stripLeadingSlashes(path), listAlgorithm)];
}

/**
 * Decides the `sys/internal/ui/mounts/<path>` preflight that every `vault kv` command sends. It passes
 * when the capabilities on the mount path are not deny, when an exact or prefix rule under the mount
 * grants a capability, or when a segment rule could match something under it.
 */
export function mountAccess(acl: Acl, mountPath: string): boolean {
  let path = stripLeadingSlashes(mountPath);
  if (!path.endsWith("/")) path += "/";
  if (!capabilitiesOf(acl, path).includes("deny")) return true;

  const grants = (rule: CompiledRule): boolean => {
    const bits = rule.permissions.bits;
    return (bits & CAPABILITY_BITS.deny) === 0 && bits !== 0;
  };
  for (const [key, rule] of acl.exact) if (key.startsWith(path) && grants(rule)) return true;
  for (const [key, rule] of acl.prefix) if (key.startsWith(path) && grants(rule)) return true;

  // Segment rules are walked one mount segment at a time, as Vault's bare-mount check does.
  const pathParts = path.split("/");
  const checkAt = pathParts.length - 2;
  for (const rule of acl.segment) {
    const parts = rule.parts;
    const matched: string[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part === "+" || part === pathParts[i]) {
        matched.push(pathParts[i]);
      } else if (rule.isPrefix && i === parts.length - 1 && pathParts[i].startsWith(part)) {
        matched.push(...pathParts.slice(i));
      } else {
        break;
      }
      if (i === checkAt) {
        if ((matched.join("/") + "/").startsWith(path) && grants(rule)) return true;
        break;
      }
    }
  }
  return false;
}

/** Reports whether the rule that applies to `path` for `operation` carries `sudo`, whether or not the operation is allowed. */
export function rootPrivileges(acl: Acl, path: string, operation: Operation, listAlgorithm: ListAlgorithm = "current"): boolean {
  if (acl.root) return true;
  const rule = selectRule(acl, stripLeadingSlashes(path), operation === "help" ? "read" : operation, listAlgorithm);
  return rule !== undefined && (rule.permissions.bits & CAPABILITY_BITS.sudo) !== 0 && (rule.permissions.bits & CAPABILITY_BITS.deny) === 0;
}
