/**
 * Times `verifyPlan` on stacks with many declared orgs. Each stack is the dev stack with its `orgs` replaced by
 * N orgs of B bots, built in memory, so the benchmark touches no file but the shipped ones.
 *
 *   npm run bench
 *   npm run bench -- --sizes 10,100 --bots 10 --repeat 3
 *
 * Heap figures are exact only when Node runs with --expose-gc (the `bench` script sets it); without it they
 * include garbage that a collection would free.
 */
import { readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { parseDocument } from "yaml";
import { loadStack } from "../infra/core/load";
import { PROJECT_ROOT } from "../infra/core/project";
import { reportFails, verifyPlan } from "../infra/verify/verify";

interface Options {
  sizes: number[];
  botsPerOrg: number;
  repeat: number;
}

interface Result {
  orgs: number;
  bots: number;
  principals: number;
  evaluations: number;
  loadMs: number;
  /** Wall time of each timed `verifyPlan` call, in milliseconds. */
  verifyMs: number[];
  heapUsedMiB: number;
  errors: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { sizes: [10, 100, 1000], botsPerOrg: 10, repeat: 3 };
  for (let index = 0; index < argv.length; index += 1) {
    const name = argv[index];
    const value = argv[index + 1];
    if (value === undefined) throw new Error(`option ${name} needs a value`);
    index += 1;
    if (name === "--sizes") options.sizes = value.split(",").map((size) => positiveInteger(name, size));
    else if (name === "--bots") options.botsPerOrg = positiveInteger(name, value);
    else if (name === "--repeat") options.repeat = positiveInteger(name, value);
    else throw new Error(`unknown option ${name}; use --sizes N,N,..., --bots N or --repeat N`);
  }
  return options;
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`invalid ${name} value ${JSON.stringify(text)}: expected a positive integer`);
  return value;
}

/** Returns the dev stack text with `orgs` set to `count` orgs of `botsPerOrg` bots each. */
function stackTextWithOrgs(devText: string, count: number, botsPerOrg: number): string {
  const document = parseDocument(devText);
  const orgs = Array.from({ length: count }, (_, org) => ({
    id: `org-${org}`,
    bots: Array.from({ length: botsPerOrg }, (_, bot) => `bot-${bot}`),
  }));
  document.setIn(["config", "gbo-vault:orgs"], orgs);
  return document.toString();
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

function heapUsedMiB(): number {
  collectGarbage?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function measure(devText: string, orgs: number, options: Options): Result {
  const text = stackTextWithOrgs(devText, orgs, options.botsPerOrg);
  const loadStart = performance.now();
  const { plan, catalog } = loadStack("dev", { stackText: text });
  const loadMs = performance.now() - loadStart;

  // One untimed run first, so the timed runs see compiled code and a grown heap.
  verifyPlan(plan, catalog);
  const verifyMs: number[] = [];
  let report = verifyPlan(plan, catalog);
  let heap = 0;
  for (let run = 0; run < options.repeat; run += 1) {
    heapUsedMiB();
    const start = performance.now();
    report = verifyPlan(plan, catalog);
    verifyMs.push(performance.now() - start);
    // Measured while the report is still referenced, so it counts the plan, the catalog and the report.
    heap = Math.max(heap, heapUsedMiB());
  }
  return {
    orgs,
    bots: orgs * options.botsPerOrg,
    principals: report.principals.length,
    evaluations: report.evaluations,
    loadMs,
    verifyMs,
    heapUsedMiB: heap,
    errors: reportFails(report) ? report.violations.filter((violation) => violation.severity === "error").length : 0,
  };
}

function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padStart(widths[column]!)).join("  ");
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (match !== null) return match[1]!.trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return os.cpus()[0]?.model ?? "unknown";
}

function main(): void {
  const options = parseOptions(process.argv.slice(2));
  const devText = readFileSync(path.join(PROJECT_ROOT, "stacks", "Pulumi.dev.yaml"), "utf8");
  process.stdout.write(
    `verifyPlan benchmark: ${options.botsPerOrg} bots per org, ${options.repeat} timed runs per size after one warm-up run\n` +
      `machine: ${os.availableParallelism()} CPUs (${cpuModel()}), Node ${process.version}, ${os.platform()} ${os.arch()}` +
      `${collectGarbage === undefined ? "; heap without --expose-gc includes garbage" : ""}\n\n`,
  );

  const results: Result[] = [];
  for (const orgs of options.sizes) {
    const result = measure(devText, orgs, options);
    results.push(result);
    process.stderr.write(`  measured ${orgs} orgs: median ${(median(result.verifyMs) / 1000).toFixed(2)} s\n`);
  }

  const rows = results.map((result) => {
    const seconds = median(result.verifyMs) / 1000;
    return [
      String(result.orgs),
      String(result.bots),
      String(result.principals),
      String(result.evaluations),
      (result.loadMs / 1000).toFixed(3),
      seconds.toFixed(3),
      (Math.min(...result.verifyMs) / 1000).toFixed(3),
      (Math.max(...result.verifyMs) / 1000).toFixed(3),
      Math.round(result.evaluations / seconds).toLocaleString("en-US"),
      result.heapUsedMiB.toFixed(1),
      String(result.errors),
    ];
  });
  process.stdout.write(
    `${formatTable(
      ["orgs", "bots", "principals", "evaluations", "load s", "verify s (median)", "min s", "max s", "evaluations/s", "heap MiB", "errors"],
      rows,
    )}\n\n`,
  );

  const growth = results.slice(1).map((result, index) => {
    const previous = results[index]!;
    return [
      `${previous.orgs} -> ${result.orgs}`,
      `${(result.orgs / previous.orgs).toFixed(1)}x`,
      `${(median(result.verifyMs) / median(previous.verifyMs)).toFixed(2)}x`,
      `${(result.evaluations / previous.evaluations).toFixed(2)}x`,
    ];
  });
  if (growth.length > 0) {
    process.stdout.write(`${formatTable(["orgs", "org growth", "time growth", "evaluation growth"], growth)}\n`);
  }
}

main();
