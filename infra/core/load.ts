/** Loads one stack end to end: catalog, validated settings and plan. */
import { loadLegacy } from "../migrate/legacy";
import { type Catalog, loadCatalog } from "./catalog";
import { buildPlan, type Plan } from "./plan";
import { loadProject, PROJECT_ROOT } from "./project";
import { loadStackSettings, type StackSettings } from "./settings";

export interface LoadedStack {
  catalog: Catalog;
  settings: StackSettings;
  plan: Plan;
}

export interface LoadStackOptions {
  /** Project root that contains `Pulumi.yaml`; defaults to this repository. */
  root?: string;
  /** Folder of the catalog files; defaults to `<root>/config`. */
  configDir?: string;
  /** Replaces the stack file's text. */
  stackText?: string;
}

export function loadStack(stack: string, options: LoadStackOptions = {}): LoadedStack {
  const root = options.root ?? PROJECT_ROOT;
  // The project file first: a wrong root then reads as a missing Pulumi.yaml, not as a broken catalog.
  loadProject(root);
  const catalog = loadCatalog(options.configDir ?? `${root}/config`);
  const configDir = options.configDir ?? `${root}/config`;
  const settings = loadStackSettings(stack, { root, catalog, stackText: options.stackText });
  const legacy = settings.legacyLayout ? loadLegacy(configDir, catalog).vault : [];
  return { catalog, settings, plan: buildPlan(settings, catalog, legacy) };
}
