/**
 * The one module that builds Vault paths. Every path the program writes, renders or puts in a policy comes
 * from a function here, built from validated ids or from identity-template segments.
 */
import { type Id, type IdKind, idProblem, validateId } from "./ids";

declare const templateBrand: unique symbol;
/** An identity-template placeholder such as `{{identity.entity.metadata.org}}`, usable as one path segment. */
export type TemplateSegment = string & { readonly [templateBrand]: true };

/** A path segment: a validated id, or a template that Vault fills per request. */
export type Segment = Id | TemplateSegment;

/** Location of the layout: the KV v2 mount, the root prefix under it, and the tenant of this stack. */
export interface Layout {
  mount: string;
  prefix: string;
  tenant: Id;
}

/** Validates a mount path or root prefix: one or more id-like segments joined by `/`. */
export function multiSegmentProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return "must be a string";
  if (value.length === 0) return "must not be empty";
  if (value.startsWith("/") || value.endsWith("/")) return "must not start or end with '/'";
  for (const segment of value.split("/")) {
    const problem = idProblem("name", segment);
    if (problem !== undefined) return `segment ${JSON.stringify(segment)} ${problem}`;
  }
  return undefined;
}

/** Marks where the accessor of the auth mount at `mountPath` goes; bound by {@link bindAccessors}. */
export function accessorMarker(mountPath: string): string {
  return `<accessor:${mountPath}>`;
}

const ACCESSOR_MARKER = /<accessor:([^>]+)>/g;

/** Lists the auth mount paths whose accessor `text` refers to. */
export function accessorsReferenced(text: string): string[] {
  return [...new Set([...text.matchAll(ACCESSOR_MARKER)].map((match) => match[1]!))].sort();
}

/** Replaces every accessor marker in `text` with the mount's real accessor; a missing one throws. */
export function bindAccessors(text: string, accessors: Readonly<Record<string, string>>): string {
  return text.replace(ACCESSOR_MARKER, (_whole, mountPath: string) => {
    const accessor = accessors[mountPath];
    if (accessor === undefined || accessor === "") {
      throw new Error(`no accessor is known for auth mount "${mountPath}"`);
    }
    return accessor;
  });
}

/** Identity templates used in policies. Keys are fixed words of this program, never user input. */
export const template = {
  entityMetadata(key: string): TemplateSegment {
    return `{{identity.entity.metadata.${key}}}` as TemplateSegment;
  },
  aliasMetadata(authMountPath: string, key: string): TemplateSegment {
    return `{{identity.entity.aliases.${accessorMarker(authMountPath)}.metadata.${key}}}` as TemplateSegment;
  },
};

export type Scope = "system" | "tenant" | "org" | "bot" | "user";

export type ScopeParams =
  | { scope: "system" }
  | { scope: "tenant" }
  | { scope: "org"; org: Segment }
  | { scope: "bot"; org: Segment; bot: Segment }
  | { scope: "user"; org: Segment; user: Segment };

/** Returns the folder of a scope under the mount, for example `gbo/orgs/acme/bots/support`. */
export function scopeRoot(layout: Layout, params: ScopeParams): string {
  switch (params.scope) {
    case "system":
      return `${layout.prefix}/system`;
    case "tenant":
      return `${layout.prefix}/tenants/${layout.tenant}`;
    case "org":
      return `${layout.prefix}/orgs/${params.org}`;
    case "bot":
      return `${layout.prefix}/orgs/${params.org}/bots/${params.bot}`;
    case "user":
      return `${layout.prefix}/orgs/${params.org}/users/${params.user}`;
  }
}

/** Returns the folder that contains every org, `gbo/orgs`. */
export function orgsRoot(layout: Layout): string {
  return `${layout.prefix}/orgs`;
}

/** Returns the root prefix itself, under which the app's old flat layout (`gbo/tables`, ...) lives. */
export function legacyRoot(layout: Layout): string {
  return layout.prefix;
}

/** Lists the `{name}` parameters of a catalog path such as `llm/providers/{provider}`. */
export function catalogPathParameters(catalogPath: string): string[] {
  return [...catalogPath.matchAll(/\{([a-z_]+)\}/g)].map((match) => match[1]!);
}

/**
 * Fills the `{name}` parameters of a catalog path. Values are validated as ids of `kinds[name]` (default
 * `name`), so a value can never add a segment, a wildcard or a template.
 */
export function fillCatalogPath(
  catalogPath: string,
  values: Readonly<Record<string, string>> = {},
  kinds: Readonly<Record<string, IdKind>> = {},
): string {
  return catalogPath.replace(/\{([a-z_]+)\}/g, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`catalog path "${catalogPath}" needs a value for {${name}}`);
    return validateId(kinds[name] ?? "name", value);
  });
}

/** Joins a scope root and a path relative to it. */
export function secretPath(layout: Layout, params: ScopeParams, relative: string): string {
  return `${scopeRoot(layout, params)}/${relative}`;
}

/** The KV v2 API segments that follow the mount. */
export type KvApi = "data" | "metadata" | "delete" | "undelete" | "destroy" | "subkeys";

/** Returns the API path of a secret path under the KV v2 mount, for example `secret/data/gbo/system/jwt`. */
export function kvApiPath(layout: Pick<Layout, "mount">, api: KvApi, path: string): string {
  return path === "" ? `${layout.mount}/${api}/` : `${layout.mount}/${api}/${path}`;
}

/** Returns the KV v2 engine's configuration endpoint, `secret/config`. */
export function kvConfigPath(layout: Pick<Layout, "mount">): string {
  return `${layout.mount}/config`;
}

/** Control-plane paths of the `sys/`, `auth/` and `identity/` backends. */
export const controlPlane = {
  mount: (path: string) => `sys/mounts/${path}`,
  mountTune: (path: string) => `sys/mounts/${path}/tune`,
  mounts: () => "sys/mounts",
  auth: (path: string) => `sys/auth/${path}`,
  authTune: (path: string) => `sys/auth/${path}/tune`,
  auths: () => "sys/auth",
  policy: (name: string) => `sys/policies/acl/${name}`,
  policies: () => "sys/policies/acl",
  authRoot: (path: string) => `auth/${path}`,
  appRoleRole: (backend: string, role: string) => `auth/${backend}/role/${role}`,
  appRoleRoles: (backend: string) => `auth/${backend}/role`,
  appRoleRoleId: (backend: string, role: string) => `auth/${backend}/role/${role}/role-id`,
  appRoleSecretId: (backend: string, role: string) => `auth/${backend}/role/${role}/secret-id`,
  appRoleLogin: (backend: string) => `auth/${backend}/login`,
  jwtConfig: (backend: string) => `auth/${backend}/config`,
  jwtRole: (backend: string, role: string) => `auth/${backend}/role/${role}`,
  tokenCreate: () => "auth/token/create",
  tokenLookupSelf: () => "auth/token/lookup-self",
  identity: (objectType: "entity" | "entity-alias" | "group" | "group-alias") => `identity/${objectType}`,
  identityById: (objectType: "entity" | "entity-alias" | "group" | "group-alias", id: string) =>
    `identity/${objectType}/id/${id}`,
  identityByName: (objectType: "entity" | "group", name: string) => `identity/${objectType}/name/${name}`,
  identityLookupEntity: () => "identity/lookup/entity",
};
