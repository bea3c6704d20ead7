/**
 * Identity templating of policy paths in ACL mode, as Vault's `sdk/helper/identitytpl` does it in the
 * 2026 releases. Values are inserted verbatim and map and list forms fail. A rendered value containing
 * `*` or `+` fails, and so does one containing `/` when `denySlashInTemplatedPaths` is set.
 */

/** An entity alias on one auth mount, in the case-file shape (snake_case as Vault's API writes it). */
export interface IdentityAlias {
  mount_accessor: string;
  id: string;
  name: string;
  metadata: Record<string, string>;
  custom_metadata: Record<string, string>;
}

export interface IdentityEntity {
  id: string;
  name: string;
  metadata: Record<string, string>;
  aliases: IdentityAlias[];
}

export interface IdentityGroup {
  id: string;
  name: string;
  metadata: Record<string, string>;
  /** Namespace of the group; `root` for the root namespace. */
  namespace_id: string;
}

/** The token's identity: its entity (null for a token without one) and its direct and inherited groups. */
export interface Identity {
  entity?: IdentityEntity | null;
  groups?: IdentityGroup[];
}

export interface TemplateOptions {
  /** Vault's `deny_slash_in_templated_paths` server setting (default false). */
  denySlashInTemplatedPaths?: boolean;
  /** Namespace that group-name lookups are restricted to; Vault renders root-namespace policies with `root`. */
  namespaceId?: string;
  /** Clock for `{{time.now}}` directives, in seconds since the epoch; defaults to the current time. */
  nowSeconds?: number;
}

export const TEMPLATE_ERRORS = {
  unbalanced: "unbalanced templating characters",
  noEntity: "string contains entity template directives but no entity was provided",
  noGroups: "string contains groups template directives but no groups were provided",
  notFound: "no value could be found for one of the template directives",
  wildcard: "globs and wildcards are not allowed in template result",
  slash: "templated policy paths cannot contain '/' when denied via configuration",
} as const;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

export type RenderResult = { ok: true; value: string; templated: boolean } | { ok: false; error: string };

/** Reports whether `text` contains a `{{` directive, which is what makes a policy path templated. */
export function hasTemplateDirective(text: string): boolean {
  return text.includes("{{");
}

/**
 * Checks that `{{` and `}}` are balanced without rendering, as Vault does when a policy is written.
 * Returns the error message, or undefined when the text is valid.
 */
export function checkTemplateSyntax(text: string): string | undefined {
  const pieces = text.split("{{");
  if (pieces[0].includes("}}")) return TEMPLATE_ERRORS.unbalanced;
  for (const piece of pieces.slice(1)) {
    if (piece.split("}}").length !== 2) return TEMPLATE_ERRORS.unbalanced;
  }
  return undefined;
}

/** Renders every `{{ ... }}` directive of `text` for `identity`, returning a render error as a result. */
export function renderTemplate(text: string, identity: Identity | undefined, options: TemplateOptions = {}): RenderResult {
  if (text === "") return { ok: true, value: "", templated: false };
  const pieces = text.split("{{");
  if (pieces[0].includes("}}")) return { ok: false, error: TEMPLATE_ERRORS.unbalanced };
  if (pieces.length === 1) return { ok: true, value: text, templated: false };

  let output = pieces[0];
  for (const piece of pieces.slice(1)) {
    const parts = piece.split("}}");
    if (parts.length !== 2) return { ok: false, error: TEMPLATE_ERRORS.unbalanced };
    let value: string;
    try {
      value = resolveDirective(parts[0].trim(), identity, options);
    } catch (error) {
      if (error instanceof TemplateError) return { ok: false, error: error.message };
      throw error;
    }
    if (value.includes("*") || value.includes("+")) return { ok: false, error: TEMPLATE_ERRORS.wildcard };
    if (options.denySlashInTemplatedPaths === true && value.includes("/")) {
      return { ok: false, error: TEMPLATE_ERRORS.slash };
    }
    output += value + parts[1];
  }
  return { ok: true, value: output, templated: true };
}

/** Returns a top-level string field, which renders only when it is non-empty. */
function requireString(value: string | undefined): string {
  if (value === undefined || value === "") throw new TemplateError(TEMPLATE_ERRORS.notFound);
  return value;
}

/** Looks up a map key, which renders when present even if its value is empty. */
function lookupKey(map: Record<string, string> | undefined, key: string): string {
  if (map === undefined || !Object.prototype.hasOwnProperty.call(map, key)) {
    throw new TemplateError(TEMPLATE_ERRORS.notFound);
  }
  return map[key];
}

function afterPrefix(text: string, prefix: string): string | undefined {
  return text.startsWith(prefix) ? text.slice(prefix.length) : undefined;
}

function resolveDirective(directive: string, identity: Identity | undefined, options: TemplateOptions): string {
  const entityField = afterPrefix(directive, "identity.entity.");
  if (entityField !== undefined) {
    const entity = identity?.entity;
    if (entity === undefined || entity === null) throw new TemplateError(TEMPLATE_ERRORS.noEntity);
    return resolveEntityField(entityField, entity);
  }
  const groupField = afterPrefix(directive, "identity.groups.");
  if (groupField !== undefined) {
    const groups = identity?.groups ?? [];
    if (groups.length === 0) throw new TemplateError(TEMPLATE_ERRORS.noGroups);
    return resolveGroupField(groupField, groups, options.namespaceId ?? "root");
  }
  const timeField = afterPrefix(directive, "time.");
  if (timeField !== undefined) return resolveTimeField(timeField, options);
  throw new TemplateError(TEMPLATE_ERRORS.notFound);
}

function resolveEntityField(field: string, entity: IdentityEntity): string {
  if (field === "id") return requireString(entity.id);
  if (field === "name") return requireString(entity.name);
  const metadataKey = afterPrefix(field, "metadata.");
  if (metadataKey !== undefined) return lookupKey(entity.metadata, metadataKey);
  const aliasSelector = afterPrefix(field, "aliases.");
  if (aliasSelector !== undefined) {
    const dot = aliasSelector.indexOf(".");
    if (dot < 0) throw new TemplateError("invalid alias selector");
    const accessor = aliasSelector.slice(0, dot);
    const aliasField = aliasSelector.slice(dot + 1);
    const alias = entity.aliases.find((candidate) => candidate.mount_accessor === accessor);
    if (alias === undefined) throw new TemplateError("alias not found");
    return resolveAliasField(aliasField, alias);
  }
  // `metadata`, `groups.names` and `groups.ids` are map and list forms, which ACL mode never renders.
  throw new TemplateError(TEMPLATE_ERRORS.notFound);
}

function resolveAliasField(field: string, alias: IdentityAlias): string {
  if (field === "id") return requireString(alias.id);
  if (field === "name") return requireString(alias.name);
  const metadataKey = afterPrefix(field, "metadata.");
  if (metadataKey !== undefined) return lookupKey(alias.metadata, metadataKey);
  const customKey = afterPrefix(field, "custom_metadata.");
  if (customKey !== undefined) return lookupKey(alias.custom_metadata, customKey);
  throw new TemplateError(TEMPLATE_ERRORS.notFound);
}

function resolveGroupField(field: string, groups: IdentityGroup[], namespaceId: string): string {
  const dot = field.indexOf(".");
  const selector = dot < 0 ? field : field.slice(0, dot);
  if (dot < 0 || (selector !== "ids" && selector !== "names")) throw new TemplateError("invalid groups selector");
  const rest = field.slice(dot + 1);
  const keyDot = rest.indexOf(".");
  if (keyDot < 0) throw new TemplateError("invalid groups accessor");
  const groupKey = rest.slice(0, keyDot);
  const groupField = rest.slice(keyDot + 1);

  // Lookups by ID ignore namespaces; lookups by name only see groups of the rendering namespace.
  const group = groups.find((candidate) =>
    selector === "ids"
      ? candidate.id === groupKey
      : (namespaceId === "" || candidate.namespace_id === namespaceId) && candidate.name === groupKey,
  );
  if (group === undefined) throw new TemplateError(`entity is not a member of group "${groupKey}"`);

  if (groupField === "id") return group.id;
  if (groupField === "name") return requireString(group.name);
  const metadataKey = afterPrefix(groupField, "metadata.");
  if (metadataKey !== undefined) return lookupKey(group.metadata, metadataKey);
  throw new TemplateError(TEMPLATE_ERRORS.notFound);
}

/** Renders `time.now`, `time.now.plus.<duration>` and `time.now.minus.<duration>` as Unix seconds. */
function resolveTimeField(field: string, options: TemplateOptions): string {
  const parts = field.split(".");
  const head = parts[0];
  const operator = parts[1];
  const operand = parts.slice(2).join(".");
  if (head !== "now") throw new TemplateError(`invalid time selector "${head}"`);
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (parts.length === 1) return String(now);
  if (parts.length === 2) throw new TemplateError("missing time operand");
  const seconds = parseDurationSeconds(operand);
  if (seconds === undefined) throw new TemplateError(`invalid duration: "${operand}"`);
  if (operator === "plus") return String(now + seconds);
  if (operator === "minus") return String(now - seconds);
  throw new TemplateError(`invalid time operator "${operator}"`);
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  "µs": 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
};

/**
 * Parses a duration the way Vault's `parseutil.ParseDurationSecond` does: a bare integer is seconds,
 * otherwise a Go duration string (`90s`, `1h30m`) with an extra `d` unit for days.
 * Returns whole seconds (fractions truncated), or undefined when the text is not a duration.
 */
export function parseDurationSeconds(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return 0;
  if (/^-?[0-9]+$/.test(trimmed)) return Number(trimmed);
  const match = /^(-?)((?:[0-9]+(?:\.[0-9]*)?(?:ns|us|µs|ms|s|m|h|d))+)$/.exec(trimmed);
  if (match === null) return undefined;
  let total = 0;
  for (const part of match[2].matchAll(/([0-9]+(?:\.[0-9]*)?)(ns|us|µs|ms|s|m|h|d)/g)) {
    total += Number(part[1]) * DURATION_UNITS[part[2]];
  }
  return Math.trunc(match[1] === "-" ? -total : total);
}
