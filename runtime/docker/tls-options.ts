/**
 * How sandfleet dials a registry endpoint over mTLS: the registry's CA and client certificate, and the server
 * certificate checked against `serverName` (the registry may dial an IP and verify a DNS name). Shared by the
 * pool's Docker client and `sandfleet doctor`'s raw TLS probe, so both connect the same way.
 */
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
import type { Endpoint, RegistryTls } from "../registry/schema";

/** The name the server certificate must cover: the endpoint's serverName, else the dialled host. */
export function verifiedServerName(endpoint: Endpoint): string {
  return endpoint.serverName ?? endpoint.host;
}

/** CA, client cert and key, and SNI (omitted for an IP: RFC 6066 forbids IP SNI). */
export function mtlsConnectionOptions(endpoint: Endpoint, tls: RegistryTls): Pick<ConnectionOptions, "ca" | "cert" | "key" | "servername"> {
  const serverName = verifiedServerName(endpoint);
  return {
    ca: tls.ca,
    cert: tls.clientCert,
    key: tls.clientKey,
    ...(isIP(serverName) ? {} : { servername: serverName }),
  };
}
