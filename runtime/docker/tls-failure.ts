/**
 * Turns Node's TLS and socket errors into a short verdict an operator can act on. Node reports the same
 * misconfiguration under several codes (OpenSSL versions, TLS 1.2 vs 1.3 alert timing), so the mapping is by
 * code first and by message second.
 */
export type TlsFailureKind = "unknown-ca" | "client-cert-rejected" | "wrong-name" | "expired" | "other";

const UNKNOWN_CA_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
]);
const EXPIRED_CODES = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);

/** The kind of TLS failure, or undefined when the error is not about TLS. */
export function classifyTlsFailure(err: unknown): TlsFailureKind | undefined {
  const code = String((err as { code?: unknown })?.code ?? "");
  const message = String((err as { message?: unknown })?.message ?? "");
  if (UNKNOWN_CA_CODES.has(code)) return "unknown-ca";
  if (EXPIRED_CODES.has(code)) return "expired";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || /does not match certificate's altnames/i.test(message)) return "wrong-name";
  // The server refused our client certificate: an alert during (TLS 1.2) or right after (TLS 1.3) the handshake.
  if (/ALERT_(BAD|UNSUPPORTED|UNKNOWN)_CERTIFICATE|ALERT_CERTIFICATE_REQUIRED|ALERT_CERTIFICATE_(REVOKED|EXPIRED|UNKNOWN)|ALERT_UNKNOWN_CA|ALERT_HANDSHAKE_FAILURE/i.test(code))
    return "client-cert-rejected";
  if (/alert (bad|unsupported|unknown) certificate|certificate required|alert unknown ca|alert handshake failure/i.test(message))
    return "client-cert-rejected";
  if (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")) return "other";
  return undefined;
}

/** What to change, per kind; used in error messages and by `sandfleet doctor`. */
export function tlsFailureAdvice(kind: TlsFailureKind): string {
  switch (kind) {
    case "unknown-ca":
      return "the server certificate is not signed by the registry's tls.ca; re-export the registry from the stack that issued this server's certificate (pulumi stack output endpointRegistry --json --show-secrets)";
    case "client-cert-rejected":
      return "the daemon refused the client certificate; the registry's tls.clientCert must be signed by the daemon's --tlscacert and carry the client_auth usage";
    case "wrong-name":
      return "the server certificate does not cover the dialled address; add it to the server cert SANs (re-run pulumi up) or set the endpoint's serverName to a name the certificate covers";
    case "expired":
      return "a certificate is expired or not yet valid; rotate the Docker TLS certificates (bump the TLS epoch and pulumi up) and check the clocks";
    case "other":
      return "the TLS handshake failed; check that the endpoint serves Docker with --tlsverify on this port";
    default: {
      const never: never = kind;
      return never;
    }
  }
}
