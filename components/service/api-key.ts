/**
 * The stack's initial API key for the sandbox service: its shape, the hash that reaches the host, and the URL
 * clients call. The key is a secret stack output; only `serviceApiKeyHash(key)` is written to the platform
 * (inside the SSH session), where the service admits it. Pure: no @pulumi import (npm start uses it too).
 */
import { createHash, randomBytes } from "node:crypto";
import { SERVICE_HTTPS_PORT } from "../../cloud-init/service-host";

/** Prefix of every sandfleet API key: recognisable in logs and by secret scanners. */
export const API_KEY_PREFIX = "sfk_";

/** The key built from a random alphanumeric part (the stack's RandomPassword, or {@link newServiceApiKey}). */
export const serviceApiKey = (randomPart: string) => `${API_KEY_PREFIX}${randomPart}`;

/** A fresh key with 256 bits of randomness (base64url), for `npm start`. */
export const newServiceApiKey = () => serviceApiKey(randomBytes(32).toString("base64url"));

/** SHA-256 (hex) of the whole key: what the host stores. */
export const serviceApiKeyHash = (key: string) => createHash("sha256").update(key, "utf8").digest("hex");

/** `https://host` on 443, `https://host:port` otherwise (the local fleet publishes 443 on a loopback port). */
export function serviceUrl(host: string, port: number = SERVICE_HTTPS_PORT): string {
  const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return port === SERVICE_HTTPS_PORT ? `https://${h}` : `https://${h}:${port}`;
}
