/** Text and Markdown forms of a verify report. */
import { SCOPES, type Violation, type VerifyReport } from "./verify";

/** Groups violations that differ only in path and operation, so one cause prints once with its count. */
export function groupViolations(violations: readonly Violation[]): Array<{ first: Violation; count: number; paths: string[] }> {
  const groups = new Map<string, { first: Violation; count: number; paths: string[] }>();
  for (const violation of violations) {
    const key = violation.principal !== undefined && violation.path !== undefined
      ? `${violation.severity}|${violation.kind}|${violation.principal}`
      : `${violation.severity}|${violation.kind}|${violation.message}`;
    const group = groups.get(key);
    const where = violation.path === undefined ? undefined : `${violation.operation ?? ""} ${violation.path}`.trim();
    if (group === undefined) {
      groups.set(key, { first: violation, count: 1, paths: where === undefined ? [] : [where] });
    } else {
      group.count += 1;
      if (where !== undefined) group.paths.push(where);
    }
  }
  return [...groups.values()].sort((a, b) => (a.first.severity === b.first.severity ? 0 : a.first.severity === "error" ? -1 : 1));
}

function counts(report: VerifyReport): { errors: number; warnings: number } {
  const errors = report.violations.filter((violation) => violation.severity === "error").length;
  return { errors, warnings: report.violations.length - errors };
}

/** One-letter codes keep the matrix narrow enough for a terminal and a pull-request comment. */
const VERB_CODES: Record<string, string> = {
  read: "r",
  write: "w",
  delete: "d",
  list: "l",
  metadata: "m",
  subkeys: "s",
  undelete: "u",
  destroy: "x",
  "delete-all": "D",
};

export const MATRIX_LEGEND =
  "r read, w write (create, update, patch), d delete (soft), l list, m read metadata, s read subkeys, " +
  "u undelete, x destroy, D delete all versions, - nothing";

function matrixRows(report: VerifyReport): { columns: string[]; rows: Array<[string, string[]]> } {
  const columns = SCOPES.filter((scope) => report.principals.some((principal) => (report.matrix[principal]?.[scope] ?? []).length > 0));
  const rows = report.principals.map((principal): [string, string[]] => [
    principal,
    columns.map((column) => (report.matrix[principal]?.[column] ?? []).map((verb) => VERB_CODES[verb] ?? verb).join("") || "-"),
  ]);
  return { columns, rows };
}

export function formatVerifyText(report: VerifyReport): string {
  const out: string[] = [`Access matrix of stack ${report.stack} (principal x scope -> allowed requests)`, ""];
  const { columns, rows } = matrixRows(report);
  const widths = [Math.max(9, ...rows.map(([principal]) => principal.length)), ...columns.map((column, index) => Math.max(column.length, ...rows.map(([, cells]) => cells[index]!.length)))];
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join("  ").trimEnd();
  out.push(line(["principal", ...columns]));
  out.push(line(widths.map((width) => "-".repeat(width))));
  for (const [principal, cells] of rows) out.push(line([principal, ...cells]));
  out.push("", MATRIX_LEGEND, "");
  const { errors, warnings } = counts(report);
  if (report.violations.length === 0) {
    out.push("No violations: every principal can do exactly what the access model allows.");
  } else {
    out.push("Violations");
    for (const group of groupViolations(report.violations)) {
      const suffix = group.count > 1 ? ` (${group.count} requests)` : "";
      out.push(`  ${group.first.severity}: ${group.first.kind}${suffix}: ${group.first.message}`);
      for (const where of group.paths.slice(1, 4)) out.push(`    also: ${where}`);
      if (group.paths.length > 4) out.push(`    and ${group.paths.length - 4} more`);
    }
  }
  out.push(
    "",
    `verify ${report.stack}: ${report.principals.length} principals, ${report.probes} probe requests, ` +
      `${report.evaluations} evaluations; ${errors} errors, ${warnings} warnings`,
  );
  return `${out.join("\n")}\n`;
}

export function formatVerifyMarkdown(report: VerifyReport): string {
  const { columns, rows } = matrixRows(report);
  const out = [`### Access matrix of stack \`${report.stack}\``, "", `| principal | ${columns.join(" | ")} |`, `| --- |${columns.map(() => " --- |").join("")}`];
  for (const [principal, cells] of rows) out.push(`| ${principal} | ${cells.join(" | ")} |`);
  out.push("", MATRIX_LEGEND, "");
  const { errors, warnings } = counts(report);
  for (const group of groupViolations(report.violations)) {
    out.push(`- **${group.first.severity}** ${group.first.kind}${group.count > 1 ? ` (${group.count} requests)` : ""}: ${group.first.message}`);
  }
  out.push("", `${errors} errors, ${warnings} warnings over ${report.evaluations} evaluations.`);
  return `${out.join("\n")}\n`;
}
