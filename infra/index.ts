/**
 * Pulumi entry point. The CLI calls the exported function; its result becomes the stack outputs.
 *
 * The plan comes from the stack file (validated before any resource is declared); secret values come from the
 * stack config that the CLI decrypts, read only as secret Outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStack } from "./core/load";
import { PROJECT_ROOT } from "./core/project";
import { configValueSource, declareStack } from "./pulumi/program";

export = async (): Promise<Record<string, unknown>> => {
  const { plan } = loadStack(pulumi.getStack(), { root: PROJECT_ROOT });
  return declareStack(plan, configValueSource(new pulumi.Config())).outputs;
};
