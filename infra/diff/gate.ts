/**
 * The destructive-change gate: changes after which data or logins are lost, and the allow file through which a
 * pull request approves them. Replacing the KV mount deletes every secret in it. Replacing an auth mount gives
 * it a new accessor, so the templated policies and entity aliases that name the old accessor stop matching.
 * Removing or moving a managed secret deletes it with all its versions.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import type { Plan } from "../core/plan";
import { canonicalJson } from "./resources";

export const DESTRUCTIVE_KINDS = ["kv-mount", "auth-mount", "secret"] as const;
export type DestructiveKind = (typeof DESTRUCTIVE_KINDS)[number];

export interface DestructiveChange {
  kind: DestructiveKind;
  /** Path at the base revision: the mount path, the auth mount path, or the secret path under the mount. */
  path: string;
  /** Description of the change, in words. */
  description: string;
  /** The allow-file reason that approves this change, when one does. */
  allowedBy?: string;
}

/** Default allow file, relative to the project root. */
export const DEFAULT_ALLOW_FILE = ".gbo-vault/allow-destructive.yaml";

const allowEntrySchema = z.strictObject({
  stack: z.string().min(1),
  kind: z.enum(DESTRUCTIVE_KINDS),
  path: z.string().min(1),
  reason: z.string().trim().min(1, "must say why the change is safe"),
});
// An empty file parses to null; a union would hide each entry's own error behind "Invalid input".
const allowFileSchema = z.preprocess((value) => (value === null ? [] : value), z.array(allowEntrySchema));

export type AllowEntry = z.infer<typeof allowEntrySchema>;

/** Raised for an allow file that cannot be read or fails validation; the CLI exits 2. */
export class AllowFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AllowFileError";
  }
}

/** Reads and validates an allow file: a YAML list of `{ stack, kind, path, reason }`. */
export function loadAllowFile(file: string): AllowEntry[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new AllowFileError(`cannot read allow file ${file}: ${(error as Error).message}`);
  }
  return parseAllowFile(text, file);
}

/** Parses the text of an allow file; `file` names it in errors. */
export function parseAllowFile(text: string, file: string): AllowEntry[] {
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new AllowFileError(`allow file ${file} is not valid YAML: ${document.errors[0]!.message.split("\n")[0]}`);
  }
  const parsed = allowFileSchema.safeParse(document.toJS());
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.length > 0 ? issue.path.join(".") : "(top level)"}: ${issue.message}`);
    throw new AllowFileError(
      `allow file ${file} is invalid; it must be a list of { stack, kind, path, reason } with kind one of ${DESTRUCTIVE_KINDS.join(", ")}:\n${problems.join("\n")}`,
    );
  }
  return parsed.data ?? [];
}

/** Returns the allow file to use: the explicit one, or the default when it exists. */
export function allowFilePath(root: string, explicit: string | undefined): string | undefined {
  if (explicit !== undefined) return explicit;
  const fallback = `${root}/${DEFAULT_ALLOW_FILE}`;
  return existsSync(fallback) ? fallback : undefined;
}

/** Finds the destructive changes from `base` to `head`; a stack absent at base has none. */
export function findDestructive(base: Plan | undefined, head: Plan): DestructiveChange[] {
  if (base === undefined) return [];
  const changes: DestructiveChange[] = [];
  const replacedMounts = new Set<string>();
  for (const mount of base.mounts) {
    const same = head.mounts.find((candidate) => candidate.path === mount.path);
    if (same === undefined) {
      const moved = head.mounts.length === 1 && base.mounts.length === 1 ? head.mounts[0]!.path : undefined;
      const count = base.secrets.filter((secret) => secret.mount === mount.path).length;
      changes.push({
        kind: "kv-mount",
        path: mount.path,
        description: `KV mount ${mount.path} is removed${moved === undefined ? "" : ` and a new mount ${moved} is created`}; its ${count} managed secret(s) are deleted from it with all versions`,
      });
      replacedMounts.add(mount.path);
    } else if (same.type !== mount.type || canonicalJson(same.options) !== canonicalJson(mount.options)) {
      changes.push({
        kind: "kv-mount",
        path: mount.path,
        description: `KV mount ${mount.path} is replaced (type ${mount.type} ${canonicalJson(mount.options)} becomes ${same.type} ${canonicalJson(same.options)}), which deletes every secret in it`,
      });
      replacedMounts.add(mount.path);
    }
  }
  for (const backend of base.authBackends) {
    const same = head.authBackends.find((candidate) => candidate.path === backend.path);
    if (same === undefined) {
      const moved = head.authBackends.find((candidate) => candidate.type === backend.type && !base.authBackends.some((old) => old.path === candidate.path));
      changes.push({
        kind: "auth-mount",
        path: backend.path,
        description: `${backend.type} auth mount ${backend.path} is removed${moved === undefined ? "" : ` and mounted again at ${moved.path}`}; its roles and secret ids are lost and the new accessor breaks templated policies and entity aliases until they are re-created`,
      });
    } else if (same.type !== backend.type) {
      changes.push({
        kind: "auth-mount",
        path: backend.path,
        description: `auth mount ${backend.path} changes type from ${backend.type} to ${same.type}, which replaces it and changes its accessor`,
      });
    }
  }
  const headPaths = new Set(head.secrets.map((secret) => secret.path));
  for (const secret of base.secrets) {
    if (replacedMounts.has(secret.mount) || headPaths.has(secret.path)) continue;
    const moved = head.secrets.find(
      (candidate) => candidate.scope === secret.scope && candidate.catalogPath === secret.catalogPath && !base.secrets.some((old) => old.path === candidate.path),
    );
    changes.push({
      kind: "secret",
      path: secret.path,
      description:
        moved === undefined
          ? `managed secret ${secret.mount}/${secret.path} is removed; Pulumi deletes it with all versions`
          : `managed secret ${secret.mount}/${secret.path} moves to ${moved.path}; Pulumi deletes the old path with all versions`,
    });
  }
  return changes;
}

export interface GateResult {
  destructive: DestructiveChange[];
  /** Destructive changes that no allow entry approves. */
  gated: DestructiveChange[];
  /** Entries for this stack that match no destructive change. */
  unused: AllowEntry[];
  /** Entries that name a stack without a stack file. */
  unknownStack: AllowEntry[];
  /**
   * Entries already in the allow file, with the same reason, at the base revision. They approved an earlier
   * change, so they approve nothing now: each destructive change must be listed in the pull request that makes it.
   */
  alreadyAtBase: AllowEntry[];
}

/** Matches destructive changes against allow entries by stack, kind and path. */
export function applyAllowList(
  stack: string,
  destructive: DestructiveChange[],
  entries: AllowEntry[],
  knownStacks: (name: string) => boolean,
  baseEntries: AllowEntry[] = [],
): GateResult {
  // An entry with a new reason is a new approval, even for a path that an older entry named.
  const same = (a: AllowEntry, b: AllowEntry): boolean =>
    a.stack === b.stack && a.kind === b.kind && a.path === b.path && a.reason === b.reason;
  const alreadyAtBase = entries.filter((entry) => entry.stack === stack && baseEntries.some((old) => same(old, entry)));
  const fresh = entries.filter((entry) => !alreadyAtBase.includes(entry));
  const used = new Set<AllowEntry>();
  const marked = destructive.map((change) => {
    const entry = fresh.find((candidate) => candidate.stack === stack && candidate.kind === change.kind && candidate.path === change.path);
    if (entry === undefined) return change;
    used.add(entry);
    return { ...change, allowedBy: entry.reason };
  });
  return {
    destructive: marked,
    gated: marked.filter((change) => change.allowedBy === undefined),
    unused: fresh.filter((entry) => entry.stack === stack && !used.has(entry)),
    unknownStack: entries.filter((entry) => !knownStacks(entry.stack)),
    alreadyAtBase,
  };
}
