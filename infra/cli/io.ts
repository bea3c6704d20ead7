/** Output streams of one CLI run, so commands can be tested in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Working directory that relative file arguments resolve against. */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    cwd: process.cwd(),
    env: process.env,
  };
}

/** A command returns its exit code: 0 success, 1 a failed check, 2 a usage or input error. */
export type Command = (args: string[], io: CliIo) => Promise<number>;
