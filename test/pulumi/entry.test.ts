import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { cliConfigFor } from "./harness";

/**
 * Runs the real entry point, infra/index.ts, as the Pulumi CLI would in `pulumi preview`: computed outputs such
 * as auth mount accessors stay unknown, so the policies that need them must not fail.
 */
describe("entry point in preview", () => {
  it("declares the dev stack with unknown accessors", async () => {
    const types: string[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          types.push(args.type);
          // In preview the mock returns no accessor, as the engine leaves computed outputs unknown.
          return { id: `${args.name}-id`, state: { ...args.inputs } };
        },
        call(args) {
          throw new Error(`unexpected invoke ${args.token}`);
        },
      },
      "gbo-vault",
      "dev",
      true,
    );
    const { config, secretKeys } = cliConfigFor("dev");
    pulumi.runtime.setAllConfig(config, secretKeys);
    const program = require("../../infra/index.ts") as () => Promise<Record<string, unknown>>;
    const outputs = await pulumi.runtime.runInPulumiStack(program);
    expect(outputs?.tenant).toBe("dev");
    expect(outputs?.policies).toContain("gbo-dev-bot");
    // Resources register asynchronously; wait until the mount and a policy have reached the mock.
    for (let attempt = 0; attempt < 50 && !types.includes("vault:index/policy:Policy"); attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(types).toContain("vault:index/mount:Mount");
    expect(types).toContain("vault:index/policy:Policy");
  });
});
