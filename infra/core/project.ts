/** Reading `Pulumi.yaml`: the project name, the stack config folder and the typed config defaults. */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { SourceError, validateYaml, YamlSource } from "./yamlfile";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

const configEntry = z.looseObject({
  type: z.enum(["string", "integer", "boolean", "array", "object"]).optional(),
  description: z.string().optional(),
  default: z.unknown().optional(),
  value: z.unknown().optional(),
  secret: z.boolean().optional(),
  items: z.unknown().optional(),
});

const projectSchema = z.looseObject({
  name: z.string().min(1),
  runtime: z.union([z.string(), z.looseObject({ name: z.string() })]),
  main: z.string().optional(),
  stackConfigDir: z.string().optional(),
  config: z.record(z.string(), configEntry).optional(),
});

export interface ProjectFile {
  root: string;
  name: string;
  stackConfigDir: string;
  /** Config keys declared in `Pulumi.yaml`, without the project namespace, with their type and default. */
  config: Record<string, z.infer<typeof configEntry>>;
}

export function loadProject(root: string = PROJECT_ROOT): ProjectFile {
  const file = path.join(root, "Pulumi.yaml");
  if (!existsSync(file)) {
    throw new SourceError(
      [{ file, at: "", message: "not found; pass --root the project folder that contains Pulumi.yaml, config/ and stacks/" }],
      `no Pulumi.yaml in ${root}`,
    );
  }
  const source = YamlSource.read(file, "Pulumi.yaml");
  const project = validateYaml(source, projectSchema, "Pulumi project file");
  const config: ProjectFile["config"] = {};
  for (const [key, entry] of Object.entries(project.config ?? {})) {
    const bare = key.startsWith(`${project.name}:`) ? key.slice(project.name.length + 1) : key;
    config[bare.includes(":") ? key : bare] = entry;
  }
  return { root, name: project.name, stackConfigDir: project.stackConfigDir ?? ".", config };
}

/** Returns the path of a stack's config file, `<root>/<stackConfigDir>/Pulumi.<stack>.yaml`. */
export function stackFilePath(project: ProjectFile, stack: string): string {
  return path.join(project.root, project.stackConfigDir, `Pulumi.${stack}.yaml`);
}
