/** Reporting of the input errors that every stack command shares. */
import { PlanError } from "../core/plan";
import { StackConfigError } from "../core/settings";
import { SourceError } from "../core/yamlfile";

/** Prints a load error in a form that names the file, line, key and fix; returns the exit code 2. */
export function reportLoadError(error: unknown, write: (text: string) => void): number {
  if (error instanceof StackConfigError || error instanceof SourceError || error instanceof PlanError) {
    write(`gbo-vault: ${error.message}\n`);
    return 2;
  }
  throw error;
}
