/**
 * The plan: plain, serialisable data that `pulumi up`, `render` and `verify` all derive from. It contains paths,
 * key names, policies, auth backends, roles and identity objects, and which config key feeds each secret key,
 * but never a secret value.
 */
import type { Catalog, CatalogScope } from "./catalog";
import { renderPolicy, type PolicyModel } from "./hcl";
import type { Id } from "./ids";
import { allPolicyNames, buildPolicies, METADATA, type Principal, policyName } from "./policies";
import { kvApiPath, type Layout, legacyRoot, scopeRoot } from "./paths";
import type { StackSettings, ValueStatus } from "./settings";

export interface MountPlan {
  path: string;
  type: "kv";
  options: { version: "2" };
  description: string;
  kvConfig: { maxVersions: number; casRequired: boolean; deleteVersionAfterSeconds: number };
}

export interface AuthBackendPlan {
  path: string;
  type: "approle" | "oidc";
  description: string;
  oidc?: {
    /**
     * `oidc` (browser login through Zitadel) needs the client secret, because Vault rejects an OIDC client id
     * without one. Until the stack sets it, the mount is `jwt` and accepts Zitadel-issued tokens directly.
     */
    mode: "oidc" | "jwt";
    discoveryUrl: string;
    boundIssuer: string;
    clientId: string;
    clientSecret: ValueStatus;
    defaultRole: string;
  };
}

export interface RolePlan {
  backend: string;
  name: string;
  type: "approle" | "oidc";
  policies: string[];
  /** The principal the role is for, for example `app` or `bot acme/support`. */
  principal: string;
  tokenTtlSeconds: number;
  tokenMaxTtlSeconds: number;
  approle?: {
    /** Fixed role id, so the bot's entity alias (named after the role id) can be declared. */
    roleId?: string;
    secretIdTtlSeconds: number;
    secretIdNumUses: number;
    tokenBoundCidrs: string[];
    secretIdBoundCidrs: string[];
  };
  oidc?: {
    /** Same as the backend's mode: `oidc` roles need redirect URIs and scopes, `jwt` roles take neither. */
    roleType: "oidc" | "jwt";
    userClaim: string;
    /** The flat list claim that names org-admin groups; undefined when the stack has no org-admin group. */
    groupsClaim?: string;
    /** The token claims that carry the user's org and user id, which `claimMappings` copies into alias metadata. */
    orgClaim: string;
    claimMappings: Record<string, string>;
    boundAudiences: string[];
    allowedRedirectUris: string[];
    scopes: string[];
  };
}

export interface EntityPlan {
  name: string;
  metadata: Record<string, string>;
  alias: { backend: string; name: string };
}

export interface GroupPlan {
  name: string;
  type: "external";
  policies: string[];
  alias: { backend: string; name: string };
}

export interface PolicyPlan {
  name: string;
  principal: Principal;
  description: string;
  model: PolicyModel;
  /** Canonical HCL; accessor markers `<accessor:PATH>` stand for auth mount accessors known only after apply. */
  hcl: string;
}

export interface SecretKeyPlan {
  name: string;
  secret: boolean;
  status: ValueStatus;
  /** The config key that feeds the value, for example `gbo-vault:infrastructure.tables.password`. */
  configKey: string;
  /**
   * Top-level config key and the path inside it, for reading the value at run time, or the value itself for
   * plain settings that the plan publishes as they are.
   */
  source: { configKey: string; path: string[]; literal?: string };
}

export interface SecretPlan {
  mount: string;
  /** Path under the mount, for example `gbo/tenants/dev/infrastructure/tables`. */
  path: string;
  /** API path of the data, `secret/data/...`. */
  dataPath: string;
  /** `legacy` secrets copy values into the app's old flat layout while `legacyLayout` is on. */
  scope: "system" | "tenant" | "legacy";
  catalogPath: string;
  keys: SecretKeyPlan[];
}

/** A secret that the app or people write at run time; the plan lists its shape, never an instance. */
export interface RuntimeSecretPlan {
  scope: Extract<CatalogScope, "bot" | "user">;
  /** Path pattern, for example `gbo/orgs/<org>/bots/<bot>/email`. */
  pathPattern: string;
  description: string;
  keys: Array<{ name: string; secret: boolean }>;
  /** The system path the app reads when this secret is absent. */
  fallback?: string;
  /** Whether this stack seeds the fallback (for a `<provider>` fallback: any provider). */
  fallbackSeeded?: boolean;
}

export interface Plan {
  project: string;
  stack: string;
  tenant: { id: Id; name: string; domain: string };
  /** `deniesSlashInTemplates` mirrors the server's deny_slash_in_templated_paths, which verify models. */
  provider: { address: string; namespace?: string; deniesSlashInTemplates: boolean };
  protect: boolean;
  layout: Layout;
  mounts: MountPlan[];
  authBackends: AuthBackendPlan[];
  roles: RolePlan[];
  policies: PolicyPlan[];
  identity: { entities: EntityPlan[]; groups: GroupPlan[] };
  secrets: SecretPlan[];
  runtimeSecrets: RuntimeSecretPlan[];
  /**
   * Old flat paths that `legacyLayout` publishes once the stack has a value for them, with the config keys
   * that feed each; the seeded ones are also in `secrets`.
   */
  legacyPaths: Array<{ path: string; configKeys: string[]; missingConfigKeys: string[] }>;
  /** The stack's legacyLayout setting. */
  legacyLayout: boolean;
  orgs: Array<{ id: Id; bots: Id[] }>;
}

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanError";
  }
}

/** Returns the AppRole role name and role id of a declared bot. */
export function botRoleName(org: Id, bot: Id): string {
  return `bot-${org}-${bot}`;
}

export function appRoleName(tenant: Id): string {
  return `botserver-${tenant}`;
}

export const USER_ROLE = "user";

/** Source of each old flat key's value: old path, then old key, then catalog key. */
export type LegacyMapping = ReadonlyArray<{
  legacyPath: string;
  keys: ReadonlyArray<{ legacyKey: string; scope: "system" | "tenant"; path: string; key: string }>;
}>;

/**
 * Builds the app's old flat secrets (`gbo/tables` with snake_case keys) from the same stack values as the new
 * layout. Only keys that the app contract lists as read by the app are published, and paths the app writes itself at
 * bootstrap are left alone, because a declared copy would overwrite what the app wrote.
 */
function legacySecrets(settings: StackSettings, catalog: Catalog, layout: Layout, legacy: LegacyMapping): SecretPlan[] {
  const out: SecretPlan[] = [];
  // Secrets whose keys are all missing are returned too; the caller seeds only those with a value.
  for (const entry of legacy) {
    const contract = catalog.appContract.paths.find((candidate) => candidate.path === entry.legacyPath);
    if (contract === undefined || contract.owner === "app" || entry.legacyPath.includes("{")) continue;
    const keys: SecretKeyPlan[] = [];
    for (const legacyKey of contract.keys) {
      const mapping = entry.keys.find((candidate) => candidate.legacyKey === legacyKey);
      if (mapping === undefined) continue;
      const seeded = settings.seeded.find((candidate) => candidate.scope === mapping.scope && candidate.path === mapping.path);
      const source = seeded?.keys.find((candidate) => candidate.key === mapping.key);
      const configKey = mapping.scope === "tenant" ? "infrastructure" : "system";
      const configPath = source?.configPath ?? [
        ...(mapping.scope === "tenant" ? mapping.path.slice("infrastructure/".length) : mapping.path).split("/"),
        mapping.key,
      ];
      keys.push({
        name: legacyKey,
        secret: source?.secret ?? catalog.match(mapping.scope, mapping.path)?.secret.keys.find((key) => key.name === mapping.key)?.secret ?? true,
        status: source?.status ?? "missing",
        configKey: `${settings.project}:${[configKey, ...configPath].join(".")}`,
        source: { configKey, path: configPath },
      });
    }
    if (keys.length === 0) continue;
    const path = `${legacyRoot(layout)}/${entry.legacyPath}`;
    out.push({ mount: layout.mount, path, dataPath: kvApiPath(layout, "data", path), scope: "legacy", catalogPath: entry.legacyPath, keys });
  }
  return out;
}

/** Builds the plan of one stack from validated settings and the catalog. Pure: no I/O, no Pulumi. */
export function buildPlan(settings: StackSettings, catalog: Catalog, legacy: LegacyMapping = []): Plan {
  const layout: Layout = { mount: settings.kv.mount, prefix: settings.kv.prefix, tenant: settings.tenant.id };
  const approle = settings.auth.approle;
  const oidc = settings.auth.oidc;

  const secrets: SecretPlan[] = settings.seeded
    .filter((seeded) => seeded.keys.some((key) => key.status !== "missing"))
    .map((seeded) => {
      const path = `${scopeRoot(layout, { scope: seeded.scope })}/${seeded.path}`;
      return {
        mount: layout.mount,
        path,
        dataPath: kvApiPath(layout, "data", path),
        scope: seeded.scope,
        catalogPath: seeded.catalogPath,
        keys: seeded.keys.map((key) => ({
          name: key.key,
          secret: key.secret,
          status: key.status,
          configKey: `${settings.project}:${[key.configKey, ...key.configPath].join(".")}`,
          source: { configKey: key.configKey, path: key.configPath, literal: key.literal },
        })),
      };
    });

  const legacyCopies = settings.legacyLayout ? legacySecrets(settings, catalog, layout, legacy) : [];
  // The app replaces nothing key by key: a declared copy replaces the whole flat secret it reads, so a copy is
  // published only once every key it carries has a value.
  secrets.push(...legacyCopies.filter((secret) => secret.keys.every((key) => key.status !== "missing")));
  secrets.sort((a, b) => {
    if (a.path === b.path) return 0;
    return a.path < b.path ? -1 : 1;
  });

  const policyModels = buildPolicies({
    layout,
    catalog,
    approlePath: approle.path,
    oidcPath: oidc.path,
    managedSecretPaths: secrets.map((secret) => secret.path),
    policyNames: allPolicyNames(layout),
  });
  const policies: PolicyPlan[] = (Object.entries(policyModels) as Array<[Principal, PolicyModel]>).map(
    ([principal, model]) => ({
      name: model.name,
      principal,
      description: model.description,
      model,
      hcl: renderPolicy(model),
    }),
  );

  const approleBase = {
    secretIdTtlSeconds: approle.secretIdTtlSeconds,
    secretIdNumUses: approle.secretIdNumUses,
    tokenBoundCidrs: approle.tokenBoundCidrs,
    secretIdBoundCidrs: approle.secretIdBoundCidrs,
  };
  const roles: RolePlan[] = [
    {
      backend: approle.path,
      name: appRoleName(layout.tenant),
      type: "approle",
      policies: [policyName(layout, "app")],
      principal: "app",
      tokenTtlSeconds: approle.tokenTtlSeconds,
      tokenMaxTtlSeconds: approle.tokenMaxTtlSeconds,
      approle: { ...approleBase },
    },
  ];
  const entities: EntityPlan[] = [];
  for (const org of settings.orgs) {
    for (const bot of org.bots) {
      const name = botRoleName(org.id, bot);
      roles.push({
        backend: approle.path,
        name,
        type: "approle",
        policies: [policyName(layout, "bot")],
        principal: `bot ${org.id}/${bot}`,
        tokenTtlSeconds: approle.tokenTtlSeconds,
        tokenMaxTtlSeconds: approle.tokenMaxTtlSeconds,
        approle: { ...approleBase, roleId: name },
      });
      entities.push({
        name,
        metadata: { [METADATA.org]: org.id, [METADATA.bot]: bot, tenant: layout.tenant },
        alias: { backend: approle.path, name },
      });
    }
  }
  const oidcMode = oidc.clientSecret === "missing" ? "jwt" : "oidc";
  const groupsClaim = oidc.groupsClaim === "" ? undefined : oidc.groupsClaim;
  roles.push({
    backend: oidc.path,
    name: USER_ROLE,
    type: "oidc",
    policies: [policyName(layout, "user")],
    principal: "user",
    tokenTtlSeconds: oidc.tokenTtlSeconds,
    tokenMaxTtlSeconds: oidc.tokenMaxTtlSeconds,
    oidc: {
      roleType: oidcMode,
      userClaim: oidc.userClaim,
      groupsClaim,
      orgClaim: oidc.orgClaim,
      claimMappings: { [oidc.orgClaim]: METADATA.org, [oidc.userClaim]: METADATA.user },
      boundAudiences: [oidc.clientId],
      allowedRedirectUris: oidcMode === "oidc" ? oidc.allowedRedirectUris : [],
      scopes: oidcMode === "oidc" ? oidc.scopes : [],
    },
  });

  // Org admins come from the groups claim; a stack without one has no org-admin group.
  const groups: GroupPlan[] =
    groupsClaim === undefined
      ? []
      : [
          {
            name: `gbo-${layout.tenant}-org-admins`,
            type: "external",
            policies: [policyName(layout, "orgAdmin")],
            alias: { backend: oidc.path, name: oidc.orgAdminGroup },
          },
        ];

  const runtimeSecrets: RuntimeSecretPlan[] = [];
  for (const scope of ["bot", "user"] as const) {
    const root =
      scope === "bot"
        ? scopeRoot(layout, { scope, org: "<org>" as Id, bot: "<bot>" as Id })
        : scopeRoot(layout, { scope, org: "<org>" as Id, user: "<user>" as Id });
    for (const secret of catalog.scopes[scope].secrets) {
      const pattern = secret.path.replace(/\{([a-z_]+)\}/g, "<$1>");
      runtimeSecrets.push({
        scope,
        pathPattern: `${root}/${pattern}`,
        description: secret.description,
        keys: secret.keys.map((key) => ({ name: key.name, secret: key.secret })),
        fallback:
          secret.fallback === undefined
            ? undefined
            : `${scopeRoot(layout, { scope: "system" })}/${secret.fallback.replace(/\{([a-z_]+)\}/g, "<$1>")}`,
      });
    }
  }

  for (const runtime of runtimeSecrets) {
    if (runtime.fallback === undefined) continue;
    const pattern = new RegExp(`^${runtime.fallback.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/<[a-z_]+>/g, "[^/]+")}$`);
    runtime.fallbackSeeded = secrets.some((secret) => pattern.test(secret.path));
  }

  const plan: Plan = {
    project: settings.project,
    stack: settings.stack,
    tenant: { id: layout.tenant, name: settings.tenant.name, domain: settings.tenant.domain },
    provider: {
      address: settings.vault.address,
      namespace: settings.vault.namespace,
      deniesSlashInTemplates: settings.vaultDeniesSlashInTemplates,
    },
    protect: settings.protect,
    layout,
    mounts: [
      {
        path: layout.mount,
        type: "kv",
        options: { version: "2" },
        description: `General Bots secrets of tenant ${layout.tenant}`,
        kvConfig: {
          maxVersions: settings.kv.maxVersions,
          casRequired: settings.kv.casRequired,
          deleteVersionAfterSeconds: settings.kv.deleteVersionAfterSeconds,
        },
      },
    ],
    authBackends: [
      { path: approle.path, type: "approle", description: `AppRole logins of the app and bots of tenant ${layout.tenant}` },
      {
        path: oidc.path,
        type: "oidc",
        description: `Zitadel logins of users and org admins of tenant ${layout.tenant}`,
        oidc: {
          mode: oidcMode,
          discoveryUrl: oidc.issuerUrl,
          boundIssuer: oidc.issuerUrl,
          clientId: oidc.clientId,
          clientSecret: oidc.clientSecret,
          defaultRole: USER_ROLE,
        },
      },
    ],
    roles,
    policies,
    identity: { entities, groups },
    secrets,
    runtimeSecrets,
    legacyLayout: settings.legacyLayout,
    legacyPaths: legacyCopies.map((secret) => ({
      path: secret.path,
      configKeys: secret.keys.map((key) => key.configKey),
      missingConfigKeys: [...new Set(secret.keys.filter((key) => key.status === "missing").map((key) => key.configKey))],
    })),
    orgs: settings.orgs,
  };
  checkUniqueNames(plan);
  return plan;
}

/** Two orgs and bots can join to the same role name (`a-b` + `c` and `a` + `b-c`); Vault would merge them. */
function checkUniqueNames(plan: Plan): void {
  const seen = new Map<string, string>();
  for (const role of plan.roles) {
    // AppRole stores role names in lower case, so names that differ only in case are the same role.
    const key = `${role.backend}/${role.name}`.toLowerCase();
    const other = seen.get(key);
    if (other !== undefined) {
      throw new PlanError(
        `${role.principal} and ${other} both get the AppRole role "${role.name}"; rename one of the two bots in the stack's orgs setting (org ids follow Zitadel)`,
      );
    }
    seen.set(key, role.principal);
  }
}
