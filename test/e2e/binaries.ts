/** Finds the external programs that the real-Vault test needs, without running them. */
import { accessSync, constants } from "node:fs";
import * as path from "node:path";

/** Returns the full path of an executable named `name` on PATH, or undefined. */
export function findOnPath(name: string, searchPath: string = process.env.PATH ?? ""): string | undefined {
  for (const folder of searchPath.split(path.delimiter)) {
    if (folder === "") continue;
    const candidate = path.join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder, or not executable.
    }
  }
  return undefined;
}

export interface E2eBinaries {
  vault?: string;
  pulumi?: string;
  /** Names of the binaries that are not on PATH. */
  missing: string[];
}

export function e2eBinaries(): E2eBinaries {
  const vault = findOnPath("vault");
  const pulumi = findOnPath("pulumi");
  const missing = [vault === undefined ? "vault" : undefined, pulumi === undefined ? "pulumi" : undefined].filter((name): name is string => name !== undefined);
  return { vault, pulumi, missing };
}
