/** Helpers of the diff tests: a scratch git repository with the project files, stack edits and CLI runs. */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { PassphraseCrypter } from "../../infra/core/passphrase";
import { PROJECT_ROOT } from "../../infra/core/project";
import { run, type RunResult } from "../cli-run";

export const DEV_PASSPHRASE = "gbo-vault-dev-only";

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "diff test",
  GIT_AUTHOR_EMAIL: "diff-test@example.test",
  GIT_COMMITTER_NAME: "diff test",
  GIT_COMMITTER_EMAIL: "diff-test@example.test",
  GIT_CONFIG_NOSYSTEM: "1",
};

/** A temporary git repository holding a copy of the project files, committed once on `main`. */
export interface ScratchRepo {
  root: string;
  git(...args: string[]): string;
  stackPath(stack: string): string;
  readStack(stack: string): string;
  writeStack(stack: string, text: string): void;
  /** Edits a stack file through a YAML document, which keeps its comments. */
  editStack(stack: string, edit: (document: ReturnType<typeof parseDocument>) => void): void;
  commit(message: string): void;
  cleanup(): void;
}

/**
 * Creates a scratch git repository with the project files. With `withCode`, the program's `infra/` is
 * committed too (edited first by `editCode`), and `node_modules` is linked but not committed.
 */
export function makeRepo(options: { withCode?: boolean; editCode?: (root: string) => void } = {}): ScratchRepo {
  const root = mkdtempSync(path.join(tmpdir(), "gbo-vault-diff-test-"));
  for (const name of ["Pulumi.yaml", "package.json"]) cpSync(path.join(PROJECT_ROOT, name), path.join(root, name));
  for (const name of ["config", "stacks"]) cpSync(path.join(PROJECT_ROOT, name), path.join(root, name), { recursive: true });
  if (options.withCode) {
    cpSync(path.join(PROJECT_ROOT, "infra"), path.join(root, "infra"), { recursive: true });
    symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(root, "node_modules"), "dir");
    writeFileSync(path.join(root, ".gitignore"), "node_modules\n");
    options.editCode?.(root);
  }
  const git = (...args: string[]): string => execFileSync("git", args, { cwd: root, encoding: "utf8", env: GIT_ENV, stdio: ["ignore", "pipe", "pipe"] });
  git("init", "--quiet", "--initial-branch=main");
  git("add", "--all");
  git("commit", "--quiet", "--message", "Base revision");
  const stackPath = (stack: string): string => path.join(root, "stacks", `Pulumi.${stack}.yaml`);
  const repo: ScratchRepo = {
    root,
    git,
    stackPath,
    readStack: (stack) => readFileSync(stackPath(stack), "utf8"),
    writeStack: (stack, text) => writeFileSync(stackPath(stack), text),
    editStack: (stack, edit) => {
      const document = parseDocument(repo.readStack(stack));
      edit(document);
      repo.writeStack(stack, document.toString({ flowCollectionPadding: false, lineWidth: 0 }));
    },
    commit: (message) => {
      git("add", "--all");
      git("commit", "--quiet", "--message", message);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  return repo;
}

/** Writes an allow file under the repository and returns its path. */
export function writeAllowFile(repo: ScratchRepo, text: string, name = ".gbo-vault/allow-destructive.yaml"): string {
  const file = path.join(repo.root, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

export { run, type RunResult } from "../cli-run";

/** Runs `diff <stack> --base <ref> --root <repo>` in-process. */
export function diff(repo: ScratchRepo, stack: string, base: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(["diff", stack, "--base", base, "--root", repo.root, ...extra], repo.root, env);
}

/** Returns the crypter of a stack file's own encryptionsalt, under the dev passphrase. */
export function crypterOf(stackText: string): PassphraseCrypter {
  const salt = parseDocument(stackText).get("encryptionsalt") as string;
  return PassphraseCrypter.fromEncryptionSalt(DEV_PASSPHRASE, salt);
}

/** Reads the `secure:` ciphertext at a config path of a stack text. */
export function secureAt(stackText: string, configPath: string[]): string {
  const node = parseDocument(stackText).getIn(["config", ...configPath], true) as { get(key: string): unknown } | undefined;
  const value = node?.get("secure");
  if (typeof value !== "string") throw new Error(`no secure value at ${configPath.join(".")}`);
  return value;
}
