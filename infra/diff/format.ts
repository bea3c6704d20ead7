/**
 * Text and Markdown forms of a diff report. Both are built from the same sections; the Markdown form is for a
 * pull-request comment and is cut to fit GitHub's comment limit, at whole lines and never inside a code fence.
 */
import { describeAccessChange, describeCrossScope } from "./access";
import type { DiffReport } from "./diff";
import type { RuleChange } from "./policies";
import type { ValueChange } from "./values";

/** GitHub rejects an issue or pull-request comment body longer than 65,536 characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** HTML comment that marks the comment of one stack, so a workflow can find and edit it in place. */
export function commentMarker(stack: string): string {
  return `<!-- gbo-vault-diff:${stack} -->`;
}

type Block = { kind: "line"; text: string } | { kind: "code"; language: string; lines: string[] };

interface Section {
  title: string;
  blocks: Block[];
}

type Code = (text: string) => string;

const plainCode: Code = (text) => text;
const markdownCode: Code = (text) => (text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``);

function line(text: string): Block {
  return { kind: "line", text };
}

function ruleLine(rule: RuleChange): string {
  const list = (capabilities: string[] | undefined): string => `[${(capabilities ?? []).join(", ")}]`;
  if (rule.action === "add") return `+ ${rule.path} ${list(rule.after)}`;
  if (rule.action === "remove") return `- ${rule.path} ${list(rule.before)}`;
  const parameters = rule.parametersChanged ? " (parameter rules changed)" : "";
  return `~ ${rule.path} ${list(rule.before)} -> ${list(rule.after)}${parameters}`;
}

function valueLine(change: ValueChange, code: Code): string {
  const where = `${code(change.location)} key ${code(change.key)}`;
  const stored = (kind: "secure" | "plain" | undefined): string => (kind === undefined ? "" : kind === "secure" ? " (secure)" : " (plain text)");
  switch (change.change) {
    case "set":
      return `${where}: set, ${change.after}${stored(change.storedAfter)}, from ${code(change.configKey)}`;
    case "unset":
      return `${where}: no longer set (was ${change.before}${stored(change.storedBefore)})`;
    case "changed":
      return `${where}: changed ${change.before}${stored(change.storedBefore)} -> ${change.after}${stored(change.storedAfter)}, from ${code(change.configKey)}`;
    default:
      return `${where}: re-encrypted or changed (no passphrase to tell), from ${code(change.configKey)}`;
  }
}

function buildSections(report: DiffReport, code: Code): Section[] {
  const sections: Section[] = [];

  const gate = report.gate;
  const destructive: Block[] = [];
  for (const change of gate.destructive) {
    const state = change.allowedBy === undefined ? "NOT ALLOWED" : `allowed: ${change.allowedBy}`;
    destructive.push(line(`${change.kind} ${code(change.path)}: ${change.description} [${state}]`));
  }
  if (gate.destructive.length === 0) destructive.push(line("none"));
  else if (gate.gated.length > 0) {
    const example = `{ stack: ${report.stack}, kind: ${gate.gated[0]!.kind}, path: ${gate.gated[0]!.path}, reason: ... }`;
    destructive.push(line(`to approve, list each change in the allow file (default .gbo-vault/allow-destructive.yaml), for example ${code(example)}`));
  }
  for (const entry of gate.unused) destructive.push(line(`unused allow entry: ${entry.kind} ${code(entry.path)} for stack ${entry.stack} matches no destructive change; remove it`));
  for (const entry of gate.unknownStack) destructive.push(line(`unknown allow entry: stack ${code(entry.stack)} has no stack file`));
  for (const entry of gate.alreadyAtBase) {
    destructive.push(line(`allow entry ${entry.kind} ${code(entry.path)} was already in the allow file at the base revision, so it approves nothing now; list the change again in this pull request's allow file`));
  }
  sections.push({ title: `Destructive changes (${gate.destructive.length}, ${gate.gated.length} not allowed)`, blocks: destructive });

  const access: Block[] = describeCrossScope(report.access).map((text) => line(`cross-scope: ${text}`));
  for (const grant of report.access.lostCrossScope) {
    access.push(line(`cross-scope: ${grant.principal} no longer has ${grant.kind} (${grant.operation} ${code(grant.path)})`));
  }
  for (const change of report.access.changes) access.push(line(describeAccessChange(change)));
  if (report.access.changes.length === 0) access.push(line("no principal gains or loses access"));
  sections.push({ title: `Access changes (${report.access.changes.length})`, blocks: access });

  const resources = report.resources;
  const count = (action: string): number => resources.filter((resource) => resource.action === action).length;
  const resourceBlocks: Block[] = [];
  const symbol = { add: "+", remove: "-", update: "~", replace: "-/+" } as const;
  for (const action of ["add", "replace", "update", "remove"] as const) {
    for (const resource of resources.filter((candidate) => candidate.action === action)) {
      const inputs = resource.inputs.length > 0 ? ` (${resource.inputs.join(", ")})` : "";
      resourceBlocks.push(line(`${symbol[action]} ${resource.type} ${code(resource.name)}${inputs}`));
    }
  }
  if (resources.length === 0) resourceBlocks.push(line("no changes"));
  sections.push({
    title: `Resources: ${count("add")} to add, ${count("update")} to update, ${count("replace")} to replace, ${count("remove")} to remove`,
    blocks: resourceBlocks,
  });

  const policyBlocks: Block[] = [];
  for (const policy of report.policies) {
    const verb = policy.action === "add" ? "added" : policy.action === "remove" ? "removed" : "changed";
    policyBlocks.push(line(`policy ${code(policy.name)} ${verb}, ${policy.rules.length} rule change(s):`));
    policyBlocks.push({ kind: "code", language: "diff", lines: policy.rules.map(ruleLine) });
  }
  if (report.policies.length === 0) policyBlocks.push(line("no rule changes"));
  sections.push({ title: `Policy rules (${report.policies.length} policies changed)`, blocks: policyBlocks });

  const values = report.values;
  const valueBlocks: Block[] = values.changes.map((change) => line(valueLine(change, code)));
  if (values.changes.length === 0) valueBlocks.push(line("no value changed"));
  if (values.reEncryptedUnchanged > 0) valueBlocks.push(line(`${values.reEncryptedUnchanged} value(s) re-encrypted with the same plaintext (not a change)`));
  if (!values.decrypted) valueBlocks.push(line("no passphrase was available, so encrypted values were compared by ciphertext only"));
  for (const note of values.notes) valueBlocks.push(line(`note: ${note}`));
  sections.push({ title: `Values (${values.changes.length} changed; fingerprints only, never values)`, blocks: valueBlocks });
  return sections;
}

function headline(report: DiffReport): string {
  const base = `${report.base.ref} (${report.base.commit.slice(0, 12)})`;
  const text = report.base.stackExists
    ? `Stack ${report.stack} compared with ${base}`
    : `Stack ${report.stack} compared with ${base}, where the stack does not exist: everything is added`;
  return report.base.codeNote === undefined ? text : `${text}\nNOTE: ${report.base.codeNote}; changes made in infra/ are not shown`;
}

export function formatDiffText(report: DiffReport): string {
  const out = [headline(report), ""];
  for (const section of buildSections(report, plainCode)) {
    out.push(`${section.title}:`);
    for (const block of section.blocks) {
      if (block.kind === "line") out.push(`  ${block.text}`);
      else out.push(...block.lines.map((text) => `    ${text}`));
    }
    out.push("");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function size(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/**
 * Formats the report for a pull-request comment of at most `limit` characters (measured in UTF-8 bytes, which
 * is never less than the character count). When the report does not fit, it stops at the first line that does
 * not fit, closes any open code fence, and ends with a note that states how much was left out.
 */
export function formatDiffMarkdown(report: DiffReport, limit: number = GITHUB_COMMENT_LIMIT): string {
  const sections = buildSections(report, markdownCode);
  const head = `${commentMarker(report.stack)}\n### gbo-vault diff: ${markdownCode(report.stack)}\n\n${headline(report)}\n`;
  const gated = report.gate.gated.length;
  const status = gated > 0 ? `\n**${gated} destructive change(s) not allowed.**\n` : "";
  const note = (lines: number, sectionCount: number): string =>
    `\n> **Truncated:** ${lines} more line(s) in ${sectionCount} section(s) were left out to keep this comment under GitHub's ` +
    `${GITHUB_COMMENT_LIMIT.toLocaleString("en-US")}-character limit. Run ${markdownCode(`npx gbo-vault diff ${report.stack} --base ${report.base.ref}`)} for the full report.\n`;
  // Room for the longest possible truncation note.
  const budget = limit - size(note(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  if (budget <= size(head + status)) throw new Error(`markdown limit ${limit} is too small for the report header`);

  let out = head + status;
  let omittedLines = 0;
  const omittedSections = new Set<number>();
  let cut = false;
  const fits = (text: string): boolean => size(out) + size(text) <= budget;

  sections.forEach((section, index) => {
    const title = `\n#### ${section.title}\n\n`;
    const blockLines = section.blocks.reduce((total, block) => total + (block.kind === "line" ? 1 : block.lines.length), 0);
    if (cut || !fits(title)) {
      cut = true;
      omittedLines += blockLines;
      omittedSections.add(index);
      return;
    }
    out += title;
    for (const block of section.blocks) {
      if (block.kind === "line") {
        const text = `- ${block.text}\n`;
        if (!cut && fits(text)) out += text;
        else {
          cut = true;
          omittedLines += 1;
          omittedSections.add(index);
        }
        continue;
      }
      const open = `\n\`\`\`${block.language}\n`;
      const close = "```\n\n";
      let body = "";
      let kept = 0;
      for (const text of block.lines) {
        const next = `${text}\n`;
        if (!cut && fits(open + body + next + close)) {
          body += next;
          kept += 1;
        } else cut = true;
      }
      if (kept > 0) out += open + body + close;
      if (kept < block.lines.length) {
        omittedLines += block.lines.length - kept;
        omittedSections.add(index);
      }
    }
  });
  if (cut) out += note(omittedLines, omittedSections.size);
  return out;
}
