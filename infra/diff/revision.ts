/**
 * Reads a stack's project files and the program's own code (`infra/`) as they were at a git revision, without
 * touching the working tree or the index: every file comes from `git show <commit>:<path>` and is written to a
 * fresh temporary folder, so the base is built by the code it had.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

/** Raised when git cannot resolve the revision or read the repository; the CLI exits 2. */
export class RevisionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RevisionError";
  }
}

/** The project files of one revision, copied to `root`. `remove` deletes the copy. */
export interface RevisionCheckout {
  /** The full commit id that `ref` resolved to. */
  commit: string;
  /** Temporary project root, or undefined when the revision has no `Pulumi.yaml` at this place. */
  root?: string;
  /** Text of `<stackConfigDir>/Pulumi.<stack>.yaml` at the revision, or undefined when the stack did not exist. */
  stackText?: string;
  /** True when the revision's `infra/` code was copied next to its files. */
  hasCode: boolean;
  remove(): void;
}

const GIT_MAX_BUFFER = 64 * 1024 * 1024;

function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    maxBuffer: GIT_MAX_BUFFER,
    stdio: ["ignore", "pipe", "pipe"],
    // Read-only commands must not refresh or lock the index that the people working in this checkout use.
    env: { ...process.env, GIT_OPTIONAL_LOCKS: "0" },
  });
}

function gitError(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === "string" && stderr.trim() !== "" ? stderr.trim() : (error as Error).message;
  return text.split("\n")[0]!;
}

/** Returns the file's text at `commit`, or undefined when the path does not exist there. */
function showFile(cwd: string, commit: string, repoPath: string): string | undefined {
  const listed = git(cwd, ["ls-tree", "--name-only", commit, "--", repoPath]).trim();
  if (listed === "") return undefined;
  return git(cwd, ["show", `${commit}:${repoPath}`]);
}

/**
 * Copies `Pulumi.yaml`, `config/*.yaml` and the stack file of `stack` at `ref` into a temporary folder. `root`
 * is the project folder in the working tree; it may sit below the repository's top level.
 */
export function checkoutRevision(root: string, ref: string, stack: string): RevisionCheckout {
  if (ref === "" || ref.startsWith("-")) throw new RevisionError(`invalid git revision "${ref}"`);
  let prefix: string;
  let top: string;
  try {
    prefix = git(root, ["rev-parse", "--show-prefix"]).trim();
    top = git(root, ["rev-parse", "--show-toplevel"]).trim();
  } catch (error) {
    throw new RevisionError(`${root} is not inside a git repository: ${gitError(error)}`);
  }
  // Every later command runs at the top level, where ls-tree and show both take paths from the repository root.
  let commit: string;
  try {
    commit = git(top, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]).trim();
  } catch {
    throw new RevisionError(`git revision "${ref}" not found; fetch it first (for example git fetch origin main) or pass a commit id`);
  }

  const projectText = showFile(top, commit, `${prefix}Pulumi.yaml`);
  if (projectText === undefined) return { commit, hasCode: false, remove: () => undefined };

  const tempRoot = mkdtempSync(path.join(tmpdir(), "gbo-vault-diff-"));
  const remove = (): void => rmSync(tempRoot, { recursive: true, force: true });
  try {
    writeFileSync(path.join(tempRoot, "Pulumi.yaml"), projectText);
    mkdirSync(path.join(tempRoot, "config"));
    const configFiles = git(top, ["ls-tree", "--name-only", commit, "--", `${prefix}config/`])
      .split("\n")
      .filter((name) => name.endsWith(".yaml") || name.endsWith(".yml"));
    for (const repoPath of configFiles) {
      writeFileSync(path.join(tempRoot, "config", path.posix.basename(repoPath)), git(top, ["show", `${commit}:${repoPath}`]));
    }
    const project = (parse(projectText) ?? {}) as { stackConfigDir?: unknown };
    const stackDir = typeof project.stackConfigDir === "string" ? project.stackConfigDir : ".";
    const stackPath = path.posix.normalize(path.posix.join(prefix === "" ? "." : prefix, stackDir, `Pulumi.${stack}.yaml`));
    if (stackPath.startsWith("../")) throw new RevisionError(`stackConfigDir "${stackDir}" at ${ref} leaves the repository`);
    const codeFiles = git(top, ["ls-tree", "-r", "--name-only", commit, "--", `${prefix}infra/`])
      .split("\n")
      .filter((name) => name !== "");
    for (const repoPath of codeFiles) {
      const target = path.join(tempRoot, repoPath.slice(prefix.length));
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, git(top, ["show", `${commit}:${repoPath}`]));
    }
    // The revision's code resolves its packages from the working tree's install.
    const modules = path.join(root, "node_modules");
    if (existsSync(modules)) symlinkSync(modules, path.join(tempRoot, "node_modules"), "dir");
    const stackText = showFile(top, commit, stackPath);
    if (stackText !== undefined) {
      const target = path.join(tempRoot, stackDir, `Pulumi.${stack}.yaml`);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, stackText);
    }
    return { commit, root: tempRoot, stackText, hasCode: codeFiles.length > 0, remove };
  } catch (error) {
    remove();
    if (error instanceof RevisionError) throw error;
    throw new RevisionError(`failed to read the project files at ${ref}: ${gitError(error)}`);
  }
}

/** Returns the text of `file` (a path in the working tree) at `commit`, or undefined when it did not exist. */
export function readFileAtRevision(root: string, commit: string, file: string): string | undefined {
  const top = git(root, ["rev-parse", "--show-toplevel"]).trim();
  const relative = path.relative(top, path.resolve(root, file)).split(path.sep).join("/");
  if (relative.startsWith("../")) return undefined;
  return showFile(top, commit, relative);
}
