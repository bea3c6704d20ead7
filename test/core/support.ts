/** Shared helpers of the core tests: the shipped dev stack, its decrypted secret values and error capture. */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PassphraseCrypter } from "../../infra/core/passphrase";
import { PROJECT_ROOT } from "../../infra/core/project";

/** The passphrase of the dev stack, whose secure values are placeholders. */
export const DEV_PASSPHRASE = "gbo-vault-dev-only";

export function stackFile(stack: string): string {
  return path.join(PROJECT_ROOT, "stacks", `Pulumi.${stack}.yaml`);
}

export function stackText(stack: string): string {
  return readFileSync(stackFile(stack), "utf8");
}

function secureLeaves(node: unknown, found: string[] = []): string[] {
  if (typeof node !== "object" || node === null) return found;
  const record = node as Record<string, unknown>;
  if (Object.keys(record).length === 1 && typeof record.secure === "string") {
    found.push(record.secure);
    return found;
  }
  for (const value of Object.values(record)) secureLeaves(value, found);
  return found;
}

let devSecretsCache: string[] | undefined;

/**
 * Decrypts every `secure:` leaf of the dev stack with the dev passphrase. The key derivation runs 1,000,000
 * PBKDF2 iterations, so the result is computed once per test file.
 */
export function devSecretValues(): string[] {
  if (devSecretsCache !== undefined) return devSecretsCache;
  const document = parse(stackText("dev")) as { encryptionsalt: string; config: unknown };
  const crypter = PassphraseCrypter.fromEncryptionSalt(DEV_PASSPHRASE, document.encryptionsalt);
  devSecretsCache = secureLeaves(document.config).map((ciphertext) => crypter.decrypt(ciphertext));
  return devSecretsCache;
}

/** Returns the decrypted dev values that occur in `text`. An empty list means that no value leaked. */
export function leakedDevSecrets(text: string): string[] {
  return devSecretValues().filter((value) => text.includes(value));
}

/** Runs `action` and returns what it threw; fails when it does not throw. */
export function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the action to throw, but it returned");
}
