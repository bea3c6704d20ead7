/**
 * Offline model of Vault's ACL policy evaluation. Behaviour follows Vault as of 2026, the 1.21 / 2.0
 * line with the LIST deny-bypass fix and the templated-wildcard fix. The header of `acl.ts` lists
 * where versions differ and which older behaviour can still be selected.
 */
export {
  type Acl,
  type AclRequest,
  capabilities,
  compileAcl,
  type CompiledRule,
  type CompileOptions,
  type Decision,
  type DroppedRule,
  evaluate,
  type EvaluateOptions,
  globbedStringMatches,
  type ListAlgorithm,
  mountAccess,
  type Operation,
  OPERATIONS,
  rootPrivileges,
  selectRule,
} from "./acl";
export { DEFAULT_POLICY_TEXT, defaultPolicy, isRootProtectedPath, ROOT_PROTECTED_PATHS, rootPolicy } from "./builtin";
export {
  type AclCase,
  type CaseCheck,
  CaseFileError,
  type CheckResult,
  identitySchema,
  loadCaseFile,
  type RunSummary,
  runCases,
  validateCases,
} from "./cases";
export {
  CAPABILITY_NAMES,
  type Capability,
  classifyPattern,
  type PathRule,
  type Permissions,
  type Policy,
  PolicyParseError,
  parsePolicy,
  sanitizePolicyName,
} from "./policy";
export {
  type Identity,
  type IdentityAlias,
  type IdentityEntity,
  type IdentityGroup,
  parseDurationSeconds,
  renderTemplate,
  type RenderResult,
  TEMPLATE_ERRORS,
  type TemplateOptions,
} from "./template";
