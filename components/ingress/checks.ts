/**
 * The checks every cloud's firewall runs before it opens anything. Each message names the setting, the
 * rule it breaks and the fix, so a stack fails at preview with the same words on every provider.
 */
import { coversWholeInternet } from "./cidr";
import { NEVER_PUBLIC_PORTS } from "./ports";

/** SSH needs at least one admin network and none of them may be the whole internet. */
export function checkAdminCidrs(adminCidrs: readonly string[]): void {
  if (adminCidrs.length === 0) {
    throw new Error("adminCidrs is empty: SSH needs at least one admin CIDR (e.g. your office /32); it never defaults to the internet.");
  }
  const open = adminCidrs.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(`adminCidrs contains ${open.join(", ")}, which opens SSH to the whole internet; list your admin networks instead.`);
  }
}

/** A port the platform serves (directly or behind a load balancer): a real port, and never SSH or Docker. */
export function checkServedPort(port: number, setting: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${setting} contains ${port}; a port is an integer from 1 to 65535.`);
  }
  if (NEVER_PUBLIC_PORTS.has(port)) {
    throw new Error(
      `${setting} contains ${port}, which is never served publicly (SSH comes from adminCidrs only, the Docker API from a pool's dockerApiSources only); remove it.`,
    );
  }
}

/** The Docker API (2376) admits the platform only: never the whole internet. */
export function checkDockerApiSources(dockerApiSources: readonly string[]): void {
  const open = dockerApiSources.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(
      `dockerApiSources contains ${open.join(", ")}, which would open the Docker API to the whole internet; allow only the platform server's address or the private range.`,
    );
  }
}

/**
 * Sources a provider names for its load balancer or health checkers: never the whole internet (a load
 * balancer that passes client addresses through says so with `keepsClientAddresses` instead).
 */
export function checkLoadBalancerSources(sources: readonly string[], setting: string): void {
  const open = sources.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(
      `${setting} contains ${open.join(", ")}, which would admit the whole internet as the load balancer; name the load balancer's own range, or set keepsClientAddresses for a passthrough load balancer.`,
    );
  }
}
