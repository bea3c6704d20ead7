import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { bindAccessors } from "../../infra/core/paths";
import { type MockRun, REPO_ROOT, runStack, SECRET_SIGIL } from "./harness";

const T = {
  provider: "pulumi:providers:vault",
  mount: "vault:index/mount:Mount",
  kvConfig: "vault:kv/secretBackendV2:SecretBackendV2",
  secret: "vault:kv/secretV2:SecretV2",
  policy: "vault:index/policy:Policy",
  authBackend: "vault:index/authBackend:AuthBackend",
  jwtBackend: "vault:jwt/authBackend:AuthBackend",
  approleRole: "vault:appRole/authBackendRole:AuthBackendRole",
  jwtRole: "vault:jwt/authBackendRole:AuthBackendRole",
  entity: "vault:identity/entity:Entity",
  entityAlias: "vault:identity/entityAlias:EntityAlias",
  group: "vault:identity/group:Group",
  groupAlias: "vault:identity/groupAlias:GroupAlias",
};

function isSecretWrapped(value: unknown): value is { value: unknown } {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIGIL] !== undefined;
}

function ofType(run: MockRun, type: string) {
  return run.resources.filter((resource) => resource.type === type);
}

/** Returns the (type, name) pairs the plan requires, derived here independently of the program. */
function expectedResources(run: MockRun): string[] {
  const { plan } = run;
  const out = [`${T.provider} vault`];
  for (const mount of plan.mounts) out.push(`${T.mount} mount-${mount.path}`, `${T.kvConfig} kv-config-${mount.path}`);
  for (const backend of plan.authBackends) {
    out.push(`${backend.type === "approle" ? T.authBackend : T.jwtBackend} auth-${backend.path}`);
  }
  for (const policy of plan.policies) out.push(`${T.policy} policy-${policy.name}`);
  for (const role of plan.roles) {
    out.push(`${role.type === "approle" ? T.approleRole : T.jwtRole} role-${role.backend}-${role.name}`);
  }
  for (const entity of plan.identity.entities) {
    out.push(`${T.entity} entity-${entity.name}`, `${T.entityAlias} entity-alias-${entity.name}`);
  }
  for (const group of plan.identity.groups) {
    out.push(`${T.group} group-${group.name}`, `${T.groupAlias} group-alias-${group.name}`);
  }
  for (const secret of plan.secrets) out.push(`${T.secret} secret-${secret.path}`);
  return out.sort();
}

for (const stack of ["dev", "staging", "prod"]) {
  describe(`program under mocks, stack ${stack}`, () => {
    let run: MockRun;
    beforeAll(async () => {
      run = await runStack(stack);
    });

    it("registers exactly the planned resources", () => {
      const registered = run.resources.map((resource) => `${resource.type} ${resource.name}`).sort();
      expect(registered).toEqual(expectedResources(run));
    });

    it("registers no duplicate type and name", () => {
      const keys = run.resources.map((resource) => `${resource.type}::${resource.name}`);
      expect(new Set(keys).size).toBe(keys.length);
    });

    it("puts every Vault resource on the explicit provider", () => {
      const providerUrn = `urn:pulumi:${stack}::gbo-vault::pulumi:pulumi:Stack$pulumi:providers:vault::vault::vault-id`;
      for (const resource of run.resources.filter((candidate) => candidate.type !== T.provider)) {
        expect(resource.provider, `${resource.type} ${resource.name}`).toBe(providerUrn);
      }
    });

    it("gives the provider the address but no token", () => {
      const [provider] = ofType(run, T.provider);
      expect(provider?.inputs.address).toBe(run.plan.provider.address);
      expect(provider?.inputs.token).toBeUndefined();
    });

    it("declares the KV v2 mount with its engine settings", () => {
      const [mount] = ofType(run, T.mount);
      expect(mount?.inputs.path).toBe("secret");
      expect(mount?.inputs.type).toBe("kv");
      expect(mount?.inputs.options).toEqual({ version: "2" });
      const [config] = ofType(run, T.kvConfig);
      expect(config?.inputs.mount).toBe("secret");
      expect(config?.inputs.maxVersions).toBe(run.plan.mounts[0]!.kvConfig.maxVersions);
      expect(config?.inputs.casRequired).toBe(run.plan.mounts[0]!.kvConfig.casRequired);
    });

    it("retains mounts and auth backends on delete and protects them outside dev", () => {
      const guardedTypes = [T.mount, T.authBackend, T.jwtBackend];
      const guarded = run.options.filter((option) => guardedTypes.includes(option.type));
      expect(guarded).toHaveLength(3);
      for (const option of guarded) {
        expect(option.retainOnDelete, option.name).toBe(true);
        expect(option.protect, option.name).toBe(stack !== "dev");
      }
    });

    it("passes every resource an explicit provider option", () => {
      for (const option of run.options.filter((candidate) => candidate.type !== T.provider && candidate.type !== "pulumi:pulumi:Stack")) {
        expect(option.hasProvider, `${option.type} ${option.name}`).toBe(true);
      }
    });

    it("writes policies equal to the plan with accessors bound", () => {
      const policies = ofType(run, T.policy);
      for (const planned of run.plan.policies) {
        const resource = policies.find((candidate) => candidate.inputs.name === planned.name);
        const expected = bindAccessors(planned.hcl, { approle: "auth_approle_0001", oidc: "auth_oidc_0001" });
        expect(resource?.inputs.policy, planned.name).toBe(expected);
        expect(String(resource?.inputs.policy)).not.toContain("undefined");
      }
    });

    it("declares the app role, one role per bot and the user role", () => {
      const approleNames = ofType(run, T.approleRole).map((role) => role.inputs.roleName).sort();
      const bots = run.plan.orgs.flatMap((org) => org.bots.map((bot) => `bot-${org.id}-${bot}`));
      expect(approleNames).toEqual([`botserver-${stack}`, ...bots].sort());
      const [userRole] = ofType(run, T.jwtRole);
      expect(userRole?.inputs.roleName).toBe("user");
      expect(userRole?.inputs.tokenPolicies).toEqual([`gbo-${stack}-user`]);
      expect(userRole?.inputs.claimMappings).toEqual({ "urn:zitadel:iam:user:resourceowner:id": "org", sub: "user" });
    });

    it("bot entities carry org, bot and alias", () => {
      const entities = ofType(run, T.entity);
      const aliases = ofType(run, T.entityAlias);
      for (const org of run.plan.orgs) {
        for (const bot of org.bots) {
          const name = `bot-${org.id}-${bot}`;
          const entity = entities.find((candidate) => candidate.inputs.name === name);
          expect(entity?.inputs.metadata).toMatchObject({ org: org.id, bot });
          const alias = aliases.find((candidate) => candidate.inputs.name === name);
          expect(alias?.inputs.mountAccessor).toBe("auth_approle_0001");
          expect(alias?.inputs.canonicalId).toBe(entity?.id);
          const role = ofType(run, T.approleRole).find((candidate) => candidate.inputs.roleName === name);
          expect(role?.inputs.roleId).toBe(name);
        }
      }
    });

    it("maps the org-admin role claim to an external group", () => {
      const [group] = ofType(run, T.group);
      expect(group?.inputs.type).toBe("external");
      expect(group?.inputs.policies).toEqual([`gbo-${stack}-org-admin`]);
      expect(group?.inputs.memberEntityIds).toBeUndefined();
      const [alias] = ofType(run, T.groupAlias);
      expect(alias?.inputs.mountAccessor).toBe("auth_oidc_0001");
      expect(alias?.inputs.canonicalId).toBe(group?.id);
    });

    it("seeds secrets as secret inputs of JSON strings", () => {
      const secrets = ofType(run, T.secret);
      expect(secrets.map((secret) => secret.inputs.name).sort()).toEqual(run.plan.secrets.map((secret) => secret.path).sort());
      for (const secret of secrets) {
        expect(secret.inputs.mount).toBe("secret");
        expect(secret.inputs.deleteAllVersions).toBe(true);
        expect(isSecretWrapped(secret.inputs.dataJson), String(secret.inputs.name)).toBe(true);
        const data = JSON.parse(String((secret.inputs.dataJson as { value: unknown }).value)) as Record<string, unknown>;
        const planned = run.plan.secrets.find((candidate) => candidate.path === secret.inputs.name)!;
        const expectedKeys = planned.keys.filter((key) => key.status !== "missing").map((key) => key.name);
        expect(Object.keys(data).sort()).toEqual(expectedKeys.sort());
        for (const value of Object.values(data)) expect(typeof value).toBe("string");
      }
    });

    it("keeps decrypted values out of stack outputs", () => {
      const text = JSON.stringify(run.outputs);
      for (const value of run.secretValues) expect(text).not.toContain(value);
    });
  });
}

describe("OIDC client secret under mocks", () => {
  it("arrives as a secret input only where the stack sets it", async () => {
    for (const stack of ["dev", "staging"]) {
      const run = await runStack(stack);
      const [backend] = ofType(run, T.jwtBackend);
      if (stack === "dev") {
        expect(isSecretWrapped(backend?.inputs.oidcClientSecret)).toBe(true);
        expect((backend?.inputs.oidcClientSecret as { value: unknown }).value).toBe("dev-placeholder-oidc-client-secret");
      } else {
        expect(backend?.inputs.oidcClientSecret).toBeUndefined();
      }
    }
  });
});

describe("seeded values under mocks", () => {
  it("carries each decrypted dev value into its secret", async () => {
    const run = await runStack("dev");
    const tables = ofType(run, T.secret).find((secret) => secret.inputs.name === "gbo/tenants/dev/infrastructure/tables")!;
    const data = JSON.parse(String((tables.inputs.dataJson as { value: unknown }).value)) as Record<string, string>;
    expect(data.password).toBe("dev-placeholder-tables-password");
    expect(data.port).toBe("5432");
    const config = ofType(run, T.secret).find((secret) => secret.inputs.name === "gbo/tenants/dev/config")!;
    const tenant = JSON.parse(String((config.inputs.dataJson as { value: unknown }).value)) as Record<string, string>;
    expect(tenant.name).toBe("General Bots (dev)");
    expect(JSON.parse(tenant.settings!)).toEqual({ locale: "en-US", timezone: "UTC" });
  });
});

describe("project file", () => {
  const project = parse(readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as Record<string, any>;

  it("disables the default Vault provider", () => {
    expect(project.config["pulumi:disable-default-providers"].value).toEqual(["vault"]);
  });

  it("points main into infra and stacks into stacks", () => {
    expect(project.main).toBe("infra/");
    expect(project.stackConfigDir).toBe("stacks");
    expect(project.runtime.name).toBe("nodejs");
  });
});

describe("OIDC mount mode under mocks", () => {
  it("dev, with a client secret, uses browser OIDC", async () => {
    const run = await runStack("dev");
    const [backend] = ofType(run, T.jwtBackend);
    const [role] = ofType(run, T.jwtRole);
    expect(backend?.inputs.type).toBe("oidc");
    expect(backend?.inputs.oidcClientId).toBe("000000000000000001@gbo-vault-dev");
    expect(role?.inputs.roleType).toBe("oidc");
    expect(role?.inputs.allowedRedirectUris).toEqual([
      "http://127.0.0.1:8200/ui/vault/auth/oidc/oidc/callback",
      "http://localhost:8250/oidc/callback",
    ]);
  });

  it("staging, without one, accepts Zitadel JWTs", async () => {
    const run = await runStack("staging");
    const [backend] = ofType(run, T.jwtBackend);
    const [role] = ofType(run, T.jwtRole);
    expect(backend?.inputs.type).toBe("jwt");
    expect(backend?.inputs.oidcClientId).toBeUndefined();
    expect(backend?.inputs.oidcClientSecret).toBeUndefined();
    expect(role?.inputs.roleType).toBe("jwt");
    expect(role?.inputs.allowedRedirectUris).toBeUndefined();
    expect(role?.inputs.boundAudiences).toEqual(["000000000000000002@gbo-vault-staging"]);
  });
});
