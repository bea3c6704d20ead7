/** Runs the gbo-vault CLI in-process and captures what it prints, for tests of several commands. */
import { main } from "../infra/cli/main";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with `env` as its whole environment. */
export async function run(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    cwd,
    env,
  });
  return { code, stdout, stderr };
}
