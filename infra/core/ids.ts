/**
 * Validation of the ids that become Vault path segments and policy paths.
 *
 * An id is checked before it reaches a path: a `/` would change the path's depth, `*` and `+` are Vault's glob
 * and segment wildcards, `{` and `}` start identity templates, and `..` or whitespace make paths ambiguous. Such
 * an id is rejected, never escaped, so no id can widen a policy.
 */

export type IdKind = "tenant" | "org" | "bot" | "user" | "provider" | "name";

declare const idBrand: unique symbol;
/** A string that passed {@link validateId}. */
export type Id = string & { readonly [idBrand]: true };

export const MAX_ID_LENGTH = 128;

/** Ids that are path words of the layout or of the app, per kind. */
export const RESERVED_IDS: Readonly<Record<IdKind, readonly string[]>> = {
  tenant: ["data", "metadata", "default"],
  org: ["data", "metadata"],
  // The app reads `gbo/bots/default/email` as the default bot's mailbox.
  bot: ["data", "metadata", "default"],
  user: ["data", "metadata"],
  provider: ["data", "metadata"],
  name: ["data", "metadata"],
};

const ALLOWED = /^[A-Za-z0-9._-]+$/;

/** Returns the reason `value` is not a valid id of `kind`, or undefined when it is valid. */
export function idProblem(kind: IdKind, value: unknown): string | undefined {
  if (typeof value !== "string") {
    return `must be a string, got ${value === null ? "null" : typeof value}`;
  }
  if (value.length === 0) return "must not be empty";
  if (value.length > MAX_ID_LENGTH) return `must be at most ${MAX_ID_LENGTH} characters, got ${value.length}`;
  const named: Array<[string, string]> = [
    ["/", "a slash, which would add a path segment"],
    ["*", "'*', which is a glob in Vault policies"],
    ["+", "'+', which is a segment wildcard in Vault policies"],
    ["{", "'{', which starts an identity template"],
    ["}", "'}', which ends an identity template"],
  ];
  for (const [char, reason] of named) {
    if (value.includes(char)) return `must not contain ${reason}`;
  }
  if (/\s/.test(value)) return "must not contain whitespace";
  if (value.includes("..")) return "must not contain '..'";
  if (value.startsWith(".")) return "must not start with '.'";
  if (!ALLOWED.test(value)) {
    const bad = [...value].find((char) => !/[A-Za-z0-9._-]/.test(char)) ?? "";
    return `must contain only letters, digits, '.', '_' and '-' (as Vault role names do), found ${JSON.stringify(bad)}`;
  }
  if (RESERVED_IDS[kind].includes(value.toLowerCase())) {
    return `"${value}" is reserved for ${kind} ids`;
  }
  return undefined;
}

export class InvalidIdError extends Error {
  constructor(
    readonly kind: IdKind,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`invalid ${kind} id ${JSON.stringify(value)}: ${reason}`);
    this.name = "InvalidIdError";
  }
}

/** Validates `value` as an id of `kind` and returns it branded, or throws {@link InvalidIdError}. */
export function validateId(kind: IdKind, value: unknown): Id {
  const problem = idProblem(kind, value);
  if (problem !== undefined) throw new InvalidIdError(kind, value, problem);
  return value as Id;
}
