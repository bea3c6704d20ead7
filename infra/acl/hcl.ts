/**
 * A parser for the subset of HCL 1 (and its JSON form) that Vault policies use: nested objects,
 * labelled blocks (`path "x" { ... }`), strings, heredocs, numbers, booleans, lists and the three
 * comment styles. Every node carries its 1-based line so that policy errors can point at the source.
 *
 * It builds a syntax tree only. Which keys are valid, and what they mean, is decided by `policy.ts`.
 */

export type HclNode =
  | { kind: "string"; value: string; line: number }
  | { kind: "number"; value: number; line: number }
  | { kind: "bool"; value: boolean; line: number }
  | { kind: "list"; items: HclNode[]; line: number }
  | { kind: "object"; items: HclItem[]; line: number };

/** One `key [label...] = value` or `key [label...] { ... }` entry of an object body. */
export interface HclItem {
  keys: string[];
  value: HclNode;
  line: number;
}

export class HclSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = "HclSyntaxError";
  }
}

type TokenKind = "string" | "number" | "bool" | "ident" | "punct" | "eof";

interface Token {
  kind: TokenKind;
  text: string;
  /** Decoded value for strings and heredocs, the source text otherwise. */
  value: string;
  line: number;
}

const PUNCTUATION = new Set(["{", "}", "[", "]", "=", ":", ","]);

function isIdentStart(ch: string): boolean {
  return /[A-Za-z_]/.test(ch);
}

function isIdentPart(ch: string): boolean {
  return /[A-Za-z0-9_.\-]/.test(ch);
}

/** Splits HCL or JSON text into tokens, dropping whitespace and comments. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  const length = text.length;

  while (pos < length) {
    const ch = text[pos];
    if (ch === "\n") {
      line++;
      pos++;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\r" || ch === "\uFEFF") {
      pos++;
      continue;
    }
    if (ch === "#" || (ch === "/" && text[pos + 1] === "/")) {
      while (pos < length && text[pos] !== "\n") pos++;
      continue;
    }
    if (ch === "/" && text[pos + 1] === "*") {
      const startLine = line;
      const end = text.indexOf("*/", pos + 2);
      if (end < 0) throw new HclSyntaxError(startLine, "unterminated block comment");
      for (let i = pos; i < end; i++) if (text[i] === "\n") line++;
      pos = end + 2;
      continue;
    }
    if (PUNCTUATION.has(ch)) {
      tokens.push({ kind: "punct", text: ch, value: ch, line });
      pos++;
      continue;
    }
    if (ch === '"') {
      const startLine = line;
      let value = "";
      pos++;
      for (;;) {
        if (pos >= length) throw new HclSyntaxError(startLine, "unterminated string");
        const c = text[pos];
        if (c === '"') {
          pos++;
          break;
        }
        if (c === "\n") throw new HclSyntaxError(line, "newline inside a quoted string");
        if (c === "\\") {
          const escape = text[pos + 1];
          pos += 2;
          switch (escape) {
            case "n":
              value += "\n";
              break;
            case "t":
              value += "\t";
              break;
            case "r":
              value += "\r";
              break;
            case '"':
              value += '"';
              break;
            case "\\":
              value += "\\";
              break;
            case "/":
              value += "/";
              break;
            case "b":
              value += "\b";
              break;
            case "f":
              value += "\f";
              break;
            case "u": {
              const hex = text.slice(pos, pos + 4);
              if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new HclSyntaxError(line, `invalid unicode escape "\\u${hex}"`);
              value += String.fromCharCode(parseInt(hex, 16));
              pos += 4;
              break;
            }
            default:
              throw new HclSyntaxError(line, `invalid escape sequence "\\${escape ?? ""}" in string`);
          }
          continue;
        }
        value += c;
        pos++;
      }
      tokens.push({ kind: "string", text: value, value, line: startLine });
      continue;
    }
    if (ch === "<" && text[pos + 1] === "<") {
      const startLine = line;
      const match = /^<<(-?)([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n/.exec(text.slice(pos));
      if (match === null) throw new HclSyntaxError(line, "invalid heredoc: expected <<MARKER followed by a newline");
      const indented = match[1] === "-";
      const marker = match[2];
      pos += match[0].length;
      line++;
      const bodyLines: string[] = [];
      for (;;) {
        if (pos >= length) throw new HclSyntaxError(startLine, `unterminated heredoc, missing closing ${marker}`);
        let end = text.indexOf("\n", pos);
        if (end < 0) end = length;
        const raw = text.slice(pos, end).replace(/\r$/, "");
        pos = Math.min(end + 1, length);
        if ((indented ? raw.trim() : raw) === marker) break;
        bodyLines.push(raw);
        line++;
      }
      line++;
      let lines = bodyLines;
      if (indented) {
        const indents = lines.filter((l) => l.trim() !== "").map((l) => /^[ \t]*/.exec(l)![0].length);
        const strip = indents.length === 0 ? 0 : Math.min(...indents);
        lines = lines.map((l) => l.slice(Math.min(strip, /^[ \t]*/.exec(l)![0].length)));
      }
      const value = lines.length === 0 ? "" : lines.join("\n") + "\n";
      tokens.push({ kind: "string", text: value, value, line: startLine });
      continue;
    }
    if (/[0-9\-+]/.test(ch)) {
      const match = /^[-+]?(0x[0-9A-Fa-f]+|[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)/.exec(text.slice(pos));
      if (match === null) throw new HclSyntaxError(line, `unexpected character "${ch}"`);
      tokens.push({ kind: "number", text: match[0], value: match[0], line });
      pos += match[0].length;
      continue;
    }
    if (isIdentStart(ch)) {
      let end = pos + 1;
      while (end < length && isIdentPart(text[end])) end++;
      const word = text.slice(pos, end);
      const kind: TokenKind = word === "true" || word === "false" ? "bool" : "ident";
      tokens.push({ kind, text: word, value: word, line });
      pos = end;
      continue;
    }
    throw new HclSyntaxError(line, `unexpected character "${ch}"`);
  }
  tokens.push({ kind: "eof", text: "", value: "", line });
  return tokens;
}

class Parser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    const token = this.tokens[this.index];
    if (token.kind !== "eof") this.index++;
    return token;
  }

  private isPunct(text: string): boolean {
    const token = this.peek();
    return token.kind === "punct" && token.text === text;
  }

  private expectPunct(text: string, context: string): Token {
    const token = this.next();
    if (token.kind !== "punct" || token.text !== text) {
      throw new HclSyntaxError(token.line, `expected "${text}" ${context}, found ${describe(token)}`);
    }
    return token;
  }

  /** Parses a whole document: an HCL body, or a JSON object whose members become the body. */
  parseDocument(): HclNode {
    const first = this.peek();
    let root: HclNode;
    if (first.kind === "punct" && first.text === "{") {
      root = this.parseObject();
    } else {
      root = { kind: "object", items: this.parseBody("eof"), line: first.line };
    }
    const rest = this.peek();
    if (rest.kind !== "eof") throw new HclSyntaxError(rest.line, `unexpected ${describe(rest)} after the end of the document`);
    return root;
  }

  private parseBody(end: "eof" | "}"): HclItem[] {
    const items: HclItem[] = [];
    for (;;) {
      const token = this.peek();
      if (end === "eof" ? token.kind === "eof" : token.kind === "punct" && token.text === "}") return items;
      if (token.kind === "eof") throw new HclSyntaxError(token.line, `missing "}" before the end of the document`);
      items.push(this.parseItem());
      if (this.isPunct(",")) this.next();
    }
  }

  private parseItem(): HclItem {
    const first = this.peek();
    const keys: string[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === "string" || token.kind === "ident") {
        keys.push(this.next().value);
        continue;
      }
      break;
    }
    if (keys.length === 0) throw new HclSyntaxError(first.line, `expected a key, found ${describe(first)}`);
    const token = this.peek();
    if (token.kind === "punct" && (token.text === "=" || token.text === ":")) {
      this.next();
      if (keys.length > 1) throw new HclSyntaxError(first.line, `unexpected labels before "${token.text}" on key "${keys[0]}"`);
      return { keys, value: this.parseValue(), line: first.line };
    }
    if (token.kind === "punct" && token.text === "{") {
      return { keys, value: this.parseObject(), line: first.line };
    }
    throw new HclSyntaxError(token.line, `expected "=" or "{" after key "${keys[keys.length - 1]}", found ${describe(token)}`);
  }

  private parseObject(): HclNode {
    const open = this.expectPunct("{", "to open an object");
    const items = this.parseBody("}");
    this.expectPunct("}", "to close the object");
    return { kind: "object", items, line: open.line };
  }

  private parseList(): HclNode {
    const open = this.expectPunct("[", "to open a list");
    const items: HclNode[] = [];
    for (;;) {
      if (this.isPunct("]")) break;
      items.push(this.parseValue());
      if (this.isPunct(",")) {
        this.next();
        continue;
      }
      if (!this.isPunct("]")) {
        const token = this.peek();
        throw new HclSyntaxError(token.line, `expected "," or "]" in list, found ${describe(token)}`);
      }
    }
    this.expectPunct("]", "to close the list");
    return { kind: "list", items, line: open.line };
  }

  private parseValue(): HclNode {
    const token = this.peek();
    switch (token.kind) {
      case "string":
        this.next();
        return { kind: "string", value: token.value, line: token.line };
      case "number": {
        this.next();
        const text = token.text.replace(/^\+/, "");
        const value = /^-?0x/i.test(text) ? parseInt(text, 16) : Number(text);
        return { kind: "number", value, line: token.line };
      }
      case "bool":
        this.next();
        return { kind: "bool", value: token.text === "true", line: token.line };
      case "punct":
        if (token.text === "{") return this.parseObject();
        if (token.text === "[") return this.parseList();
        break;
      case "ident":
        if (token.text === "null") {
          throw new HclSyntaxError(token.line, "null values are not supported in policies");
        }
        break;
      case "eof":
        break;
    }
    throw new HclSyntaxError(token.line, `expected a value, found ${describe(token)}`);
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case "eof":
      return "end of input";
    case "string":
      return `string "${token.value}"`;
    default:
      return `"${token.text}"`;
  }
}

/** Parses HCL 1 or JSON text into an object node. Throws `HclSyntaxError` with a line number. */
export function parseHcl(text: string): HclNode {
  return new Parser(tokenize(text)).parseDocument();
}

/** Converts a value node to plain data: objects become records, lists arrays. */
export function toPlain(node: HclNode): unknown {
  switch (node.kind) {
    case "string":
    case "number":
    case "bool":
      return node.value;
    case "list":
      return node.items.map(toPlain);
    case "object": {
      const result: Record<string, unknown> = {};
      for (const item of node.items) {
        let target = result;
        for (const key of item.keys.slice(0, -1)) {
          const existing = target[key];
          const child = typeof existing === "object" && existing !== null && !Array.isArray(existing) ? existing : {};
          target[key] = child;
          target = child as Record<string, unknown>;
        }
        target[item.keys[item.keys.length - 1]] = toPlain(item.value);
      }
      return result;
    }
  }
}
