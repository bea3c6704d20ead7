/**
 * Secret and setting values that changed between two revisions, reported by fingerprint only. `secure:`
 * values are decrypted with each revision's own `encryptionsalt` when a passphrase is available, so a value
 * encrypted again with a fresh nonce is not reported as a change.
 */
import { parse } from "yaml";
import type { Plan } from "../core/plan";
import { fingerprint, fingerprintKey, IncorrectPassphraseError, InvalidCiphertextError, PassphraseCrypter } from "../core/passphrase";
import { isSecureLeaf } from "../core/settings";

type Leaf = { kind: "secure"; ciphertext: string } | { kind: "plain"; value: string };

/** One value of the stack: a key of a managed secret, or the OIDC client secret. */
interface ValueSlot {
  /** Location in Vault, for example `secret/gbo/system/jwt` key `secret`. */
  location: string;
  key: string;
  configKey: string;
  leaf: Leaf;
}

export type ValueChangeKind =
  /** Both sides known and different. */
  | "changed"
  /** Only head has a value. */
  | "set"
  /** Only base has a value. */
  | "unset"
  /** Ciphertexts differ and there is no passphrase (or a wrong one) to compare the plaintexts. */
  | "re-encrypted or changed (no passphrase to tell)";

export interface ValueChange {
  location: string;
  key: string;
  configKey: string;
  change: ValueChangeKind;
  /** Fingerprints from `fingerprint()`, or `encrypted` when the value could not be decrypted. */
  before?: string;
  after?: string;
  /** Storage of the value in the stack file at each revision: `secure` or `plain`. */
  storedBefore?: "secure" | "plain";
  storedAfter?: "secure" | "plain";
}

export interface ValueDiff {
  changes: ValueChange[];
  /** Values whose ciphertext changed but whose plaintext is the same. */
  reEncryptedUnchanged: number;
  /** True when a passphrase was used to compare encrypted values. */
  decrypted: boolean;
  /** Problems that limited the comparison, such as a passphrase that does not fit one revision. */
  notes: string[];
}

interface StackDocument {
  encryptionsalt?: string;
  config: Record<string, unknown>;
}

function readDocument(text: string | undefined): StackDocument | undefined {
  if (text === undefined) return undefined;
  const document = (parse(text) ?? {}) as { encryptionsalt?: unknown; config?: unknown };
  const config = typeof document.config === "object" && document.config !== null ? (document.config as Record<string, unknown>) : {};
  return { encryptionsalt: typeof document.encryptionsalt === "string" ? document.encryptionsalt : undefined, config };
}

function toLeaf(node: unknown): Leaf | undefined {
  if (node === undefined || node === null) return undefined;
  if (isSecureLeaf(node)) return { kind: "secure", ciphertext: node.secure };
  if (typeof node === "object") return { kind: "plain", value: JSON.stringify(node) };
  return { kind: "plain", value: String(node) };
}

function configNode(document: StackDocument, project: string, configKey: string, inner: readonly string[]): unknown {
  let node: unknown = document.config[`${project}:${configKey}`] ?? document.config[configKey];
  for (const part of inner) {
    if (typeof node !== "object" || node === null || Array.isArray(node) || isSecureLeaf(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Lists every value that the plan writes to Vault, with its leaf in the stack file. */
function valueSlots(plan: Plan | undefined, document: StackDocument | undefined): Map<string, ValueSlot> {
  const slots = new Map<string, ValueSlot>();
  if (plan === undefined || document === undefined) return slots;
  for (const secret of plan.secrets) {
    for (const key of secret.keys) {
      if (key.status === "missing") continue;
      const leaf =
        key.source.literal !== undefined
          ? ({ kind: "plain", value: key.source.literal } as const)
          : toLeaf(configNode(document, plan.project, key.source.configKey, key.source.path));
      if (leaf === undefined) continue;
      const location = `${secret.mount}/${secret.path}`;
      // Keyed without the mount, so moving the mount alone does not make every value look new.
      slots.set(`${secret.path}\u0000${key.name}`, { location, key: key.name, configKey: key.configKey, leaf });
    }
  }
  for (const backend of plan.authBackends) {
    if (backend.oidc === undefined || backend.oidc.clientSecret === "missing") continue;
    const leaf = toLeaf(configNode(document, plan.project, "oidcClientSecret", []));
    if (leaf === undefined) continue;
    const location = `auth/${backend.path}`;
    slots.set(`auth\u0000oidc_client_secret`, {
      location,
      key: "oidc_client_secret",
      configKey: `${plan.project}:oidcClientSecret`,
      leaf,
    });
  }
  return slots;
}

/** Decrypts one revision's values, deriving its key only when a comparison needs it. */
/** The passphrase does not open the working tree's stack file, or one of its values is corrupt; exit 2. */
export class StackDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackDecryptionError";
  }
}

/**
 * Decrypts the secure values of one revision. For the working tree (`strict`) a wrong passphrase or a corrupt
 * value is an input error. The base may have used another passphrase, so there it only becomes a note.
 */
class RevisionDecryptor {
  private crypter: PassphraseCrypter | undefined;
  private failed = false;

  constructor(
    private readonly label: string,
    private readonly document: StackDocument | undefined,
    private readonly passphrase: string | undefined,
    private readonly notes: string[],
    private readonly strict = false,
  ) {}

  /** Opens the stack file's encryptionsalt now, so a wrong passphrase is reported even when no value changed. */
  check(): void {
    if (this.passphrase !== undefined && this.document?.encryptionsalt !== undefined) this.decrypt(undefined);
  }

  /** Returns the plaintext, or undefined when this revision cannot be decrypted. */
  decrypt(ciphertext: string | undefined, configKey?: string): string | undefined {
    if (this.passphrase === undefined || this.failed) return undefined;
    if (this.crypter === undefined) {
      const salt = this.document?.encryptionsalt;
      if (salt === undefined) {
        this.fail(`the ${this.label} stack file has no encryptionsalt, so its secure values cannot be decrypted with a passphrase`);
        return undefined;
      }
      try {
        this.crypter = PassphraseCrypter.fromEncryptionSalt(this.passphrase, salt);
      } catch (error) {
        if (error instanceof IncorrectPassphraseError || error instanceof InvalidCiphertextError) {
          const message = `the passphrase does not decrypt the ${this.label} stack file's encryptionsalt`;
          if (this.strict) throw new StackDecryptionError(`${message}; set PULUMI_CONFIG_PASSPHRASE to the stack's passphrase`);
          this.fail(`${message}, so its values are compared by ciphertext only`);
          return undefined;
        }
        throw error;
      }
    }
    if (ciphertext === undefined) return undefined;
    try {
      return this.crypter.decrypt(ciphertext);
    } catch (error) {
      if (error instanceof InvalidCiphertextError) {
        const message = `the secure value of ${configKey ?? "a key"} in the ${this.label} stack file cannot be decrypted: ${error.message}`;
        if (this.strict) throw new StackDecryptionError(`${message}; set it again with pulumi config set --secret`);
        this.notes.push(message);
        return undefined;
      }
      throw error;
    }
  }

  private fail(note: string): void {
    this.failed = true;
    this.notes.push(note);
  }
}

/**
 * Compares the values that two revisions write. `passphrase` comes from `readPassphrase`; without one, a
 * changed ciphertext is reported as possibly unchanged.
 */
export function diffValues(
  base: { plan: Plan | undefined; stackText: string | undefined },
  head: { plan: Plan; stackText: string },
  passphrase: string | undefined,
): ValueDiff {
  const notes: string[] = [];
  const baseDocument = readDocument(base.stackText);
  const headDocument = readDocument(head.stackText);
  const baseSlots = valueSlots(base.plan, baseDocument);
  const headSlots = valueSlots(head.plan, headDocument);
  const baseDecryptor = new RevisionDecryptor("base", baseDocument, passphrase, notes);
  const headDecryptor = new RevisionDecryptor("working tree", headDocument, passphrase, notes, true);
  headDecryptor.check();
  const plaintext = (leaf: Leaf, decryptor: RevisionDecryptor, configKey?: string): string | undefined =>
    leaf.kind === "plain" ? leaf.value : decryptor.decrypt(leaf.ciphertext, configKey);
  // Values stored encrypted are fingerprinted with a key derived from the passphrase, so readers of a
  // pull-request comment who lack it cannot brute-force short secrets. Plain values use the public key.
  const secretKey = passphrase === undefined ? undefined : fingerprintKey(passphrase);
  const fingerprintOrEncrypted = (value: string | undefined): string => (value === undefined ? "encrypted" : fingerprint(value, secretKey));

  const changes: ValueChange[] = [];
  let reEncryptedUnchanged = 0;
  for (const [id, after] of headSlots) {
    const before = baseSlots.get(id);
    if (before === undefined) {
      const value = plaintext(after.leaf, headDecryptor, after.configKey);
      const shown = after.leaf.kind === "plain" ? fingerprint(after.leaf.value) : fingerprintOrEncrypted(value);
      changes.push({ location: after.location, key: after.key, configKey: after.configKey, change: "set", after: shown, storedAfter: after.leaf.kind });
      continue;
    }
    const common = { location: after.location, key: after.key, configKey: after.configKey, storedBefore: before.leaf.kind, storedAfter: after.leaf.kind };
    if (before.leaf.kind === "secure" && after.leaf.kind === "secure" && before.leaf.ciphertext === after.leaf.ciphertext) continue;
    if (before.leaf.kind === "plain" && after.leaf.kind === "plain") {
      if (before.leaf.value !== after.leaf.value) {
        changes.push({ ...common, change: "changed", before: fingerprint(before.leaf.value), after: fingerprint(after.leaf.value) });
      }
      continue;
    }
    const beforeValue = plaintext(before.leaf, baseDecryptor, before.configKey);
    const afterValue = plaintext(after.leaf, headDecryptor, after.configKey);
    if (beforeValue === undefined || afterValue === undefined) {
      changes.push({ ...common, change: "re-encrypted or changed (no passphrase to tell)", before: fingerprintOrEncrypted(beforeValue), after: fingerprintOrEncrypted(afterValue) });
    } else if (beforeValue !== afterValue) {
      changes.push({ ...common, change: "changed", before: fingerprint(beforeValue, secretKey), after: fingerprint(afterValue, secretKey) });
    } else {
      // The same plaintext, encrypted again or moved between plain text and a secure value, writes nothing new to Vault.
      reEncryptedUnchanged += 1;
    }
  }
  for (const [id, before] of baseSlots) {
    if (headSlots.has(id)) continue;
    const value = plaintext(before.leaf, baseDecryptor);
    changes.push({ location: before.location, key: before.key, configKey: before.configKey, change: "unset", before: fingerprintOrEncrypted(value), storedBefore: before.leaf.kind });
  }
  // Code-unit order, as `<` compares strings, so the output does not depend on the machine's locale.
  const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  changes.sort((a, b) => compare(a.location, b.location) || compare(a.key, b.key));
  return { changes, reEncryptedUnchanged, decrypted: passphrase !== undefined, notes: [...new Set(notes)] };
}
