/**
 * A scratch Pulumi project for the real-Vault test: a copy of this repository's program with one temporary
 * stack whose Vault address is the dev server, on a file backend in a temporary folder.
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { PassphraseCrypter } from "../../infra/core/passphrase";
import { PROJECT_ROOT } from "../../infra/core/project";
import { runChecked, runCommand } from "./processes";

/** The dev stack's passphrase; its secure values are placeholders. */
export const DEV_PASSPHRASE = "gbo-vault-dev-only";

const PULUMI_TIMEOUT_MS = 300_000;

export interface ScratchProject {
  root: string;
  stack: string;
  env: NodeJS.ProcessEnv;
  pulumi(args: string[], timeoutMs?: number): ReturnType<typeof runChecked>;
  remove(): Promise<void>;
}

/**
 * Builds the stack file from the dev stack. The Vault address and OIDC issuer point at the local servers,
 * and protect is off so destroy can remove everything. The OIDC client secret is set because Vault needs one
 * beside a client id.
 */
function stackText(vaultAddress: string, issuerUrl: string): string {
  const document = parseDocument(readFileSync(path.join(PROJECT_ROOT, "stacks", "Pulumi.dev.yaml"), "utf8"));
  const crypter = PassphraseCrypter.fromEncryptionSalt(DEV_PASSPHRASE, document.get("encryptionsalt") as string);
  document.setIn(["config", "gbo-vault:vaultAddress"], vaultAddress);
  document.setIn(["config", "gbo-vault:protect"], false);
  document.setIn(["config", "gbo-vault:auth", "oidc", "issuerUrl"], issuerUrl);
  document.setIn(["config", "gbo-vault:oidcClientSecret"], { secure: crypter.encrypt("e2e-oidc-client-secret") });
  return document.toString({ lineWidth: 0 });
}

export function createProject(vaultAddress: string, rootToken: string, issuerUrl: string): ScratchProject {
  const root = mkdtempSync(path.join(tmpdir(), "gbo-vault-e2e-project-"));
  const state = path.join(root, ".state");
  mkdirSync(state);
  for (const name of ["Pulumi.yaml", "package.json", "tsconfig.json"]) cpSync(path.join(PROJECT_ROOT, name), path.join(root, name));
  for (const name of ["infra", "config"]) cpSync(path.join(PROJECT_ROOT, name), path.join(root, name), { recursive: true });
  symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");

  const stack = `e2e-${randomBytes(4).toString("hex")}`;
  mkdirSync(path.join(root, "stacks"));
  // NOTE: written before `pulumi stack init`, so the CLI keeps this file's encryptionsalt and can decrypt
  // the dev stack's secure values with the dev passphrase.
  writeFileSync(path.join(root, "stacks", `Pulumi.${stack}.yaml`), stackText(vaultAddress, issuerUrl));

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PULUMI_HOME: process.env.PULUMI_HOME,
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: DEV_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    VAULT_ADDR: vaultAddress,
    VAULT_TOKEN: rootToken,
  };
  const pulumi = (args: string[], timeoutMs = PULUMI_TIMEOUT_MS) =>
    runChecked("pulumi", [...args, "--non-interactive"], { cwd: root, env, timeoutMs });

  return {
    root,
    stack,
    env,
    pulumi,
    remove: async () => {
      // Best effort: the stack may never have been created, and the folder goes either way.
      await runCommand("pulumi", ["destroy", "--yes", "--skip-preview", "--stack", stack, "--non-interactive"], { cwd: root, env, timeoutMs: PULUMI_TIMEOUT_MS }).catch(() => undefined);
      await runCommand("pulumi", ["stack", "rm", "--yes", "--force", stack, "--non-interactive"], { cwd: root, env, timeoutMs: 60_000 }).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
