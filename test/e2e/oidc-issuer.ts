/**
 * A minimal OpenID Connect discovery endpoint on 127.0.0.1. Vault fetches the issuer's discovery document
 * when the OIDC auth method is configured, so the test stack points its issuer here instead of at an
 * identity provider. No test logs in through it.
 */
import { createServer, type Server } from "node:http";

export interface OidcIssuer {
  url: string;
  close(): Promise<void>;
}

export function startOidcIssuer(): Promise<OidcIssuer> {
  return new Promise((resolve, reject) => {
    let url = "";
    const server: Server = createServer((request, response) => {
      const documents: Record<string, unknown> = {
        "/.well-known/openid-configuration": {
          issuer: url,
          authorization_endpoint: `${url}/authorize`,
          token_endpoint: `${url}/token`,
          jwks_uri: `${url}/keys`,
          userinfo_endpoint: `${url}/userinfo`,
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
        },
        "/keys": { keys: [] },
      };
      const document = documents[(request.url ?? "").split("?")[0]!];
      response.writeHead(document === undefined ? 404 : 200, { "Content-Type": "application/json" });
      response.end(JSON.stringify(document ?? { error: "not found" }));
    });
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (typeof address !== "object" || address === null) return reject(new Error("no port assigned"));
      url = `http://127.0.0.1:${address.port}`;
      resolve({ url, close: () => new Promise((done) => server.close(() => done())) });
    });
  });
}
