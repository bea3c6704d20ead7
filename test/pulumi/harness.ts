/**
 * Runs the Pulumi program for one shipped stack under `pulumi.runtime.setMocks`, feeding the stack config the
 * way the Pulumi CLI would: `Pulumi.yaml` defaults merged with the stack file, secure values decrypted with the
 * dev-only passphrase, every value a string.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { PassphraseCrypter } from "../../infra/core/passphrase";
import { loadProject, PROJECT_ROOT, stackFilePath } from "../../infra/core/project";
import { isSecureLeaf } from "../../infra/core/settings";
import { YamlSource } from "../../infra/core/yamlfile";
import { declareStack } from "../../infra/pulumi/program";
import { loadStack } from "../../infra/core/load";
import { configValueSource } from "../../infra/pulumi/program";
import type { Plan } from "../../infra/core/plan";

export const DEV_PASSPHRASE = "gbo-vault-dev-only";

export const SECRET_SIGIL = "4dabf18193072939515e22adb298388d";

export interface RegisteredResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider: string;
  id: string;
}

export interface CapturedOptions {
  type: string;
  name: string;
  protect?: boolean;
  retainOnDelete?: boolean;
  hasProvider: boolean;
}

export interface MockRun {
  plan: Plan;
  resources: RegisteredResource[];
  options: CapturedOptions[];
  outputs: Record<string, unknown>;
  /** Every decrypted secure value of the stack file, to search outputs for leaks. */
  secretValues: string[];
}

/** Decrypts every secure leaf and returns the config map the CLI would hand to the program. */
export function cliConfigFor(stack: string, passphrase = DEV_PASSPHRASE): {
  config: Record<string, string>;
  secretKeys: string[];
  secretValues: string[];
} {
  const project = loadProject(PROJECT_ROOT);
  const source = YamlSource.read(stackFilePath(project, stack));
  const document = source.toJS() as { encryptionsalt?: string; config?: Record<string, unknown> };
  const crypter =
    document.encryptionsalt === undefined ? undefined : PassphraseCrypter.fromEncryptionSalt(passphrase, document.encryptionsalt);
  const secretValues: string[] = [];
  const secretKeys = new Set<string>();
  const decrypt = (value: unknown, topKey: string): unknown => {
    if (isSecureLeaf(value)) {
      if (crypter === undefined) throw new Error(`stack ${stack} has a secure value but no encryptionsalt`);
      secretKeys.add(topKey);
      const plain = crypter.decrypt(value.secure);
      secretValues.push(plain);
      return plain;
    }
    if (Array.isArray(value)) return value.map((inner) => decrypt(inner, topKey));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, decrypt(inner, topKey)]));
    }
    return value;
  };
  const merged: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(project.config)) {
    if (entry.default !== undefined) merged[key.includes(":") ? key : `${project.name}:${key}`] = entry.default;
    if (entry.value !== undefined) merged[key] = entry.value;
  }
  for (const [key, value] of Object.entries(document.config ?? {})) {
    const fullKey = key.includes(":") ? key : `${project.name}:${key}`;
    merged[fullKey] = decrypt(value, fullKey);
  }
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(merged)) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { config, secretKeys: [...secretKeys], secretValues };
}

function unwrap<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

async function resolveDeep(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) return resolveDeep(await unwrap(value as pulumi.Output<unknown>));
  if (Array.isArray(value)) return Promise.all(value.map(resolveDeep));
  if (typeof value === "object" && value !== null) {
    const entries = await Promise.all(Object.entries(value).map(async ([key, inner]) => [key, await resolveDeep(inner)]));
    return Object.fromEntries(entries);
  }
  return value;
}

/** Runs the program for `stack` under mocks and returns what was registered. */
export async function runStack(stack: string, planOverride?: Plan): Promise<MockRun> {
  const resources: RegisteredResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const id = `${args.name}-id`;
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "vault:index/authBackend:AuthBackend" || args.type === "vault:jwt/authBackend:AuthBackend") {
          state.accessor = `auth_${String(args.inputs.path)}_0001`;
          state.path = args.inputs.path;
        }
        if (args.type === "vault:index/mount:Mount") state.accessor = `${String(args.inputs.type)}_0001`;
        if (args.type === "vault:kv/secretV2:SecretV2") state.path = `${String(args.inputs.mount)}/data/${String(args.inputs.name)}`;
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider ?? "", id });
        return { id, state };
      },
      call(args) {
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    "gbo-vault",
    stack,
    false,
  );
  const { config, secretKeys, secretValues } = cliConfigFor(stack);
  pulumi.runtime.setAllConfig(config, secretKeys);

  const options: CapturedOptions[] = [];
  const plan = planOverride ?? loadStack(stack).plan;
  let declared: ReturnType<typeof declareStack> | undefined;
  // A stack transformation needs the root stack resource, which runInPulumiStack creates as the CLI would.
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      options.push({
        type: args.type,
        name: args.name,
        protect: args.opts.protect,
        retainOnDelete: args.opts.retainOnDelete,
        hasProvider: args.opts.provider !== undefined,
      });
      return undefined;
    });
    declared = declareStack(plan, configValueSource(new pulumi.Config("gbo-vault")));
    return declared.outputs;
  });
  await Promise.all(declared!.resources.map((resource) => unwrap(resource.urn)));
  await Promise.all(declared!.resources.map((resource) => unwrap(resource.id)));
  const outputs = (await resolveDeep(declared!.outputs)) as Record<string, unknown>;
  return { plan, resources: resources.filter((resource) => resource.type !== "pulumi:pulumi:Stack"), options, outputs, secretValues };
}

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
