/** A small argument parser: positionals, `--flag`, `--option value` and `--option=value`. */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface ParsedArgs {
  positionals: string[];
  options: Record<string, string[]>;
  flags: Set<string>;
}

/**
 * Parses `args`. `valued` lists options that take a value (repeatable); `flags` lists boolean flags. Any other
 * `--name` is a usage error.
 */
export function parseArgs(args: string[], spec: { valued?: string[]; flags?: string[] }): ParsedArgs {
  const valued = new Set(spec.valued ?? []);
  const flagNames = new Set(spec.flags ?? []);
  const result: ParsedArgs = { positionals: [], options: {}, flags: new Set() };
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    if (arg === "--") {
      result.positionals.push(...args.slice(index + 1));
      break;
    }
    if (arg === "-h" && flagNames.has("help")) {
      result.flags.add("help");
      continue;
    }
    if (arg.startsWith("-") && !arg.startsWith("--") && arg !== "-") {
      throw new UsageError(`unknown option ${arg}`);
    }
    if (!arg.startsWith("--") || arg === "-") {
      result.positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf("=");
    const name = arg.slice(2, equals < 0 ? undefined : equals);
    if (flagNames.has(name)) {
      if (equals >= 0) throw new UsageError(`option --${name} takes no value`);
      result.flags.add(name);
    } else if (valued.has(name)) {
      let value: string | undefined;
      if (equals >= 0) value = arg.slice(equals + 1);
      else {
        value = args[index + 1];
        index += 1;
      }
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
      (result.options[name] ??= []).push(value);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return result;
}

/** Returns the single value of an option, its default, or throws when it was given twice. */
export function single(parsed: ParsedArgs, name: string, fallback?: string): string | undefined {
  const values = parsed.options[name];
  if (values === undefined) return fallback;
  if (values.length > 1) throw new UsageError(`option --${name} was given ${values.length} times`);
  return values[0];
}
