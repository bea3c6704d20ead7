/**
 * Vault's built-in policies and its root-protected (sudo-only) paths.
 */
import { type Policy, parsePolicy } from "./policy";

/**
 * Stanzas of the `default` policy as Vault 1.15 ships it (`vault policy read default`, comments left
 * out). Vault writes it only when a cluster has none, so a long-lived cluster may carry older or
 * edited text. Load the cluster's real text where that matters.
 */
export const DEFAULT_POLICY_TEXT = `path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
path "sys/capabilities-self" {
  capabilities = ["update"]
}
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}
path "sys/internal/ui/resultant-acl" {
  capabilities = ["read"]
}
path "sys/renew" {
  capabilities = ["update"]
}
path "sys/leases/renew" {
  capabilities = ["update"]
}
path "sys/leases/lookup" {
  capabilities = ["update"]
}
path "cubbyhole/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "sys/wrapping/wrap" {
  capabilities = ["update"]
}
path "sys/wrapping/lookup" {
  capabilities = ["update"]
}
path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}
path "sys/tools/hash" {
  capabilities = ["update"]
}
path "sys/tools/hash/*" {
  capabilities = ["update"]
}
path "sys/control-group/request" {
  capabilities = ["update"]
}
path "identity/oidc/provider/+/authorize" {
  capabilities = ["read", "update"]
}
`;

/** Parses the built-in `default` policy. Its two identity stanzas render only for tokens with an entity. */
export function defaultPolicy(): Policy {
  return parsePolicy(DEFAULT_POLICY_TEXT, "default", "<built-in default policy>");
}

/**
 * Returns the built-in `root` policy, which has no stanzas. `compileAcl` recognises it by name, allows
 * every request with root privileges, and rejects it in combination with any other policy.
 */
export function rootPolicy(): Policy {
  return { name: "root", rules: [], templated: false, warnings: [] };
}

/**
 * Paths that need `sudo` on the selected rule in addition to the operation's capability, as declared
 * by the `sys/` backend and the token store in current Vault. A trailing `*` marks a prefix.
 */
export const ROOT_PROTECTED_PATHS: readonly string[] = [
  "sys/auth/*",
  "sys/remount",
  "sys/audit",
  "sys/audit/*",
  "sys/raw",
  "sys/raw/*",
  "sys/rotate",
  "sys/seal",
  "sys/step-down",
  "sys/leases",
  "sys/replication/primary/secondary-token",
  "sys/replication/performance/primary/secondary-token",
  "sys/replication/dr/primary/secondary-token",
  "sys/replication/reindex",
  "sys/replication/dr/reindex",
  "sys/replication/performance/reindex",
  "sys/config/cors",
  "sys/config/auditing/*",
  "sys/config/ui/headers/*",
  "sys/plugins/catalog/*",
  "sys/plugins/runtimes/catalog/*",
  "sys/revoke-prefix/*",
  "sys/revoke-force/*",
  "sys/leases/revoke-prefix/*",
  "sys/leases/revoke-force/*",
  "sys/leases/lookup/*",
  "sys/storage/raft/snapshot-auto/config/*",
  "sys/internal/inspect/*",
  "auth/token/revoke-orphan/*",
  "auth/token/accessors*",
];

const rootExact = new Set(ROOT_PROTECTED_PATHS.filter((path) => !path.endsWith("*")));
const rootPrefixes = ROOT_PROTECTED_PATHS.filter((path) => path.endsWith("*")).map((path) => path.slice(0, -1));

/** Reports whether a request path is root-protected and so needs `sudo` as well. */
export function isRootProtectedPath(path: string): boolean {
  if (rootExact.has(path)) return true;
  for (const prefix of rootPrefixes) if (path.startsWith(prefix)) return true;
  return false;
}
