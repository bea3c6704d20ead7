/**
 * Pulumi's passphrase secrets provider, compatible with the values the Pulumi CLI writes.
 *
 * Format, as implemented in pulumi/pulumi `pkg/secrets/passphrase/manager.go` and
 * `sdk/go/common/resource/config/crypt.go`:
 * - key: PBKDF2-HMAC-SHA256 over the UTF-8 passphrase, 1,000,000 iterations, 32 bytes, 8-byte random salt;
 * - cipher: AES-256-GCM with a 12-byte random nonce and no additional data;
 * - a `secure:` value is `v1:<base64 nonce>:<base64 ciphertext || 16-byte tag>` in standard padded base64;
 * - a stack's `encryptionsalt` is `v1:<base64 salt>:` followed by the encryption of the literal `pulumi`,
 *   which is how a wrong passphrase is detected before any secret is decrypted.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes } from "crypto";
import { readFileSync } from "fs";
import { resolve } from "path";
import { promisify } from "util";

const PBKDF2_ITERATIONS = 1_000_000;
const KEY_BYTES = 32;
const SALT_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = "v1";
const CHECK_PLAINTEXT = "pulumi";

/** Maximum number of derived keys kept in the in-process cache. The oldest entry is evicted first. */
const KEY_CACHE_MAX_ENTRIES = 64;

/** Domain-separation key of {@link fingerprint}. Changing it changes every fingerprint ever reported. */
export const FINGERPRINT_HMAC_KEY = "gbo-vault/secret-fingerprint/v1";

const PASSPHRASE_HELP =
  "Set PULUMI_CONFIG_PASSPHRASE to the stack's passphrase, or PULUMI_CONFIG_PASSPHRASE_FILE to the path of a file " +
  "that contains it.";

/** Error raised when a passphrase does not decrypt a stack's `encryptionsalt` check value. */
export class IncorrectPassphraseError extends Error {
  constructor() {
    super(`incorrect passphrase: it does not decrypt the stack's encryptionsalt. ${PASSPHRASE_HELP}`);
    this.name = "IncorrectPassphraseError";
  }
}

/** Error raised for an `encryptionsalt` or `secure:` value that is malformed, tampered with or undecryptable. */
export class InvalidCiphertextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidCiphertextError";
  }
}

/** Error raised when PULUMI_CONFIG_PASSPHRASE_FILE names a file that cannot be read. */
export class PassphraseFileError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`failed to read PULUMI_CONFIG_PASSPHRASE_FILE ${JSON.stringify(path)}: ${reason}`, { cause });
    this.name = "PassphraseFileError";
  }
}

const pbkdf2Async = promisify(pbkdf2);

/**
 * Derived keys, keyed by a SHA-256 digest of (salt, passphrase) so that the map keys do not hold the passphrase
 * in plain text. The cached keys are as sensitive as the passphrase and live for the lifetime of the process.
 */
const keyCache = new Map<string, Buffer>();

function keyCacheId(passphrase: string, salt: Buffer): string {
  return createHash("sha256")
    .update(salt.toString("base64"))
    .update("\0")
    .update(passphrase, "utf8")
    .digest("base64");
}

function rememberKey(id: string, key: Buffer): void {
  keyCache.delete(id);
  keyCache.set(id, key);
  if (keyCache.size > KEY_CACHE_MAX_ENTRIES) {
    const oldest = keyCache.keys().next().value;
    if (oldest !== undefined) {
      keyCache.delete(oldest);
    }
  }
}

function deriveKeySync(passphrase: string, salt: Buffer): Buffer {
  const id = keyCacheId(passphrase, salt);
  const cached = keyCache.get(id);
  if (cached !== undefined) {
    return cached;
  }
  const key = pbkdf2Sync(passphrase, salt, PBKDF2_ITERATIONS, KEY_BYTES, "sha256");
  rememberKey(id, key);
  return key;
}

async function deriveKeyAsync(passphrase: string, salt: Buffer): Promise<Buffer> {
  const id = keyCacheId(passphrase, salt);
  const cached = keyCache.get(id);
  if (cached !== undefined) {
    return cached;
  }
  const key = await pbkdf2Async(passphrase, salt, PBKDF2_ITERATIONS, KEY_BYTES, "sha256");
  rememberKey(id, key);
  return key;
}

/** Standard base64 with padding, as Go's `base64.StdEncoding` reads it. The empty string is valid. */
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeBase64(text: string, field: string): Buffer {
  if (!STANDARD_BASE64.test(text)) {
    throw new InvalidCiphertextError(`${field} is not valid standard base64`);
  }
  return Buffer.from(text, "base64");
}

/** Split an `encryptionsalt` into its salt and the encrypted check value. */
function parseEncryptionSalt(encryptionSalt: string): { salt: Buffer; checkValue: string } {
  const first = encryptionSalt.indexOf(":");
  const second = first < 0 ? -1 : encryptionSalt.indexOf(":", first + 1);
  if (second < 0) {
    throw new InvalidCiphertextError(
      "invalid encryptionsalt: expected 'v1:<base64 salt>:<encrypted check value>' with three ':'-separated parts",
    );
  }
  const version = encryptionSalt.slice(0, first);
  if (version !== VERSION) {
    throw new InvalidCiphertextError(
      `invalid encryptionsalt: unsupported version ${JSON.stringify(version.slice(0, 16))}, expected "${VERSION}"`,
    );
  }
  const salt = decodeBase64(encryptionSalt.slice(first + 1, second), "the salt of the encryptionsalt");
  if (salt.length === 0) {
    throw new InvalidCiphertextError("invalid encryptionsalt: the salt is empty");
  }
  return { salt, checkValue: encryptionSalt.slice(second + 1) };
}

interface SealedValue {
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** Split a `v1:<nonce>:<ciphertext>` value into the nonce, the ciphertext and the GCM tag. */
function parseCiphertext(value: string): SealedValue {
  const parts = value.split(":");
  if (parts.length !== 3) {
    throw new InvalidCiphertextError(
      `invalid encrypted value: expected 'v1:<base64 nonce>:<base64 ciphertext>', found ${parts.length} ':'-separated parts`,
    );
  }
  const [version, nonceText, ciphertextText] = parts as [string, string, string];
  if (version !== VERSION) {
    throw new InvalidCiphertextError(
      `invalid encrypted value: unsupported version ${JSON.stringify(version.slice(0, 16))}, expected "${VERSION}"`,
    );
  }
  const nonce = decodeBase64(nonceText, "the nonce of the encrypted value");
  if (nonce.length !== NONCE_BYTES) {
    throw new InvalidCiphertextError(
      `invalid encrypted value: the nonce is ${nonce.length} bytes, expected ${NONCE_BYTES}`,
    );
  }
  const sealed = decodeBase64(ciphertextText, "the ciphertext of the encrypted value");
  if (sealed.length < TAG_BYTES) {
    throw new InvalidCiphertextError(
      `invalid encrypted value: the ciphertext is ${sealed.length} bytes, shorter than the ${TAG_BYTES}-byte GCM tag`,
    );
  }
  return {
    nonce,
    ciphertext: sealed.subarray(0, sealed.length - TAG_BYTES),
    tag: sealed.subarray(sealed.length - TAG_BYTES),
  };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Encrypts and decrypts Pulumi `secure:` values with a key derived from a stack passphrase.
 *
 * Instances are built with {@link PassphraseCrypter.fromEncryptionSalt} for an existing stack or
 * {@link PassphraseCrypter.create} for a new one, so a crypter always contains a key checked against its salt.
 */
export class PassphraseCrypter {
  private constructor(private readonly key: Buffer) {}

  /**
   * Derives the key for an existing stack and checks it against the `pulumi` check value.
   *
   * Throws {@link IncorrectPassphraseError} when the passphrase is wrong, and {@link InvalidCiphertextError}
   * when `encryptionSalt` is malformed.
   */
  static fromEncryptionSalt(passphrase: string, encryptionSalt: string): PassphraseCrypter {
    const { salt, checkValue } = parseEncryptionSalt(encryptionSalt);
    return PassphraseCrypter.checked(deriveKeySync(passphrase, salt), checkValue);
  }

  /** Same as {@link PassphraseCrypter.fromEncryptionSalt}, but derives the key off the main thread. */
  static async fromEncryptionSaltAsync(passphrase: string, encryptionSalt: string): Promise<PassphraseCrypter> {
    const { salt, checkValue } = parseEncryptionSalt(encryptionSalt);
    return PassphraseCrypter.checked(await deriveKeyAsync(passphrase, salt), checkValue);
  }

  /**
   * Creates a crypter with a new random salt and returns the `encryptionsalt` to store in the stack file.
   *
   * The empty passphrase is rejected: the Pulumi CLI accepts it, but it protects nothing.
   */
  static create(passphrase: string): { crypter: PassphraseCrypter; encryptionSalt: string } {
    if (passphrase === "") {
      throw new Error(
        "invalid passphrase: a new stack's passphrase must not be empty, because an empty passphrase protects " +
          `no secret. ${PASSPHRASE_HELP}`,
      );
    }
    const salt = randomBytes(SALT_BYTES);
    const crypter = new PassphraseCrypter(deriveKeySync(passphrase, salt));
    const encryptionSalt = `${VERSION}:${salt.toString("base64")}:${crypter.encrypt(CHECK_PLAINTEXT)}`;
    return { crypter, encryptionSalt };
  }

  private static checked(key: Buffer, checkValue: string): PassphraseCrypter {
    let parsed: SealedValue;
    try {
      parsed = parseCiphertext(checkValue);
    } catch (error) {
      throw new InvalidCiphertextError(`invalid encryptionsalt: ${(error as Error).message}`);
    }
    const crypter = new PassphraseCrypter(key);
    const plaintext = crypter.open(parsed);
    // Like the Pulumi CLI, any failure to recover exactly "pulumi" means the passphrase is wrong.
    if (plaintext === undefined || !plaintext.equals(Buffer.from(CHECK_PLAINTEXT))) {
      throw new IncorrectPassphraseError();
    }
    return crypter;
  }

  /** Returns the plaintext bytes, or undefined when GCM authentication fails. */
  private open(sealed: SealedValue): Buffer | undefined {
    const decipher = createDecipheriv("aes-256-gcm", this.key, sealed.nonce, { authTagLength: TAG_BYTES });
    decipher.setAuthTag(sealed.tag);
    try {
      return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  /** Encrypts a UTF-8 string to a `v1:<nonce>:<ciphertext>` value with a fresh random nonce. */
  encrypt(plaintext: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce, { authTagLength: TAG_BYTES });
    const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}:${nonce.toString("base64")}:${sealed.toString("base64")}`;
  }

  /**
   * Decrypts a `v1:<nonce>:<ciphertext>` value.
   *
   * Throws {@link InvalidCiphertextError} when the value is malformed, when GCM authentication fails (tampered
   * value or a different key) or when the plaintext is not valid UTF-8. Messages never contain the plaintext.
   */
  decrypt(ciphertext: string): string {
    const plaintext = this.open(parseCiphertext(ciphertext));
    if (plaintext === undefined) {
      throw new InvalidCiphertextError(
        "failed to decrypt the encrypted value: GCM authentication failed, so the value was modified or was " +
          "encrypted with a different passphrase or salt",
      );
    }
    try {
      return strictUtf8.decode(plaintext);
    } catch {
      throw new InvalidCiphertextError("invalid encrypted value: the decrypted bytes are not valid UTF-8");
    }
  }
}

/**
 * Whitespace that Go's `strings.TrimSpace` removes (Unicode White_Space). It differs from JavaScript's `trim`,
 * which also removes U+FEFF but keeps U+0085.
 */
const GO_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
const GO_TRIM_SPACE = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, "g");

/**
 * Reads the stack passphrase from the environment the way the Pulumi CLI does.
 *
 * PULUMI_CONFIG_PASSPHRASE wins whenever it is set, even to the empty string. Otherwise a non-empty
 * PULUMI_CONFIG_PASSPHRASE_FILE is read, relative to `cwd`, and its content is trimmed of surrounding whitespace.
 * Returns undefined when neither is set. Throws {@link PassphraseFileError} when the file cannot be read or is
 * not valid UTF-8.
 */
export function readPassphrase(env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string | undefined {
  const passphrase = env.PULUMI_CONFIG_PASSPHRASE;
  if (passphrase !== undefined) {
    return passphrase;
  }
  const file = env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (file === undefined || file === "") {
    return undefined;
  }
  const path = resolve(cwd, file);
  let content: string;
  try {
    content = strictUtf8.decode(readFileSync(path));
  } catch (error) {
    throw new PassphraseFileError(path, error);
  }
  return content.replace(GO_TRIM_SPACE, "");
}

/**
 * Returns a short, stable fingerprint of a value for reports: `sha256:` and the first 12 hex digits of
 * HMAC-SHA256 keyed with `key`, or with the public {@link FINGERPRINT_HMAC_KEY} when no key is given.
 *
 * With the public key it tells whether two values are equal but does not hide them: anyone can brute-force a
 * low-entropy value (a port, a short password) from 48 bits of a public-key HMAC. Pass
 * {@link fingerprintKey} of the stack passphrase for secret values, so only holders of the passphrase can.
 */
export function fingerprint(value: string, key: string = FINGERPRINT_HMAC_KEY): string {
  const digest = createHmac("sha256", key).update(value, "utf8").digest("hex");
  return `sha256:${digest.slice(0, 12)}`;
}

/** Derives the fingerprint key of a stack passphrase; fingerprints made with it are comparable per passphrase. */
export function fingerprintKey(passphrase: string): string {
  return createHash("sha256").update(`${FINGERPRINT_HMAC_KEY}\0${passphrase}`, "utf8").digest("hex");
}
