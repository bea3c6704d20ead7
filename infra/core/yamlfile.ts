/** Reading YAML files with zod validation, with every problem reported by file, line and YAML path. */
import { readFileSync } from "node:fs";
import { type Document, isCollection, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";

export interface SourceProblem {
  file: string;
  line?: number;
  /** Dotted path of the value inside the file, for example `scopes.system.secrets[3].keys`. */
  at: string;
  message: string;
}

export function formatProblem(problem: SourceProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return problem.at === "" ? `${where}: ${problem.message}` : `${where}: ${problem.at}: ${problem.message}`;
}

export class SourceError extends Error {
  constructor(
    readonly problems: SourceProblem[],
    summary: string,
  ) {
    super(`${summary}\n${problems.map((problem) => `  ${formatProblem(problem)}`).join("\n")}`);
    this.name = "SourceError";
  }
}

/** Formats a zod-style path as `a.b[2].c`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** A parsed YAML document that can map a value's path back to its line. */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly document: Document,
    private readonly lines: LineCounter,
  ) {}

  static parse(text: string, file: string, options: { intAsBigInt?: boolean } = {}): YamlSource {
    const lines = new LineCounter();
    const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, intAsBigInt: options.intAsBigInt });
    return new YamlSource(file, document, lines);
  }

  static read(file: string, displayName = file, options: { intAsBigInt?: boolean } = {}): YamlSource {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new SourceError(
        [{ file: displayName, at: "", message: `cannot be read: ${(error as Error).message}` }],
        `cannot read ${displayName}`,
      );
    }
    return YamlSource.parse(text, displayName, options);
  }

  /**
   * Returns the YAML syntax errors, each with its line. The parser's pretty errors stay off because they quote
   * the source line, which may contain a secret. The line number comes from the error's offset instead.
   */
  syntaxProblems(): SourceProblem[] {
    return this.document.errors.map((error) => ({
      file: this.file,
      line: this.lines.linePos(error.pos[0]).line,
      at: "",
      message: `invalid YAML: ${error.message.split("\n")[0]}`,
    }));
  }

  /**
   * Returns the line of the entry at `path`: the line of its key in a map, of the item in a list, or of the
   * nearest ancestor that exists.
   */
  lineOf(path: ReadonlyArray<PropertyKey>): number | undefined {
    let node: unknown = this.document.contents;
    let line: number | undefined = this.rangeLine(node);
    for (const part of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === part);
        if (pair === undefined) return line;
        line = this.rangeLine(pair.key) ?? this.rangeLine(pair.value) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof part === "number") {
        const item = node.items[part];
        if (item === undefined) return line;
        line = this.rangeLine(item) ?? line;
        node = item;
      } else {
        return line;
      }
    }
    return line;
  }

  private rangeLine(node: unknown): number | undefined {
    const offset = (node as Node | undefined)?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  toJS(): unknown {
    return this.document.toJS();
  }

  isEmpty(): boolean {
    return !isCollection(this.document.contents) && this.document.contents === null;
  }
}

/** Parses `source` with `schema`; every syntax and schema problem is thrown at once in a {@link SourceError}. */
export function validateYaml<T>(source: YamlSource, schema: z.ZodType<T>, what: string): T {
  const syntax = source.syntaxProblems();
  if (syntax.length > 0) throw new SourceError(syntax, `${source.file} is not valid YAML`);
  const result = schema.safeParse(source.toJS());
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    file: source.file,
    line: source.lineOf(issue.path),
    at: formatPath(issue.path),
    message: issue.message,
  }));
  throw new SourceError(problems, `${source.file} is not a valid ${what}`);
}
