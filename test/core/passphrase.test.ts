import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { afterAll, describe, expect, it } from "vitest";
import {
  FINGERPRINT_HMAC_KEY,
  IncorrectPassphraseError,
  InvalidCiphertextError,
  PassphraseCrypter,
  PassphraseFileError,
  fingerprint,
  fingerprintKey,
  readPassphrase,
} from "../../infra/core/passphrase";

// Public vectors from the Pulumi repository: pkg/secrets/passphrase/manager_test.go (vector 1) and
// tests/roundtrip/roundtrip_test.go (vector 2).
const VECTOR_1 = {
  passphrase: "password",
  encryptionSalt: "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==",
};
const VECTOR_2 = {
  passphrase: "TestConfigRoundtripComments",
  encryptionSalt: "v1:ThS5UPxP9qc=:v1:UZYAXF+ylaJ0rGhv:9OTvBnOEDFgxs7btjzSu+LZ470vLpg==",
  secure: "v1:T1ftqhY0hqr+EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA==",
  plaintext: "secret-value",
};

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the action to throw");
}

describe("PassphraseCrypter public vectors", () => {
  it("vector 1 accepts password", () => {
    const crypter = PassphraseCrypter.fromEncryptionSalt(VECTOR_1.passphrase, VECTOR_1.encryptionSalt);
    const checkValue = VECTOR_1.encryptionSalt.slice("v1:fozI5u6B030=:".length);
    expect(crypter.decrypt(checkValue)).toBe("pulumi");
  });

  it("vector 1 rejects empty passphrase", () => {
    expect(() => PassphraseCrypter.fromEncryptionSalt("", VECTOR_1.encryptionSalt)).toThrow(IncorrectPassphraseError);
  });

  it("vector 2 decrypts secure value", () => {
    const crypter = PassphraseCrypter.fromEncryptionSalt(VECTOR_2.passphrase, VECTOR_2.encryptionSalt);
    expect(crypter.decrypt(VECTOR_2.secure)).toBe(VECTOR_2.plaintext);
  });

  it("async variant matches sync", async () => {
    const crypter = await PassphraseCrypter.fromEncryptionSaltAsync(VECTOR_2.passphrase, VECTOR_2.encryptionSalt);
    expect(crypter.decrypt(VECTOR_2.secure)).toBe(VECTOR_2.plaintext);
  });

  it("async variant rejects wrong passphrase", async () => {
    await expect(
      PassphraseCrypter.fromEncryptionSaltAsync("not-the-passphrase", VECTOR_2.encryptionSalt),
    ).rejects.toBeInstanceOf(IncorrectPassphraseError);
  });
});

describe("PassphraseCrypter wrong passphrase", () => {
  const wrong = "wrong-passphrase-7f3a";

  it("throws IncorrectPassphraseError", () => {
    expect(() => PassphraseCrypter.fromEncryptionSalt(wrong, VECTOR_1.encryptionSalt)).toThrow(
      IncorrectPassphraseError,
    );
  });

  it("message explains the fix without the passphrase", () => {
    const error = thrown(() => PassphraseCrypter.fromEncryptionSalt(wrong, VECTOR_1.encryptionSalt));
    expect(error.message).toMatch(/incorrect passphrase/);
    expect(error.message).toMatch(/PULUMI_CONFIG_PASSPHRASE\b/);
    expect(error.message).toMatch(/PULUMI_CONFIG_PASSPHRASE_FILE/);
    expect(error.message).not.toContain(wrong);
  });

  it("other stack's key fails GCM authentication", () => {
    const crypter = PassphraseCrypter.fromEncryptionSalt(VECTOR_1.passphrase, VECTOR_1.encryptionSalt);
    expect(() => crypter.decrypt(VECTOR_2.secure)).toThrow(InvalidCiphertextError);
    expect(() => crypter.decrypt(VECTOR_2.secure)).toThrow(/GCM authentication failed/);
  });
});

describe("PassphraseCrypter round trip", () => {
  const passphrase = "correct horse battery staple";
  const created = PassphraseCrypter.create(passphrase);

  it("encryptionsalt has the Pulumi shape", () => {
    expect(created.encryptionSalt).toMatch(/^v1:[A-Za-z0-9+/]{11}=:v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/=]+$/);
  });

  it("reopens with the same passphrase", () => {
    const reopened = PassphraseCrypter.fromEncryptionSalt(passphrase, created.encryptionSalt);
    const value = created.crypter.encrypt("s3cr3t: with colons, ünïcödé and\nnew lines");
    expect(reopened.decrypt(value)).toBe("s3cr3t: with colons, ünïcödé and\nnew lines");
  });

  it("round-trips empty and long plaintexts", () => {
    const long = "x".repeat(100_000);
    expect(created.crypter.decrypt(created.crypter.encrypt(""))).toBe("");
    expect(created.crypter.decrypt(created.crypter.encrypt(long))).toBe(long);
  });

  it("uses a fresh nonce per value", () => {
    const first = created.crypter.encrypt("same");
    const second = created.crypter.encrypt("same");
    expect(first).not.toBe(second);
    expect(first).toMatch(/^v1:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/=]+$/);
  });

  it("uses a fresh salt per stack", () => {
    const other = PassphraseCrypter.create(passphrase);
    expect(other.encryptionSalt.split(":")[1]).not.toBe(created.encryptionSalt.split(":")[1]);
  });

  it("rejects another passphrase", () => {
    expect(() => PassphraseCrypter.fromEncryptionSalt("Correct horse battery staple", created.encryptionSalt)).toThrow(
      IncorrectPassphraseError,
    );
  });

  it("create rejects empty passphrase", () => {
    expect(() => PassphraseCrypter.create("")).toThrow(/must not be empty/);
  });
});

describe("PassphraseCrypter tampered and malformed values", () => {
  const crypter = PassphraseCrypter.fromEncryptionSalt(VECTOR_2.passphrase, VECTOR_2.encryptionSalt);

  it("tampered ciphertext fails authentication", () => {
    const [version, nonce, sealed] = VECTOR_2.secure.split(":") as [string, string, string];
    const bytes = Buffer.from(sealed, "base64");
    bytes[0] = bytes[0]! ^ 0x01;
    const tampered = `${version}:${nonce}:${bytes.toString("base64")}`;
    const error = thrown(() => crypter.decrypt(tampered));
    expect(error).toBeInstanceOf(InvalidCiphertextError);
    expect(error.message).toMatch(/GCM authentication failed/);
  });

  it("tampered tag fails authentication", () => {
    const [version, nonce, sealed] = VECTOR_2.secure.split(":") as [string, string, string];
    const bytes = Buffer.from(sealed, "base64");
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x80;
    expect(() => crypter.decrypt(`${version}:${nonce}:${bytes.toString("base64")}`)).toThrow(
      /GCM authentication failed/,
    );
  });

  it("tampered nonce fails authentication", () => {
    const tampered = VECTOR_2.secure.replace("v1:T1ft", "v1:T1fu");
    expect(() => crypter.decrypt(tampered)).toThrow(/GCM authentication failed/);
  });

  const malformed: Array<[string, string, RegExp]> = [
    ["empty string", "", /expected 'v1:<base64 nonce>:<base64 ciphertext>', found 1/],
    ["two parts", "v1:T1ftqhY0hqr+EJK6", /found 2 ':'-separated parts/],
    ["four parts", `${VECTOR_2.secure}:extra`, /found 4 ':'-separated parts/],
    ["unknown version", VECTOR_2.secure.replace(/^v1/, "v2"), /unsupported version "v2"/],
    ["non-base64 nonce", "v1:T1ft*hY0hqr+EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA==", /nonce .* not valid standard base64/],
    ["unpadded ciphertext", "v1:T1ftqhY0hqr+EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA", /ciphertext .* not valid standard base64/],
    ["url-safe base64", "v1:T1ftqhY0hqr-EJK6:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA==", /nonce .* not valid standard base64/],
    ["short nonce", "v1:T1ftqhY0hqr=:+jvd5PMecFx80tcavzuZY4tLatgIfoe/xR72GA==", /nonce is 8 bytes, expected 12/],
    ["short ciphertext", "v1:T1ftqhY0hqr+EJK6:+jvd5PMe", /shorter than the 16-byte GCM tag/],
    ["secure prefix left in", `secure:${VECTOR_2.secure}`, /found 4 ':'-separated parts/],
  ];
  for (const [name, value, message] of malformed) {
    it(`decrypt rejects ${name}`, () => {
      const error = thrown(() => crypter.decrypt(value));
      expect(error).toBeInstanceOf(InvalidCiphertextError);
      expect(error.message).toMatch(message);
    });
  }

  const malformedSalts: Array<[string, string, RegExp]> = [
    ["empty string", "", /three ':'-separated parts/],
    ["salt only", "v1:fozI5u6B030=", /three ':'-separated parts/],
    ["unknown version", VECTOR_1.encryptionSalt.replace(/^v1/, "v0"), /unsupported version "v0"/],
    ["bad salt base64", "v1:fozI5u6B030:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==", /salt .* base64/],
    ["empty salt", "v1::v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==", /salt is empty/],
    ["bad check value", "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L", /invalid encryptionsalt: .*found 2/],
  ];
  for (const [name, value, message] of malformedSalts) {
    it(`encryptionsalt rejects ${name}`, () => {
      const error = thrown(() => PassphraseCrypter.fromEncryptionSalt("password", value));
      expect(error).toBeInstanceOf(InvalidCiphertextError);
      expect(error.message).toMatch(message);
    });
  }

  it("check value other than pulumi fails", () => {
    const created = PassphraseCrypter.create("some passphrase");
    const salt = created.encryptionSalt.split(":")[1]!;
    const forged = `v1:${salt}:${created.crypter.encrypt("not-pulumi")}`;
    expect(() => PassphraseCrypter.fromEncryptionSalt("some passphrase", forged)).toThrow(IncorrectPassphraseError);
  });

  it("errors never contain the plaintext", () => {
    const created = PassphraseCrypter.create("another passphrase");
    const value = created.crypter.encrypt("plaintext-marker-91c2");
    const truncated = value.slice(0, -4) + "AAA=";
    const error = thrown(() => created.crypter.decrypt(truncated));
    expect(error.message).not.toContain("plaintext-marker-91c2");
  });
});

describe("readPassphrase", () => {
  const directory = mkdtempSync(join(tmpdir(), "gbo-vault-passphrase-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  const file = join(directory, "passphrase.txt");
  writeFileSync(file, "  \tfrom-file passphrase \r\n\n");

  it("returns undefined when unset", () => {
    expect(readPassphrase({})).toBeUndefined();
  });

  it("prefers the variable over the file", () => {
    expect(readPassphrase({ PULUMI_CONFIG_PASSPHRASE: "from-env", PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe(
      "from-env",
    );
  });

  it("empty variable still wins over file", () => {
    expect(readPassphrase({ PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe("");
  });

  it("does not trim the variable", () => {
    expect(readPassphrase({ PULUMI_CONFIG_PASSPHRASE: " padded " })).toBe(" padded ");
  });

  it("trims the file content", () => {
    expect(readPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: file })).toBe("from-file passphrase");
  });

  it("trims as Go's TrimSpace does", () => {
    const unicode = join(directory, "unicode.txt");
    writeFileSync(unicode, "\u00a0\u0085inner\u3000 \u2028");
    expect(readPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: unicode })).toBe("inner");
  });

  it("resolves a relative file against cwd", () => {
    expect(readPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: "passphrase.txt" }, directory)).toBe(
      "from-file passphrase",
    );
  });

  it("ignores an empty file variable", () => {
    expect(readPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: "" })).toBeUndefined();
  });

  it("missing file error names the file", () => {
    const missing = join(directory, "missing.txt");
    const error = thrown(() => readPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: missing }));
    expect(error).toBeInstanceOf(PassphraseFileError);
    expect(error.message).toContain(missing);
    expect(error.message).toMatch(/ENOENT/);
  });

  it("directory instead of file fails", () => {
    const error = thrown(() => readPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: directory }));
    expect(error).toBeInstanceOf(PassphraseFileError);
    expect(error.message).toContain(directory);
  });

  it("invalid UTF-8 file fails", () => {
    const binary = join(directory, "binary.txt");
    writeFileSync(binary, Buffer.from([0x70, 0xff, 0xfe, 0x71]));
    const error = thrown(() => readPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: binary }));
    expect(error).toBeInstanceOf(PassphraseFileError);
    expect(error.message).toContain(binary);
  });

  it("file passphrase opens vector 1", () => {
    const vectorFile = join(directory, "vector.txt");
    writeFileSync(vectorFile, "password\n");
    const passphrase = readPassphrase({ PULUMI_CONFIG_PASSPHRASE_FILE: vectorFile });
    expect(passphrase).toBe("password");
    expect(() => PassphraseCrypter.fromEncryptionSalt(passphrase!, VECTOR_1.encryptionSalt)).not.toThrow();
  });
});

describe("fingerprint", () => {
  it("has the documented shape", () => {
    expect(fingerprint("hunter2")).toMatch(/^sha256:[0-9a-f]{12}$/);
  });

  it("is stable", () => {
    expect(fingerprint("hunter2")).toBe(fingerprint("hunter2"));
  });

  it("matches HMAC-SHA256 with the documented key", async () => {
    const { createHmac } = await import("crypto");
    const expected = createHmac("sha256", FINGERPRINT_HMAC_KEY).update("hunter2").digest("hex").slice(0, 12);
    expect(fingerprint("hunter2")).toBe(`sha256:${expected}`);
  });

  it("differs for different values", () => {
    expect(fingerprint("hunter2")).not.toBe(fingerprint("hunter3"));
    expect(fingerprint("")).not.toBe(fingerprint(" "));
  });

  it("does not contain the value", () => {
    expect(fingerprint("abc123")).not.toContain("abc123");
  });
});

describe("fingerprint keys", () => {
  it("differ from the public fingerprint", () => {
    expect(fingerprint("short", fingerprintKey("passphrase-a"))).not.toBe(fingerprint("short"));
  });
  it("differ between passphrases", () => {
    expect(fingerprint("short", fingerprintKey("passphrase-a"))).not.toBe(fingerprint("short", fingerprintKey("passphrase-b")));
  });
  it("are stable for one passphrase", () => {
    expect(fingerprint("short", fingerprintKey("passphrase-a"))).toBe(fingerprint("short", fingerprintKey("passphrase-a")));
  });
});
