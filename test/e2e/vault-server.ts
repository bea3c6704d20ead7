/**
 * A Vault dev server on the loopback interface, and a small HTTP client for it. Requests go only to
 * 127.0.0.1 on the port this test picked.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stopProcess, waitFor } from "./processes";

const REQUEST_TIMEOUT_MS = 10_000;

/** Returns a TCP port that is free on 127.0.0.1 at the time of the call. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port assigned"))));
    });
  });
}

export class VaultError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "VaultError";
  }
}

export class VaultClient {
  constructor(
    readonly address: string,
    readonly rootToken: string,
  ) {
    if (!address.startsWith("http://127.0.0.1:")) throw new Error(`the test client talks to 127.0.0.1 only, not ${address}`);
  }

  /** Sends one API request; `token` defaults to the root token. Returns the parsed body, or undefined for 204. */
  async request(method: string, apiPath: string, body?: unknown, token: string = this.rootToken): Promise<Record<string, unknown> | undefined> {
    const response = await fetch(`${this.address}/v1/${apiPath}`, {
      method,
      headers: { "X-Vault-Token": token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) throw new VaultError(`${method} ${apiPath} failed with HTTP ${response.status}: ${text.slice(0, 500)}`, response.status);
    return text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
  }
}

export interface DevServer {
  client: VaultClient;
  port: number;
  stop(): Promise<void>;
  /** Server output, for failure messages. */
  log(): string;
}

/** Starts `vault server -dev` on 127.0.0.1 with a random root token and waits until it reports healthy. */
export async function startDevServer(vaultBinary: string, timeoutMs = 30_000): Promise<DevServer> {
  const port = await freePort();
  const rootToken = `e2e-${randomBytes(12).toString("hex")}`;
  // The dev server writes the root token to ~/.vault-token; a scratch HOME keeps it out of the user's.
  const home = mkdtempSync(path.join(tmpdir(), "gbo-vault-e2e-home-"));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home };
  const child: ChildProcess = spawn(
    vaultBinary,
    ["server", "-dev", `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${rootToken}`],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  const client = new VaultClient(`http://127.0.0.1:${port}`, rootToken);
  const stop = async (): Promise<void> => {
    await stopProcess(child);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `the Vault dev server on 127.0.0.1:${port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`vault exited with code ${child.exitCode}: ${output.slice(-2000)}`);
        const response = await fetch(`${client.address}/v1/sys/health`, { signal: AbortSignal.timeout(2000) });
        return response.status === 200;
      },
      timeoutMs,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { client, port, stop, log: () => output };
}
