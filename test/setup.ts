// The CLI loads its commands with require(); this hook lets require() load TypeScript inside vitest as it
// does under bin/gbo-vault.js.
require("tsx/cjs");
