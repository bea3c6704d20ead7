/**
 * Sets values in a Pulumi stack file without disturbing the rest of it.
 *
 * The intended content comes from the `yaml` Document API (`setIn` on the parsed document). Stringifying that
 * document would also restyle untouched lines (`[a, b]` becomes `[ a, b ]`), so the edits are first applied to
 * the original text. A changed leaf is replaced in place, and new keys are appended at the end of their block
 * map, as `pulumi config set` appends them. The patched text is used only when it parses to exactly the
 * document's content; otherwise the stringified document is returned.
 */
import { isDeepStrictEqual } from "node:util";
import { Document, isMap, isScalar, LineCounter, parseDocument, type Node, type YAMLMap } from "yaml";

/** A `{ secure: v1:... }` leaf of Pulumi's stack file format. */
export interface SecureValue {
  secure: string;
}

/** One value to set; `path` is the full YAML path, for example `["config", "gbo-vault:system", "jwt", "secret"]`. */
export interface StackEdit {
  path: string[];
  value: string | SecureValue;
}

/** Returns `text` with every edit applied, keeping comments, key order and untouched lines byte for byte. */
export function applyStackEdits(text: string, edits: readonly StackEdit[]): string {
  // New lines follow the file's own line ending, so a CRLF file stays CRLF throughout.
  if (text.includes("\r\n")) {
    return applyStackEdits(text.replace(/\r\n/g, "\n"), edits).replace(/\n/g, "\r\n");
  }
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) throw new Error(`the stack file is not valid YAML: ${document.errors[0]!.message}`);
  for (const edit of edits) {
    document.setIn(edit.path, valueNode(document, edit.value));
  }
  const expected = document.toJS();
  const patched = patchText(text, edits);
  if (patched !== undefined) {
    const reparsed = parseDocument(patched, { uniqueKeys: true });
    if (reparsed.errors.length === 0 && isDeepStrictEqual(reparsed.toJS(), expected)) return patched;
  }
  return document.toString({ lineWidth: 0 });
}

function valueNode(document: Document, value: string | SecureValue): Node {
  if (typeof value === "string") return document.createNode(value);
  const node = document.createNode({ secure: value.secure }) as YAMLMap;
  node.flow = true;
  return node;
}

interface Insertion {
  offset: number;
  indent: number;
  /** New keys in insertion order; a nested map is a deeper level of new keys. */
  tree: Map<string, Tree>;
}
type Tree = string | SecureValue | Map<string, Tree>;

/** Applies the edits to the text directly; returns undefined for a shape it does not handle. */
function patchText(text: string, edits: readonly StackEdit[]): string | undefined {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (document.errors.length > 0) return undefined;
  const replacements: Array<{ start: number; end: number; text: string }> = [];
  const insertions = new Map<YAMLMap, Insertion>();

  for (const edit of edits) {
    let node: unknown = document.contents;
    for (let depth = 0; depth < edit.path.length; depth += 1) {
      if (!isMap(node) || node.flow || node.items.length === 0) return undefined;
      const name = edit.path[depth]!;
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === name);
      if (pair === undefined) {
        const insertion = insertionFor(text, lines, node, insertions);
        if (insertion === undefined) return undefined;
        addToTree(insertion.tree, edit.path.slice(depth), edit.value);
        break;
      }
      if (depth < edit.path.length - 1) {
        node = pair.value;
        continue;
      }
      const replacement = leafReplacement(pair.value, edit.value);
      if (replacement === undefined) return undefined;
      replacements.push(replacement);
    }
  }

  for (const insertion of insertions.values()) {
    const block = renderTree(insertion.tree, insertion.indent);
    replacements.push({ start: insertion.offset, end: insertion.offset, text: block });
  }
  // Later offsets first, so earlier offsets stay valid. At one offset, the deeper map's keys go first,
  // because they belong to the last entry of the shallower map.
  replacements.sort((a, b) => b.start - a.start || leadingSpaces(a.text) - leadingSpaces(b.text));
  let result = text;
  for (const replacement of replacements) {
    const needsBreak = replacement.start === result.length && result.length > 0 && !result.endsWith("\n") && replacement.start === replacement.end;
    result = result.slice(0, replacement.start) + (needsBreak ? "\n" : "") + replacement.text + result.slice(replacement.end);
  }
  return result;
}

function leadingSpaces(text: string): number {
  return text.length - text.trimStart().length;
}

function leafReplacement(node: unknown, value: string | SecureValue): { start: number; end: number; text: string } | undefined {
  if (typeof value === "string") {
    if (!isScalar(node) || node.range === undefined || node.range === null) return undefined;
    return { start: node.range[0], end: node.range[1], text: renderScalar(value) };
  }
  if (isMap(node) && node.items.length === 1) {
    const inner = node.items[0]!;
    if (isScalar(inner.key) && inner.key.value === "secure" && isScalar(inner.value) && inner.value.range) {
      return { start: inner.value.range[0], end: inner.value.range[1], text: renderScalar(value.secure) };
    }
  }
  if (isScalar(node) && node.range) {
    return { start: node.range[0], end: node.range[1], text: `{ secure: ${renderScalar(value.secure)} }` };
  }
  return undefined;
}

function insertionFor(
  text: string,
  lines: LineCounter,
  map: YAMLMap,
  insertions: Map<YAMLMap, Insertion>,
): Insertion | undefined {
  const existing = insertions.get(map);
  if (existing !== undefined) return existing;
  const first = map.items[0]!;
  const last = map.items[map.items.length - 1]!;
  const keyStart = isScalar(first.key) ? first.key.range?.[0] : undefined;
  const lastNode = (last.value ?? last.key) as { range?: [number, number, number] } | null;
  const end = lastNode?.range?.[1];
  if (keyStart === undefined || end === undefined) return undefined;
  let offset: number;
  if (end > 0 && text[end - 1] === "\n") {
    offset = end;
  } else {
    const newline = text.indexOf("\n", end);
    offset = newline === -1 ? text.length : newline + 1;
  }
  const insertion: Insertion = { offset, indent: lines.linePos(keyStart).col - 1, tree: new Map() };
  insertions.set(map, insertion);
  return insertion;
}

function addToTree(tree: Map<string, Tree>, path: string[], value: string | SecureValue): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    tree.set(head, value);
    return;
  }
  let child = tree.get(head);
  if (!(child instanceof Map)) {
    child = new Map();
    tree.set(head, child);
  }
  addToTree(child, rest, value);
}

function renderTree(tree: Map<string, Tree>, indent: number): string {
  const pad = " ".repeat(indent);
  let out = "";
  for (const [key, child] of tree) {
    if (child instanceof Map) {
      out += `${pad}${renderScalar(key)}:\n${renderTree(child, indent + 2)}`;
    } else if (typeof child === "string") {
      out += `${pad}${renderScalar(key)}: ${renderScalar(child)}\n`;
    } else {
      out += `${pad}${renderScalar(key)}: { secure: ${renderScalar(child.secure)} }\n`;
    }
  }
  return out;
}

/** Renders a string as a one-line YAML scalar: plain when the yaml package allows it, else double-quoted. */
function renderScalar(value: string): string {
  const text = new Document(value).toString({ lineWidth: 0 }).replace(/\n$/, "");
  return text.includes("\n") ? JSON.stringify(value) : text;
}
