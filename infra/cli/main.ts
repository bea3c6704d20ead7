import { type CliIo, type Command, processIo } from "./io";

const USAGE = `usage: gbo-vault <command> [options]
       gbo-vault --help | --version

commands:
  render <stack> [--format text|json|markdown]   print the stack's Vault layout, offline
  verify <stack> [--format text|json|markdown] [--json] [--strict]
                                                 prove the stack's access model offline
  acl test FILE... [--json]                      run Vault ACL case files
  acl capabilities --policy FILE... [--identity FILE] [--default-policy] [--json] PATH
                                                 print the capabilities on PATH, offline
  migrate-env <stack> --env-file FILE [--write [--overwrite]] [--json]
                                                 map a .env file onto stack config; --write sets it
  migrate-vault <stack> [--json]                 plan moving the old flat Vault layout, offline
  diff <stack> --base REF [--format text|markdown|json] [--fail-on-destructive] [--allow FILE]
                                                 compare the stack with a git revision, offline

Every command takes --help, and the stack commands take --root DIR (the folder with Pulumi.yaml).
Exit status: 0 success, 1 a failed check, 2 a usage or input error.
`;

/**
 * Loads each command lazily, so `render` does not pay for modules it never uses. `require` rather than `import()`
 * because the CLI runs as CommonJS under tsx, which leaves `import()` to the ESM loader.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  render: async () => (require("./render") as typeof import("./render")).renderCommand,
  verify: async () => (require("./verify") as typeof import("./verify")).verifyCommand,
  acl: async () => (require("../acl/cli") as typeof import("../acl/cli")).aclCommand,
  "migrate-env": async () => (require("./migrate-env") as typeof import("./migrate-env")).migrateEnvCommand,
  "migrate-vault": async () => (require("./migrate-vault") as typeof import("./migrate-vault")).migrateVaultCommand,
  diff: async () => (require("./diff") as typeof import("./diff")).diffCommand,
};

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(USAGE);
    return 2;
  }
  if (name === "-h" || name === "--help" || name === "help") {
    io.stdout(USAGE);
    return 0;
  }
  if (name === "--version" || name === "-V") {
    io.stdout(`gbo-vault ${(require("../../package.json") as { version: string }).version}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    io.stderr(`gbo-vault: unknown command "${name}"\n${USAGE}`);
    return 2;
  }
  const command = await load();
  return command(rest, io);
}
