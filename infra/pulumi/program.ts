/**
 * The thin Pulumi layer: maps the plan to `@pulumi/vault` resources through one explicit provider.
 *
 * Secret values come only from `requireSecret`-style config reads and stay secret Outputs. The provider gets
 * no token, so the Vault plugin reads `VAULT_TOKEN` from the environment at run time and the token never
 * lands in config or state.
 */
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import { bindAccessors } from "../core/paths";
import type { Plan, SecretPlan } from "../core/plan";

/** Source of the secret and seeded values at run time. */
export interface ValueSource {
  /** The whole value of a top-level config key as a secret Output; the plan asks only for keys that are set. */
  secretObject(configKey: string): pulumi.Output<unknown>;
  /** A top-level config key that contains one secret string, asked for only when the stack sets it. */
  secretString(configKey: string): pulumi.Output<string>;
}

/**
 * Reads values from the stack's Pulumi config with requireSecretObject and requireSecret, so every value is a
 * secret Output and a key the plan expects but the run lacks fails the update with Pulumi's own message.
 */
export function configValueSource(config: pulumi.Config): ValueSource {
  return {
    secretObject: (configKey) => config.requireSecretObject<unknown>(configKey),
    secretString: (configKey) => config.requireSecret(configKey),
  };
}

export interface DeclaredStack {
  provider: vault.Provider;
  /** Every resource declared, in declaration order; tests await their URNs. */
  resources: pulumi.CustomResource[];
  outputs: Record<string, unknown>;
}

function lookup(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const part of path) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Converts one config value to the string Vault stores; the app rejects a secret whose values are not strings. */
function toVaultString(value: unknown, where: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "object" && value !== null && where.endsWith(".settings")) return JSON.stringify(value);
  throw new Error(`config value ${where} must be a string, number or boolean`);
}

/** Builds the secret JSON of one seeded secret from the config; a planned key missing at run time fails the update. */
function secretDataJson(secret: SecretPlan, values: ValueSource): pulumi.Output<string> {
  const byConfigKey = new Map<string, pulumi.Output<unknown>>();
  for (const key of secret.keys) {
    if (key.status === "missing" || key.source.literal !== undefined || byConfigKey.has(key.source.configKey)) continue;
    byConfigKey.set(key.source.configKey, values.secretObject(key.source.configKey));
  }
  const configKeys = [...byConfigKey.keys()];
  const data = pulumi.all(configKeys.map((configKey) => byConfigKey.get(configKey)!)).apply((objects) => {
    const out: Record<string, string> = {};
    for (const key of secret.keys) {
      if (key.status === "missing") continue;
      if (key.source.literal !== undefined) {
        out[key.name] = key.source.literal;
        continue;
      }
      const object = objects[configKeys.indexOf(key.source.configKey)];
      const value = lookup(object, key.source.path);
      if (value === undefined || value === null) {
        throw new Error(`config value ${key.configKey} for ${secret.path} is not set at run time`);
      }
      out[key.name] = toVaultString(value, key.configKey);
    }
    return JSON.stringify(out);
  });
  return pulumi.secret(data);
}

/** Declares every resource of the plan. */
export function declareStack(plan: Plan, values: ValueSource): DeclaredStack {
  const resources: pulumi.CustomResource[] = [];
  const track = <T extends pulumi.CustomResource>(resource: T): T => {
    resources.push(resource);
    return resource;
  };
  const provider = track(
    new vault.Provider("vault", {
      address: plan.provider.address,
      namespace: plan.provider.namespace,
      // The provider works with a child token of this TTL; the default 20 minutes can end inside a long apply.
      maxLeaseTtlSeconds: 3600,
    }),
  );
  const base: pulumi.CustomResourceOptions = { provider };
  // Replacing a mount or auth backend unmounts it and deletes everything in it. So Pulumi keeps the Vault object
  // when it deletes the resource, and refuses deletes entirely where the stack sets protect.
  const guarded: pulumi.CustomResourceOptions = { provider, retainOnDelete: true, protect: plan.protect };

  const mounts = plan.mounts.map(
    (mount) =>
      track(new vault.Mount(
        `mount-${mount.path}`,
        { path: mount.path, type: mount.type, options: mount.options, description: mount.description },
        guarded,
      )),
  );
  const kvMount = mounts[0]!;
  plan.mounts.forEach((mount, index) => {
    track(new vault.kv.SecretBackendV2(
      `kv-config-${mount.path}`,
      {
        mount: mounts[index]!.path,
        maxVersions: mount.kvConfig.maxVersions,
        casRequired: mount.kvConfig.casRequired,
        deleteVersionAfter: mount.kvConfig.deleteVersionAfterSeconds,
      },
      base,
    ));
  });

  const accessors: Record<string, pulumi.Output<string>> = {};
  const backendPaths: Record<string, pulumi.Output<string>> = {};
  for (const backend of plan.authBackends) {
    if (backend.type === "approle") {
      const resource = track(new vault.AuthBackend(
        `auth-${backend.path}`,
        { type: "approle", path: backend.path, description: backend.description },
        guarded,
      ));
      accessors[backend.path] = resource.accessor;
      backendPaths[backend.path] = resource.path;
    } else {
      const oidc = backend.oidc!;
      const clientSecret = oidc.clientSecret === "missing" ? undefined : values.secretString("oidcClientSecret");
      const resource = track(new vault.jwt.AuthBackend(
        `auth-${backend.path}`,
        {
          type: oidc.mode,
          path: backend.path,
          description: backend.description,
          oidcDiscoveryUrl: oidc.discoveryUrl,
          boundIssuer: oidc.boundIssuer,
          // Vault rejects an OIDC client id without its secret, so a jwt mount gets neither.
          oidcClientId: oidc.mode === "oidc" ? oidc.clientId : undefined,
          oidcClientSecret: clientSecret,
          defaultRole: oidc.defaultRole,
        },
        guarded,
      ));
      accessors[backend.path] = resource.accessor;
      backendPaths[backend.path] = resource.path.apply((path) => path ?? backend.path);
    }
  }

  const accessorMap = pulumi.all(accessors);
  for (const policy of plan.policies) {
    const text = policy.hcl.includes("<accessor:")
      ? accessorMap.apply((known) => bindAccessors(policy.hcl, known))
      : policy.hcl;
    track(new vault.Policy(`policy-${policy.name}`, { name: policy.name, policy: text }, base));
  }

  for (const role of plan.roles) {
    const backend = backendPaths[role.backend]!;
    if (role.type === "approle") {
      const approle = role.approle!;
      track(new vault.approle.AuthBackendRole(
        `role-${role.backend}-${role.name}`,
        {
          backend,
          roleName: role.name,
          roleId: approle.roleId,
          tokenPolicies: role.policies,
          tokenTtl: role.tokenTtlSeconds,
          tokenMaxTtl: role.tokenMaxTtlSeconds,
          secretIdTtl: approle.secretIdTtlSeconds,
          secretIdNumUses: approle.secretIdNumUses,
          tokenBoundCidrs: approle.tokenBoundCidrs.length > 0 ? approle.tokenBoundCidrs : undefined,
          secretIdBoundCidrs: approle.secretIdBoundCidrs.length > 0 ? approle.secretIdBoundCidrs : undefined,
        },
        base,
      ));
    } else {
      const oidc = role.oidc!;
      track(new vault.jwt.AuthBackendRole(
        `role-${role.backend}-${role.name}`,
        {
          backend,
          roleName: role.name,
          roleType: oidc.roleType,
          userClaim: oidc.userClaim,
          groupsClaim: oidc.groupsClaim,
          claimMappings: oidc.claimMappings,
          boundAudiences: oidc.boundAudiences,
          allowedRedirectUris: oidc.roleType === "oidc" ? oidc.allowedRedirectUris : undefined,
          oidcScopes: oidc.roleType === "oidc" ? oidc.scopes : undefined,
          tokenPolicies: role.policies,
          tokenTtl: role.tokenTtlSeconds,
          tokenMaxTtl: role.tokenMaxTtlSeconds,
        },
        base,
      ));
    }
  }

  for (const entity of plan.identity.entities) {
    const resource = track(new vault.identity.Entity(`entity-${entity.name}`, { name: entity.name, metadata: entity.metadata }, base));
    track(new vault.identity.EntityAlias(
      `entity-alias-${entity.name}`,
      { name: entity.alias.name, mountAccessor: accessors[entity.alias.backend]!, canonicalId: resource.id },
      base,
    ));
  }
  for (const group of plan.identity.groups) {
    // External groups take members from the auth method's group claim; setting member ids would be rejected.
    const resource = track(new vault.identity.Group(
      `group-${group.name}`,
      { name: group.name, type: group.type, policies: group.policies },
      base,
    ));
    track(new vault.identity.GroupAlias(
      `group-alias-${group.name}`,
      { name: group.alias.name, mountAccessor: accessors[group.alias.backend]!, canonicalId: resource.id },
      base,
    ));
  }

  for (const secret of plan.secrets) {
    track(new vault.kv.SecretV2(
      `secret-${secret.path}`,
      {
        mount: kvMount.path,
        name: secret.path,
        dataJson: secretDataJson(secret, values),
        deleteAllVersions: true,
      },
      base,
    ));
  }

  return {
    provider,
    resources,
    outputs: {
      tenant: plan.tenant.id,
      kvMount: kvMount.path,
      policies: plan.policies.map((policy) => policy.name),
      roles: plan.roles.map((role) => `auth/${role.backend}/role/${role.name}`),
      secrets: plan.secrets.map((secret) => `${secret.mount}/${secret.path}`),
    },
  };
}
