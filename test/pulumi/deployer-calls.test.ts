import { describe, expect, it } from "vitest";
import { compileAcl, defaultPolicy, evaluate, type Operation, parsePolicy } from "../../infra/acl";
import { loadStack } from "../../infra/core/load";
import { bindAccessors } from "../../infra/core/paths";

/**
 * Lists the Vault API calls that the Vault provider makes for the dev stack's resources (create, read on
 * refresh, update and delete). The deployer policy must allow every one of them.
 */
function providerCalls(): Array<[Operation, string]> {
  const { plan } = loadStack("dev");
  const calls: Array<[Operation, string]> = [
    ["update", "auth/token/create"],
    ["read", "auth/token/lookup-self"],
    ["read", "sys/mounts"],
    ["create", "sys/mounts/secret"],
    ["read", "sys/mounts/secret"],
    ["update", "sys/mounts/secret/tune"],
    ["read", "sys/mounts/secret/tune"],
    ["delete", "sys/mounts/secret"],
    ["update", "secret/config"],
    ["read", "secret/config"],
    ["read", "sys/auth"],
    ["update", "identity/lookup/entity"],
    ["update", "identity/entity"],
    ["read", "identity/entity/id/some-id"],
    ["update", "identity/entity/id/some-id"],
    ["delete", "identity/entity/id/some-id"],
    ["read", "identity/entity/name/bot-acme-support"],
    ["update", "identity/entity-alias"],
    ["read", "identity/entity-alias/id/some-id"],
    ["delete", "identity/entity-alias/id/some-id"],
    ["update", "identity/group"],
    ["read", "identity/group/id/some-id"],
    ["update", "identity/group-alias"],
    ["read", "identity/group-alias/id/some-id"],
  ];
  for (const backend of ["approle", "oidc"]) {
    calls.push(
      ["create", `sys/auth/${backend}`],
      ["read", `sys/auth/${backend}`],
      ["delete", `sys/auth/${backend}`],
      ["read", `sys/mounts/auth/${backend}/tune`],
      ["update", `sys/mounts/auth/${backend}/tune`],
    );
  }
  calls.push(["update", "auth/oidc/config"], ["read", "auth/oidc/config"], ["update", "auth/oidc/role/user"], ["read", "auth/oidc/role/user"]);
  for (const role of plan.roles.filter((candidate) => candidate.type === "approle")) {
    calls.push(
      ["update", `auth/approle/role/${role.name}`],
      ["read", `auth/approle/role/${role.name}`],
      ["delete", `auth/approle/role/${role.name}`],
      ["read", `auth/approle/role/${role.name}/role-id`],
      ["update", `auth/approle/role/${role.name}/role-id`],
    );
  }
  for (const policy of plan.policies.filter((candidate) => candidate.principal !== "deployer")) {
    calls.push(["update", `sys/policies/acl/${policy.name}`], ["read", `sys/policies/acl/${policy.name}`], ["delete", `sys/policies/acl/${policy.name}`]);
  }
  for (const secret of plan.secrets) {
    calls.push(
      ["create", `secret/data/${secret.path}`],
      ["update", `secret/data/${secret.path}`],
      ["read", `secret/data/${secret.path}`],
      ["read", `secret/metadata/${secret.path}`],
      ["delete", `secret/metadata/${secret.path}`],
    );
  }
  return calls;
}

describe("deployer policy against the provider's calls", () => {
  const { plan } = loadStack("dev");
  const deployer = plan.policies.find((policy) => policy.principal === "deployer")!;
  const acl = compileAcl([parsePolicy(bindAccessors(deployer.hcl, { approle: "a1", oidc: "a2" }), deployer.name), defaultPolicy()]);

  for (const [operation, path] of providerCalls()) {
    it(`allows ${operation} ${path}`, () => {
      expect(evaluate(acl, { path, operation }).allowed).toBe(true);
    });
  }

  it("only reads its own policy", () => {
    expect(evaluate(acl, { path: `sys/policies/acl/${deployer.name}`, operation: "read" }).allowed).toBe(true);
    expect(evaluate(acl, { path: `sys/policies/acl/${deployer.name}`, operation: "update" }).allowed).toBe(false);
  });
});
