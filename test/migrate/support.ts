/** Helpers of the migration tests: a scratch copy of the project, an in-process CLI run and stack reading. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { PassphraseCrypter } from "../../infra/core/passphrase";
import { PROJECT_ROOT } from "../../infra/core/project";

export const DEV_PASSPHRASE = "gbo-vault-dev-only";

/** A temporary copy of `Pulumi.yaml`, `config/` and `stacks/`; `cleanup` removes it. */
export interface Scratch {
  root: string;
  stackPath(stack: string): string;
  stackText(stack: string): string;
  writeEnv(name: string, content: string | Buffer): string;
  cleanup(): void;
}

export function makeScratch(): Scratch {
  const root = mkdtempSync(path.join(tmpdir(), "gbo-migrate-"));
  cpSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(root, "Pulumi.yaml"));
  cpSync(path.join(PROJECT_ROOT, "config"), path.join(root, "config"), { recursive: true });
  cpSync(path.join(PROJECT_ROOT, "stacks"), path.join(root, "stacks"), { recursive: true });
  const stackPath = (stack: string) => path.join(root, "stacks", `Pulumi.${stack}.yaml`);
  return {
    root,
    stackPath,
    stackText: (stack) => readFileSync(stackPath(stack), "utf8"),
    writeEnv: (name, content) => {
      const file = path.join(root, name);
      writeFileSync(file, content);
      return file;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export { run, type RunResult } from "../cli-run";

/** Reads the value at a config path of a stack text, decrypting a `secure:` leaf with `passphrase`. */
export function configValue(text: string, configKey: string, inner: string[], passphrase = DEV_PASSPHRASE): unknown {
  const document = parse(text) as { encryptionsalt?: string; config: Record<string, unknown> };
  let node: unknown = document.config[`gbo-vault:${configKey}`];
  for (const part of inner) node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof node === "object" && node !== null && "secure" in node) {
    const crypter = PassphraseCrypter.fromEncryptionSalt(passphrase, document.encryptionsalt!);
    return { decrypted: crypter.decrypt((node as { secure: string }).secure) };
  }
  return node;
}

/** Returns the input values that appear in `output`; values shorter than 6 characters are skipped. */
export function leakedValues(output: string, values: Iterable<string>): string[] {
  return [...values].filter((value) => value.length >= 6 && output.includes(value));
}
