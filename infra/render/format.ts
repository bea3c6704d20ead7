/** Text and Markdown forms of the layout view. Neither form ever contains a secret value. */
import type { LayoutSecret, LayoutView } from "./layout";

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text.padEnd(width);
}

function seconds(value: number): string {
  return value === 0 ? "never" : `${value}s`;
}

function statusWord(status: string): string {
  return status === "secure" ? "set (secure)" : status === "plain" ? "set (plain)" : "missing";
}

function mountLines(view: LayoutView): string[] {
  return view.mounts.map(
    (mount) =>
      `  ${mount.path}/  kv v${mount.options.version}  max versions ${mount.config.maxVersions}, ` +
      `cas required ${mount.config.casRequired}, delete versions after ${seconds(mount.config.deleteVersionAfterSeconds)}`,
  );
}

function secretLines(secret: LayoutSecret): string[] {
  const lines = [`  ${secret.mount}/${secret.path}  [${secret.state}]`];
  const width = Math.max(...secret.keys.map((key) => key.name.length)) + 2;
  for (const key of secret.keys) {
    const kind = key.secret ? "secret" : "plain ";
    lines.push(`    ${pad(key.name, width)}${kind}  ${pad(statusWord(key.status), 13)} <- ${key.configKey}`);
    if (key.fix !== undefined) lines.push(`    ${" ".repeat(width)}        fix: ${key.fix}`);
  }
  return lines;
}

/** Renders the layout as plain text for a terminal. */
export function formatText(view: LayoutView): string {
  const out: string[] = [];
  out.push(`Stack ${view.stack}: tenant ${view.tenant.id} "${view.tenant.name}" (${view.tenant.domain})`);
  out.push(
    `Vault ${view.vault.address}${view.vault.namespace ? ` namespace ${view.vault.namespace}` : ""}; ` +
      `protect ${view.protect ? "on" : "off"}, retainOnDelete on`,
  );
  out.push("", "Mounts", ...mountLines(view));

  const seeded = view.secrets.filter((secret) => secret.state === "seeded");
  const unset = view.secrets.filter((secret) => secret.state === "not set");
  out.push("", `Seeded secrets (${seeded.length}; values never shown)`);
  for (const secret of seeded) out.push(...secretLines(secret));
  if (unset.length > 0) {
    out.push("", `Catalog secrets this stack does not set (${unset.length})`);
    for (const secret of unset) out.push(...secretLines(secret));
  }

  out.push("", "Runtime secrets (written by the app, org admins and users; never by this program)");
  for (const secret of view.runtimeSecrets) {
    out.push(`  ${secret.pathPattern}  keys: ${secret.keys.map((key) => key.name).join(", ")}`);
    const seeded = secret.fallback === undefined ? "" : secret.fallbackSeeded ? " (seeded by this stack)" : " (not set in this stack)";
    out.push(`    falls back to: ${secret.fallback ?? "nothing (no fallback)"}${seeded}`);
  }

  out.push("", "Auth backends");
  for (const backend of view.authBackends) {
    const settings = Object.entries(backend.settings).map(([key, value]) => `${key} ${value}`);
    out.push(`  auth/${backend.path}/  ${backend.type}${settings.length > 0 ? `  ${settings.join(", ")}` : ""}`);
  }

  out.push("", "Roles");
  for (const role of view.roles) {
    out.push(`  auth/${role.backend}/role/${role.name}  ${role.type}  ${role.principal}  policies: ${role.policies.join(", ")}`);
    if (role.type === "oidc") {
      for (const [key, value] of Object.entries(role.settings)) out.push(`    ${key}: ${value}`);
    }
  }

  out.push("", "Identity");
  for (const entity of view.identity.entities) {
    const metadata = Object.entries(entity.metadata).map(([key, value]) => `${key}=${value}`).join(" ");
    out.push(`  entity ${entity.name}  metadata ${metadata}  alias auth/${entity.alias.backend} ${entity.alias.name}`);
  }
  for (const group of view.identity.groups) {
    out.push(
      `  group ${group.name} (${group.type})  policies: ${group.policies.join(", ")}  alias auth/${group.alias.backend} ${group.alias.name}`,
    );
  }

  out.push("", "Policies");
  for (const policy of view.policies) {
    out.push(`  ${policy.name} (${policy.principal})`);
    out.push(...policy.hcl.trimEnd().split("\n").map((line) => (line === "" ? "" : `    ${line}`)));
    out.push("");
  }
  out.push(
    `Summary: ${view.summary.seededSecrets} seeded secrets, ${view.summary.missingKeys} keys missing, ` +
      `${view.summary.policies} policies, ${view.summary.roles} roles`,
  );
  return `${out.join("\n")}\n`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** Renders the layout as GitHub Markdown for a pull-request comment. */
export function formatMarkdown(view: LayoutView): string {
  const out: string[] = [];
  out.push(`### Vault layout of stack \`${view.stack}\``, "");
  out.push(
    `Tenant \`${view.tenant.id}\` (${cell(view.tenant.name)}, ${view.tenant.domain}) on ${view.vault.address}` +
      `${view.vault.namespace ? `, namespace \`${view.vault.namespace}\`` : ""}. ` +
      `Protect ${view.protect ? "on" : "off"}, retainOnDelete on.`,
    "",
  );
  out.push("#### Mounts", "", "| path | type | settings |", "| --- | --- | --- |");
  for (const mount of view.mounts) {
    out.push(
      `| \`${mount.path}/\` | kv v${mount.options.version} | max versions ${mount.config.maxVersions}, cas required ${mount.config.casRequired}, delete after ${seconds(mount.config.deleteVersionAfterSeconds)} |`,
    );
  }
  out.push("", "#### Secrets", "", "Values are never shown.", "", "| path | state | key | kind | status | config key |", "| --- | --- | --- | --- | --- | --- |");
  for (const secret of view.secrets) {
    for (const key of secret.keys) {
      out.push(
        `| \`${secret.mount}/${secret.path}\` | ${secret.state} | \`${key.name}\` | ${key.secret ? "secret" : "plain"} | ${statusWord(key.status)} | \`${key.configKey}\` |`,
      );
    }
  }
  out.push("", "#### Runtime secrets and fallbacks", "", "| path | keys | falls back to |", "| --- | --- | --- |");
  for (const secret of view.runtimeSecrets) {
    out.push(
      `| \`${secret.pathPattern}\` | ${secret.keys.map((key) => `\`${key.name}\``).join(", ")} | ${secret.fallback ? `\`${secret.fallback}\`${secret.fallbackSeeded ? " (seeded)" : " (not set)"}` : "none"} |`,
    );
  }
  out.push("", "#### Auth backends and roles", "", "| backend | type | role | principal | policies |", "| --- | --- | --- | --- | --- |");
  for (const role of view.roles) {
    const backend = view.authBackends.find((candidate) => candidate.path === role.backend);
    out.push(
      `| \`auth/${role.backend}\` | ${backend?.type ?? role.type} | \`${role.name}\` | ${cell(role.principal)} | ${role.policies.map((name) => `\`${name}\``).join(", ")} |`,
    );
  }
  out.push("", "#### Identity", "");
  for (const entity of view.identity.entities) {
    const metadata = Object.entries(entity.metadata).map(([key, value]) => `${key}=${value}`).join(", ");
    out.push(`- entity \`${entity.name}\` (${metadata}), alias on \`auth/${entity.alias.backend}\``);
  }
  for (const group of view.identity.groups) {
    out.push(`- external group \`${group.name}\` → ${group.policies.map((name) => `\`${name}\``).join(", ")}, alias \`${group.alias.name}\` on \`auth/${group.alias.backend}\``);
  }
  out.push("", "#### Policies", "");
  for (const policy of view.policies) {
    out.push(`<details><summary><code>${policy.name}</code> (${policy.principal})</summary>`, "", "```hcl", policy.hcl.trimEnd(), "```", "", "</details>", "");
  }
  out.push(
    `${view.summary.seededSecrets} seeded secrets, ${view.summary.missingKeys} keys missing, ${view.summary.policies} policies, ${view.summary.roles} roles.`,
  );
  return `${out.join("\n")}\n`;
}
