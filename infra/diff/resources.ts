/**
 * The plan as the list of Pulumi resources that `infra/pulumi/program.ts` registers: the same type tokens, the
 * same logical names and the inputs that decide whether Pulumi updates or replaces a resource. Secret values
 * are not inputs here; the value comparison reports them by fingerprint.
 */
import type { Plan } from "../core/plan";

export interface PlannedResource {
  /** Pulumi type token, for example `vault:index/policy:Policy`. */
  type: string;
  /** Logical name, for example `policy-gbo-dev-app`. */
  name: string;
  inputs: Record<string, unknown>;
  /** Inputs whose change makes Pulumi replace the resource rather than update it. */
  replaceOn: string[];
}

/** Text that stands for an Output known only after apply, such as an auth mount's accessor. */
function reference(what: string): string {
  return `<${what}>`;
}

/** Lists the resources of `plan` in the order the program declares them. */
export function planResources(plan: Plan): PlannedResource[] {
  const out: PlannedResource[] = [];
  const add = (type: string, name: string, inputs: Record<string, unknown>, replaceOn: string[] = []): void => {
    out.push({ type, name, inputs, replaceOn });
  };

  add("pulumi:providers:vault", "vault", { address: plan.provider.address, namespace: plan.provider.namespace ?? null });

  // Mount `type`, `local` and `sealWrap` force a replacement in the Vault provider, and the logical name
  // carries the path, so a new path is a delete and a create.
  for (const mount of plan.mounts) {
    add(
      "vault:index/mount:Mount",
      `mount-${mount.path}`,
      { path: mount.path, type: mount.type, options: mount.options, description: mount.description },
      ["path", "type", "options"],
    );
  }
  for (const mount of plan.mounts) {
    add("vault:kv/secretBackendV2:SecretBackendV2", `kv-config-${mount.path}`, {
      mount: mount.path,
      maxVersions: mount.kvConfig.maxVersions,
      casRequired: mount.kvConfig.casRequired,
      deleteVersionAfter: mount.kvConfig.deleteVersionAfterSeconds,
    }, ["mount"]);
  }

  for (const backend of plan.authBackends) {
    if (backend.type === "approle") {
      add("vault:index/authBackend:AuthBackend", `auth-${backend.path}`, { type: "approle", path: backend.path, description: backend.description }, [
        "type",
        "path",
      ]);
    } else {
      const oidc = backend.oidc!;
      add(
        "vault:jwt/authBackend:AuthBackend",
        `auth-${backend.path}`,
        {
          type: "oidc",
          path: backend.path,
          description: backend.description,
          oidcDiscoveryUrl: oidc.discoveryUrl,
          boundIssuer: oidc.boundIssuer,
          oidcClientId: oidc.clientId,
          oidcClientSecret: oidc.clientSecret === "missing" ? null : `[${oidc.clientSecret} value]`,
          defaultRole: oidc.defaultRole,
        },
        ["type", "path"],
      );
    }
  }

  for (const policy of plan.policies) {
    add("vault:index/policy:Policy", `policy-${policy.name}`, { name: policy.name, policy: policy.hcl }, ["name"]);
  }

  for (const role of plan.roles) {
    const backend = reference(`path of auth-${role.backend}`);
    if (role.type === "approle") {
      const approle = role.approle!;
      add(
        "vault:appRole/authBackendRole:AuthBackendRole",
        `role-${role.backend}-${role.name}`,
        {
          backend,
          roleName: role.name,
          roleId: approle.roleId ?? null,
          tokenPolicies: role.policies,
          tokenTtl: role.tokenTtlSeconds,
          tokenMaxTtl: role.tokenMaxTtlSeconds,
          secretIdTtl: approle.secretIdTtlSeconds,
          secretIdNumUses: approle.secretIdNumUses,
          tokenBoundCidrs: approle.tokenBoundCidrs,
          secretIdBoundCidrs: approle.secretIdBoundCidrs,
        },
        ["backend", "roleName"],
      );
    } else {
      const oidc = role.oidc!;
      add(
        "vault:jwt/authBackendRole:AuthBackendRole",
        `role-${role.backend}-${role.name}`,
        {
          backend,
          roleName: role.name,
          roleType: "oidc",
          userClaim: oidc.userClaim,
          groupsClaim: oidc.groupsClaim,
          claimMappings: oidc.claimMappings,
          boundAudiences: oidc.boundAudiences,
          allowedRedirectUris: oidc.allowedRedirectUris,
          oidcScopes: oidc.scopes,
          tokenPolicies: role.policies,
          tokenTtl: role.tokenTtlSeconds,
          tokenMaxTtl: role.tokenMaxTtlSeconds,
        },
        ["backend", "roleName"],
      );
    }
  }

  for (const entity of plan.identity.entities) {
    add("vault:identity/entity:Entity", `entity-${entity.name}`, { name: entity.name, metadata: entity.metadata });
    add("vault:identity/entityAlias:EntityAlias", `entity-alias-${entity.name}`, {
      name: entity.alias.name,
      mountAccessor: reference(`accessor of auth-${entity.alias.backend}`),
      canonicalId: reference(`id of entity-${entity.name}`),
    });
  }
  for (const group of plan.identity.groups) {
    add("vault:identity/group:Group", `group-${group.name}`, { name: group.name, type: group.type, policies: group.policies }, ["type"]);
    add("vault:identity/groupAlias:GroupAlias", `group-alias-${group.name}`, {
      name: group.alias.name,
      mountAccessor: reference(`accessor of auth-${group.alias.backend}`),
      canonicalId: reference(`id of group-${group.name}`),
    });
  }

  // `mount` and `name` force a replacement of a KV v2 secret: the old path is deleted with all its versions.
  for (const secret of plan.secrets) {
    add(
      "vault:kv/secretV2:SecretV2",
      `secret-${secret.path}`,
      {
        mount: secret.mount,
        name: secret.path,
        deleteAllVersions: true,
        keys: secret.keys.filter((key) => key.status !== "missing").map((key) => key.name),
      },
      ["mount", "name"],
    );
  }
  return out;
}

/** Canonical JSON: object keys sorted, so two equal inputs always compare equal as text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export interface ResourceChange {
  type: string;
  name: string;
  /** `replace` when an input in the resource's `replaceOn` list changed. */
  action: "add" | "remove" | "update" | "replace";
  /** Names of the inputs that differ, for updates and replacements. */
  inputs: string[];
}

/** Compares two resource lists by (type, name) and their inputs. */
export function diffResources(base: PlannedResource[], head: PlannedResource[]): ResourceChange[] {
  const key = (resource: PlannedResource): string => `${resource.type}\u0000${resource.name}`;
  const baseByKey = new Map(base.map((resource) => [key(resource), resource]));
  const headKeys = new Set(head.map(key));
  const changes: ResourceChange[] = [];
  for (const resource of head) {
    const old = baseByKey.get(key(resource));
    if (old === undefined) {
      changes.push({ type: resource.type, name: resource.name, action: "add", inputs: [] });
      continue;
    }
    const names = [...new Set([...Object.keys(old.inputs), ...Object.keys(resource.inputs)])].sort();
    const changed = names.filter((name) => canonicalJson(old.inputs[name]) !== canonicalJson(resource.inputs[name]));
    if (changed.length === 0) continue;
    const replace = changed.some((name) => resource.replaceOn.includes(name));
    changes.push({ type: resource.type, name: resource.name, action: replace ? "replace" : "update", inputs: changed });
  }
  for (const resource of base) {
    if (!headKeys.has(key(resource))) changes.push({ type: resource.type, name: resource.name, action: "remove", inputs: [] });
  }
  return changes;
}
