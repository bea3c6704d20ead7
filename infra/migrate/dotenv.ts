/**
 * Parser for `.env` files that returns the same keys and values as `parse` of the `dotenv` npm package.
 * It also reports duplicate keys, lines it cannot read and lines that probably contain a mistake.
 * Behaviour was checked against dotenv 17.4.2, whose `parse` is also the default mode of dotenv 18.0.10.
 *
 * Rules, as dotenv applies them:
 * - CRLF and lone CR are line breaks, and a leading UTF-8 byte-order mark is whitespace.
 * - A line is `[export ]KEY=VALUE` or `KEY: VALUE`, where KEY contains only ASCII letters, digits, `_`, `.`
 *   and `-`. Whitespace around the key, the `=` and an unquoted value is ignored.
 * - `#` starts a comment at the start of a line and anywhere in an unquoted value, even without a space before it.
 * - A value in single quotes, double quotes or backticks may span lines. It ends at the first matching quote
 *   not preceded by a backslash, if only whitespace or a comment follows that quote on its line. Otherwise
 *   dotenv tries the escaped quotes before it, the latest first, and then reads the line as an unquoted value.
 *   Escaped quotes keep their backslash.
 * - In a double-quoted value, `\n` and `\r` become a newline and a carriage return. No other escape is expanded.
 * - A quote that never closes is not an error for dotenv: the rest of the line, quote included, is the value.
 *   This parser keeps that value and adds a warning.
 * - When a key repeats, the last value wins.
 *
 * Reports (invalid lines, duplicates, warnings and errors) name line numbers and keys, never a value.
 */

export interface DotenvEntry {
  key: string;
  value: string;
  /** 1-based line number of the key. A multi-line value starts on this line. */
  line: number;
}

export interface DotenvLineReport {
  /** 1-based line number. */
  line: number;
  reason: string;
}

export interface DotenvParseResult {
  /** One entry per key, holding the last assignment, in the order in which each key first appears. */
  entries: DotenvEntry[];
  /** Every key assigned more than once, with all the lines that assign it in file order. */
  duplicates: Array<{ key: string; lines: number[] }>;
  /** Lines that assign nothing, sorted by line number. Their content is never included. */
  invalidLines: DotenvLineReport[];
  /** Lines that dotenv accepts but that probably contain a mistake, such as a quote that never closes. */
  warnings: DotenvLineReport[];
}

/** Error raised when a whole file cannot be read as a dotenv file. */
export class DotenvFileError extends Error {
  constructor(
    readonly fileName: string,
    message: string,
  ) {
    super(`${fileName}: ${message}`);
    this.name = "DotenvFileError";
  }
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const HASH = 0x23;
const BACKSLASH = 0x5c;
const EQUALS = 0x3d;
const COLON = 0x3a;
const QUOTES = ["'", '"', "`"] as const;
type Quote = (typeof QUOTES)[number];

/** Whitespace inside a line: JavaScript's `\s` without the line break, which dotenv's regular expression uses. */
function isSpace(code: number): boolean {
  if (code <= 0x20) {
    return code === 0x20 || code === 0x09 || code === 0x0b || code === 0x0c || code === CARRIAGE_RETURN;
  }
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** Characters of a key, `[A-Za-z0-9_.-]`. */
function isKeyChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x5f ||
    code === 0x2e ||
    code === 0x2d
  );
}

/** Decode a file's bytes as UTF-8 and return the lines that contain invalid bytes. */
function decodeUtf8(bytes: Buffer, fileName: string): { text: string; badLines: Set<number> } {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new DotenvFileError(fileName, "the file is encoded as UTF-16; save it as UTF-8 and run the command again");
  }
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), badLines: new Set() };
  } catch {
    // Fall through and find the lines with invalid bytes. Line breaks are single bytes in UTF-8 and never
    // occur inside a multi-byte sequence, so splitting the bytes at them is safe.
  }

  const strict = new TextDecoder("utf-8", { fatal: true });
  const lenient = new TextDecoder("utf-8");
  const lines: string[] = [];
  const badLines = new Set<number>();
  let start = 0;
  for (let index = 0; index <= bytes.length; index++) {
    const byte = index < bytes.length ? bytes[index] : NEWLINE;
    if (byte !== NEWLINE && byte !== CARRIAGE_RETURN) {
      continue;
    }
    const lineBytes = bytes.subarray(start, index);
    try {
      lines.push(strict.decode(lineBytes));
    } catch {
      badLines.add(lines.length + 1);
      lines.push(lenient.decode(lineBytes));
    }
    if (byte === CARRIAGE_RETURN && bytes[index + 1] === NEWLINE) {
      index++;
    }
    start = index + 1;
  }
  return { text: lines.join("\n"), badLines };
}

/** Positions of one quote character, split by whether dotenv may end a quoted value there. */
interface QuoteIndex {
  /** Positions of quotes not preceded by a backslash, ascending. */
  bare: number[];
  /** For each position in `bare`, whether only whitespace or a comment follows it on its line. */
  bareCanClose: boolean[];
  /** Positions of quotes preceded by a backslash and followed only by whitespace or a comment, ascending. */
  escapedCanClose: number[];
}

function canCloseAt(text: string, position: number): boolean {
  let index = position + 1;
  while (index < text.length && isSpace(text.charCodeAt(index))) {
    index++;
  }
  return index === text.length || text.charCodeAt(index) === NEWLINE || text.charCodeAt(index) === HASH;
}

function buildQuoteIndexes(text: string): Map<Quote, QuoteIndex> {
  const indexes = new Map<Quote, QuoteIndex>();
  for (const quote of QUOTES) {
    indexes.set(quote, { bare: [], bareCanClose: [], escapedCanClose: [] });
  }
  for (let position = 0; position < text.length; position++) {
    const code = text.charCodeAt(position);
    if (code !== 0x27 && code !== 0x22 && code !== 0x60) {
      continue;
    }
    const index = indexes.get(text[position] as Quote)!;
    const escaped = position > 0 && text.charCodeAt(position - 1) === BACKSLASH;
    if (!escaped) {
      index.bare.push(position);
      index.bareCanClose.push(canCloseAt(text, position));
    } else if (canCloseAt(text, position)) {
      index.escapedCanClose.push(position);
    }
  }
  return indexes;
}

/** Returns the index of the first element greater than `value` in an ascending array. */
function upperBound(sorted: number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! <= value) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

/**
 * Returns where the quoted value opened at `open` ends, or -1 when it never closes.
 *
 * dotenv's pattern `'(?:\\'|[^'])*'` first tries the first quote not preceded by a backslash. When that quote
 * is followed by more than whitespace or a comment, the regular expression backtracks to earlier escaped
 * quotes, the latest first. Precomputed, sorted positions make this a binary search per value instead of a
 * scan, so an unclosed quote does not make the parse quadratic.
 */
function findClosingQuote(index: QuoteIndex, open: number, textLength: number): number {
  const firstBare = upperBound(index.bare, open);
  let limit = textLength;
  if (firstBare < index.bare.length) {
    if (index.bareCanClose[firstBare]) {
      return index.bare[firstBare]!;
    }
    limit = index.bare[firstBare]!;
  }
  const escapedAfterLimit = upperBound(index.escapedCanClose, limit - 1);
  const candidate = escapedAfterLimit - 1;
  if (candidate >= 0 && index.escapedCanClose[candidate]! > open) {
    return index.escapedCanClose[candidate]!;
  }
  return -1;
}

/** Applies dotenv's value rules: trim, strip one pair of matching quotes, expand `\n` and `\r` after `"`. */
function unquoteValue(raw: string): string {
  let value = raw.trim();
  const first = value[0];
  if (
    value.length >= 2 &&
    (first === "'" || first === '"' || first === "`") &&
    value[value.length - 1] === first
  ) {
    value = value.slice(1, -1);
  }
  if (first === '"' && value.includes("\\")) {
    value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
  }
  return value;
}

/** Maps string positions to 1-based line numbers. */
class LineIndex {
  private readonly newlines: number[] = [];

  constructor(text: string) {
    let position = text.indexOf("\n");
    while (position !== -1) {
      this.newlines.push(position);
      position = text.indexOf("\n", position + 1);
    }
  }

  lineOf(position: number): number {
    return upperBound(this.newlines, position - 1) + 1;
  }
}

function skipSpaces(text: string, position: number, end: number): number {
  while (position < end && isSpace(text.charCodeAt(position))) {
    position++;
  }
  return position;
}

function lineEndFrom(text: string, position: number): number {
  const end = text.indexOf("\n", position);
  return end === -1 ? text.length : end;
}

/** Returns where the key starts, after an optional `export ` prefix that dotenv ignores. */
function keyStartAfterExport(text: string, position: number, lineEnd: number): number {
  if (!text.startsWith("export", position) || !isSpace(text.charCodeAt(position + 6))) {
    return position;
  }
  const afterPrefix = skipSpaces(text, position + 6, lineEnd);
  return afterPrefix < lineEnd && isKeyChar(text.charCodeAt(afterPrefix)) ? afterPrefix : position;
}

/**
 * Parses the content of a dotenv file.
 *
 * `fileName` only labels a {@link DotenvFileError}, which is raised for a UTF-16 file. Invalid UTF-8, NUL
 * bytes and unreadable lines are reported per line in `invalidLines`, and the entries they touch are dropped.
 */
export function parseDotenv(text: string | Buffer, fileName: string): DotenvParseResult {
  let source: string;
  let badUtf8Lines = new Set<number>();
  if (typeof text === "string") {
    source = text;
  } else if (Buffer.isBuffer(text)) {
    ({ text: source, badLines: badUtf8Lines } = decodeUtf8(text, fileName));
  } else {
    throw new DotenvFileError(fileName, `expected the file content as a string or Buffer, got ${typeof text}`);
  }
  if (source.includes("\r")) {
    source = source.replace(/\r\n?/g, "\n");
  }

  const lines = new LineIndex(source);
  const quoteIndexes = buildQuoteIndexes(source);
  const values = new Map<string, DotenvEntry>();
  const assignmentLines = new Map<string, number[]>();
  const invalidLines: DotenvLineReport[] = [];
  const warnings: DotenvLineReport[] = [];
  for (const line of badUtf8Lines) {
    invalidLines.push({ line, reason: "the line is not valid UTF-8" });
  }

  const length = source.length;
  let position = 0;
  while (position < length) {
    let lineEnd = lineEndFrom(source, position);
    const lineStart = skipSpaces(source, position, lineEnd);
    const line = lines.lineOf(position);
    position = lineEnd + 1;
    if (lineStart === lineEnd || source.charCodeAt(lineStart) === HASH || badUtf8Lines.has(line)) {
      continue;
    }

    const keyStart = keyStartAfterExport(source, lineStart, lineEnd);
    let keyEnd = keyStart;
    while (keyEnd < lineEnd && isKeyChar(source.charCodeAt(keyEnd))) {
      keyEnd++;
    }
    if (keyEnd === keyStart) {
      invalidLines.push({
        line,
        reason: "the line does not start with a variable name (letters, digits, '_', '.' or '-')",
      });
      continue;
    }

    let valueStart: number;
    const afterKey = skipSpaces(source, keyEnd, lineEnd);
    if (afterKey < lineEnd && source.charCodeAt(afterKey) === EQUALS) {
      valueStart = afterKey + 1;
    } else if (source.charCodeAt(keyEnd) === COLON && keyEnd + 1 < lineEnd && isSpace(source.charCodeAt(keyEnd + 1))) {
      valueStart = keyEnd + 1;
    } else {
      invalidLines.push({ line, reason: "the variable name is not followed by '=' (or by ':' and a space)" });
      continue;
    }

    // NOTE: dotenv lets the whitespace before '=' or before an opening quote run across line breaks, so it
    // reads "KEY" then "=value", or "KEY=" then "'value'", as one assignment. This parser reports the lines
    // as invalid instead. It also treats U+2028 and U+2029 as whitespace, where dotenv ends a comment there.
    const firstValueChar = skipSpaces(source, valueStart, lineEnd);
    const quote = source[firstValueChar];
    let raw: string | undefined;
    let valueEndLine = line;
    if (quote === "'" || quote === '"' || quote === "`") {
      const close = findClosingQuote(quoteIndexes.get(quote)!, firstValueChar, length);
      if (close !== -1) {
        raw = source.slice(firstValueChar, close + 1);
        lineEnd = lineEndFrom(source, close);
        position = lineEnd + 1;
        valueEndLine = lines.lineOf(close);
      } else {
        warnings.push({
          line,
          reason: `the value opens a ${quote} quote that never closes, so dotenv reads the quote as part of the value`,
        });
      }
    }
    if (raw === undefined) {
      let valueEnd = valueStart;
      while (valueEnd < lineEnd && source.charCodeAt(valueEnd) !== HASH) {
        valueEnd++;
      }
      raw = source.slice(valueStart, valueEnd);
    }

    const key = source.slice(keyStart, keyEnd);
    const value = unquoteValue(raw);
    if (value.includes("\0")) {
      invalidLines.push({ line, reason: `the value of ${key} contains a NUL byte, which no environment variable can hold` });
      continue;
    }
    if (spansBadLine(badUtf8Lines, line, valueEndLine)) {
      invalidLines.push({ line, reason: `the value of ${key} spans a line that is not valid UTF-8` });
      continue;
    }

    const previous = values.get(key);
    if (previous === undefined) {
      values.set(key, { key, value, line });
    } else {
      previous.value = value;
      previous.line = line;
    }
    const keyLines = assignmentLines.get(key);
    if (keyLines === undefined) {
      assignmentLines.set(key, [line]);
    } else {
      keyLines.push(line);
    }
  }

  const duplicates: Array<{ key: string; lines: number[] }> = [];
  for (const [key, keyLines] of assignmentLines) {
    if (keyLines.length > 1) {
      duplicates.push({ key, lines: keyLines });
    }
  }
  invalidLines.sort((left, right) => left.line - right.line);
  return { entries: [...values.values()], duplicates, invalidLines, warnings };
}

function spansBadLine(badLines: Set<number>, firstLine: number, lastLine: number): boolean {
  if (badLines.size === 0) {
    return false;
  }
  for (let line = firstLine; line <= lastLine; line++) {
    if (badLines.has(line)) {
      return true;
    }
  }
  return false;
}
