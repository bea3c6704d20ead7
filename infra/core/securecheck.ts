/** Decrypts every `secure:` value of a stack file, to find corrupt values before `pulumi up` does. */
import { IncorrectPassphraseError, InvalidCiphertextError, PassphraseCrypter } from "./passphrase";
import { isSecureLeaf } from "./settings";
import { formatPath, YamlSource } from "./yamlfile";

export interface SecureValueProblem {
  /** Config key and path, for example `gbo-vault:infrastructure.tables.password`, or `encryptionsalt`. */
  key: string;
  line?: number;
  message: string;
}

/** Returns a problem for each secure value that `passphrase` cannot decrypt; never returns a plaintext. */
export function checkSecureValues(source: YamlSource, passphrase: string): SecureValueProblem[] {
  const document = (source.toJS() ?? {}) as { encryptionsalt?: unknown; config?: Record<string, unknown> };
  if (typeof document.encryptionsalt !== "string") return [];
  let crypter: PassphraseCrypter;
  try {
    crypter = PassphraseCrypter.fromEncryptionSalt(passphrase, document.encryptionsalt);
  } catch (error) {
    if (error instanceof IncorrectPassphraseError || error instanceof InvalidCiphertextError) {
      return [
        {
          key: "encryptionsalt",
          line: source.lineOf(["encryptionsalt"]),
          message: "the passphrase in PULUMI_CONFIG_PASSPHRASE (or its file) does not open this stack file",
        },
      ];
    }
    throw error;
  }
  const problems: SecureValueProblem[] = [];
  const walk = (value: unknown, path: Array<string | number>): void => {
    if (isSecureLeaf(value)) {
      try {
        crypter.decrypt(value.secure);
      } catch (error) {
        if (!(error instanceof InvalidCiphertextError)) throw error;
        problems.push({
          key: formatPath(path.slice(1)),
          line: source.lineOf(path),
          message: `the secure value cannot be decrypted (${error.message}); set it again with pulumi config set --secret`,
        });
      }
      return;
    }
    if (Array.isArray(value)) value.forEach((inner, index) => walk(inner, [...path, index]));
    else if (typeof value === "object" && value !== null) {
      for (const [key, inner] of Object.entries(value)) walk(inner, [...path, key]);
    }
  };
  walk(document.config ?? {}, ["config"]);
  return problems;
}
