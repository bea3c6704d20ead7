import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadStack } from "../../infra/core/load";
import { PROJECT_ROOT } from "../../infra/core/project";
import { isSecureLeaf } from "../../infra/core/settings";
import { diffResources, planResources } from "../../infra/diff/resources";

const registered: Array<{ type: string; name: string }> = [];

/** Replaces every secure leaf, so the program can build secret JSON without the passphrase. */
function placeholders(value: unknown): unknown {
  if (isSecureLeaf(value)) return "placeholder";
  if (Array.isArray(value)) return value.map(placeholders);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, placeholders(inner)]));
  return value;
}

describe.each(["dev", "staging", "prod"])("resource list of %s", (stack) => {
  const { plan } = loadStack(stack);
  beforeAll(async () => {
    registered.length = 0;
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name });
          return { id: `${args.name}-id`, state: { ...args.inputs, accessor: `accessor-${args.name}` } };
        },
        call: (args) => args.inputs,
      },
      "gbo-vault",
      stack,
      false,
    );
    const { declareStack } = await import("../../infra/pulumi/program");
    const config = (parse(readFileSync(`${PROJECT_ROOT}/stacks/Pulumi.${stack}.yaml`, "utf8")) as { config: Record<string, unknown> }).config;
    const declared = declareStack(plan, {
      secretObject: (key) => pulumi.secret(placeholders(config[`gbo-vault:${key}`] ?? {})),
      secretString: () => pulumi.secret("placeholder"),
    });
    await Promise.all(declared.resources.map((resource) => new Promise((resolve) => resource.urn.apply(resolve))));
  });

  it("names the same (type, name) pairs as the program", () => {
    const expected = registered.map((resource) => `${resource.type} ${resource.name}`).sort();
    const listed = planResources(plan).map((resource) => `${resource.type} ${resource.name}`).sort();
    expect(expected.length).toBeGreaterThan(10);
    expect(listed).toEqual(expected);
  });

  it("finds no change against itself", () => {
    expect(diffResources(planResources(plan), planResources(plan))).toEqual([]);
  });
});

describe("resource comparison", () => {
  const { plan } = loadStack("dev");

  it("marks a changed mount type as a replacement", () => {
    const changed = structuredClone(plan);
    (changed.mounts[0] as { type: string }).type = "kv-v1";
    const changes = diffResources(planResources(plan), planResources(changed));
    expect(changes).toContainEqual({ type: "vault:index/mount:Mount", name: "mount-secret", action: "replace", inputs: ["type"] });
  });

  it("marks a changed TTL as an update", () => {
    const changed = structuredClone(plan);
    changed.roles[0]!.tokenTtlSeconds += 60;
    const changes = diffResources(planResources(plan), planResources(changed));
    expect(changes).toEqual([
      { type: "vault:appRole/authBackendRole:AuthBackendRole", name: `role-approle-${plan.roles[0]!.name}`, action: "update", inputs: ["tokenTtl"] },
    ]);
  });
});
