/**
 * Names of servers, endpoints and DNS records. Pure and deterministic: a name depends only on the
 * pool's name and the server's 1-based index, so growing a pool adds names and never renames others.
 */

/** Host name (and resource-name suffix) of the platform server. */
export const PLATFORM_SERVER_NAME = "platform";

/** Pool names become part of host names and DNS labels: short, lower-case, DNS-safe. */
export const POOL_NAME_PATTERN = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$|^[a-z]$/;

/** `ws-<pool>-<index>`, e.g. `ws-standard-1`: host name, certificate CN and registry `serverName`. */
export function workspaceServerName(pool: string, index: number): string {
  return `ws-${pool}-${index}`;
}

/** Registry endpoint id, e.g. `hetzner-fsn1-standard-1`; unique across providers and locations. */
export function endpointId(provider: string, location: string, pool: string, index: number): string {
  return `${provider}-${location}-${pool}-${index}`.toLowerCase().replace(/[^a-z0-9._-]/g, "-");
}

/** DNS name of a workspace server's record (`ws-standard-1.prod.example.com`), when workspace records are on. */
export function workspaceDnsName(serverName: string, stack: string, domain: string): string {
  return `${serverName}.${stack}.${domain}`;
}

/** DNS name of the platform record, e.g. `sandfleet-prod.example.com`. */
export function platformDnsName(record: string, domain: string): string {
  return record === "@" ? domain : `${record}.${domain}`;
}
