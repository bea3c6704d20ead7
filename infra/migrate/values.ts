/**
 * Checks on single environment values: splitting URLs into catalog keys, rejecting values a key cannot hold,
 * and spotting values that look like credentials. Messages name parts and rules, never the value.
 */
import type { SplitKind } from "./legacy";

/** Maximum length of one migrated value, in UTF-8 bytes. A PEM private key is a few kilobytes. */
export const MAX_VALUE_BYTES = 64 * 1024;

export interface SplitResult {
  /** Parts found in the value, by part name (`host`, `port`, ...). Missing parts are absent. */
  parts: Partial<Record<string, string>>;
  /** Reason the value cannot be split; when set, `parts` is empty. */
  problem?: string;
  /** Parts of the value that no catalog key holds, for a warning. */
  dropped: string[];
}

const SCHEMES: Record<SplitKind, readonly string[]> = {
  "postgres-url": ["postgres:", "postgresql:"],
  "redis-url": ["redis:", "rediss:", "valkey:", "valkeys:"],
  endpoint: ["http:", "https:"],
};

/** Splits a URL-valued variable into the parts of `kind`; never throws and never echoes the value. */
export function splitValue(kind: SplitKind, value: string): SplitResult {
  const text = kind === "endpoint" && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? `http://${value}` : value;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { parts: {}, dropped: [], problem: `is not a valid URL of the form ${example(kind)}` };
  }
  if (!SCHEMES[kind].includes(url.protocol)) {
    return {
      parts: {},
      dropped: [],
      problem: `has an unsupported scheme, expected ${SCHEMES[kind].map((scheme) => `${scheme}//`).join(" or ")}`,
    };
  }
  const parts: Partial<Record<string, string>> = {};
  const dropped: string[] = [];
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host !== "") parts.host = host;
  if (url.port !== "") {
    const problem = portProblem(url.port);
    if (problem !== undefined) return { parts: {}, dropped: [], problem: `has a port that ${problem}` };
    parts.port = url.port;
  } else if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:(?:[/?#]|$)/i.test(text)) {
    return { parts: {}, dropped: [], problem: "has an empty port after ':'" };
  }
  let decoded: { username: string; password: string; path: string };
  try {
    decoded = {
      username: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      path: decodeURIComponent(url.pathname.replace(/^\//, "")),
    };
  } catch {
    return { parts: {}, dropped: [], problem: "has a malformed percent-escape in its user, password or path" };
  }
  if (kind === "postgres-url") {
    if (decoded.username !== "") parts.username = decoded.username;
    if (decoded.password !== "") parts.password = decoded.password;
    if (decoded.path !== "") parts.database = decoded.path;
  } else if (kind === "redis-url") {
    if (decoded.password !== "") parts.password = decoded.password;
    if (decoded.username !== "" && decoded.username !== "default") dropped.push("the ACL user name");
    if (decoded.path !== "") dropped.push("the database number");
    if (url.protocol === "rediss:" || url.protocol === "valkeys:") dropped.push("the TLS scheme");
  } else {
    if (url.username !== "" || url.password !== "") dropped.push("the user and password");
    if (decoded.path !== "") dropped.push("the path");
    if (url.protocol === "https:") dropped.push("the https scheme (the app builds http://host:port)");
  }
  if (url.search !== "") dropped.push("the query parameters");
  if (host === "") dropped.push("a host given as a socket path or query parameter (the catalog needs a host name)");
  return { parts, dropped };
}

function example(kind: SplitKind): string {
  switch (kind) {
    case "postgres-url":
      return "postgres://user:password@host:5432/database";
    case "redis-url":
      return "redis://:password@host:6379";
    case "endpoint":
      return "[http://]host[:port]";
  }
}

function portProblem(port: string): string | undefined {
  if (!/^\d{1,5}$/.test(port)) return "is not a whole number";
  const number = Number(port);
  if (number < 1 || number > 65_535) return `is ${number}, outside 1-65535`;
  return undefined;
}

/** Returns why `value` cannot be stored under catalog key `key`, or undefined when it can. */
export function valueProblem(key: string, value: string): string | undefined {
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_VALUE_BYTES) return `is ${bytes} bytes long, more than the ${MAX_VALUE_BYTES}-byte limit for one value`;
  if (key === "port" || key.endsWith("-port")) {
    const problem = portProblem(value.trim());
    if (problem !== undefined) return `is not a valid port: it ${problem}`;
    if (value.trim() !== value) return "is not a valid port: it has surrounding whitespace";
  }
  return undefined;
}

const TOKEN_PREFIXES: Array<[RegExp, string]> = [
  [/^sk-[A-Za-z0-9_-]{16,}/, "starts with sk-, like an OpenAI or Anthropic API key"],
  [/^(?:ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}/, "looks like a GitHub token"],
  [/^glpat-[A-Za-z0-9_-]{20,}/, "looks like a GitLab token"],
  [/^xox[abpr]-[A-Za-z0-9-]{10,}/, "looks like a Slack token"],
  [/^AKIA[0-9A-Z]{16}$/, "looks like an AWS access key id"],
  [/^AIza[0-9A-Za-z_-]{35}$/, "looks like a Google API key"],
  [/^gsk_[A-Za-z0-9]{20,}/, "looks like a Groq API key"],
  [/^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./, "looks like a JSON Web Token"],
];

/** Returns why `value` looks like a credential, or undefined. Heuristic: false positives are possible. */
export function credentialHint(value: string): string | undefined {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return "contains a PEM private key";
  for (const [pattern, hint] of TOKEN_PREFIXES) {
    if (pattern.test(value)) return hint;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:[^/@\s]+@/i.test(value)) return "is a URL with a password in it";
  if (/(?:password|passwd|pwd|secret|token)=[^&\s]+/i.test(value)) return "contains a password or token parameter";
  if (value.length >= 20 && !/\s/.test(value) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const entropy = shannonEntropy(value);
    if (entropy >= 3.5 && /[0-9]/.test(value) && /[A-Za-z]/.test(value)) {
      return `is a ${value.length}-character token with high entropy (${entropy.toFixed(1)} bits per character)`;
    }
  }
  return undefined;
}

function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  const length = [...text].length;
  for (const count of counts.values()) {
    const p = count / length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}
