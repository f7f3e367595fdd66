/**
 * Names of resources inside the Hetzner project. Servers, networks, firewalls, volumes, ... must have
 * names unique per project, and a server's name becomes its hostname, so names are set explicitly
 * (readable in the console, stable across updates) instead of auto-named with a random suffix.
 * The fleet name already contains the stack, which keeps several stacks apart in one project.
 */
import { createHash } from "node:crypto";

const maxLength = 63;
const hostnamePattern = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * Joins `parts` with `-`, lower-cased, characters outside `[a-z0-9-]` replaced. A result longer than 63
 * characters is cut and suffixed with a hash of the full name, so it stays unique and a valid hostname.
 */
export function hetznerName(...parts: string[]): string {
  const full = parts
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  if (full.length <= maxLength) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  return `${full.slice(0, maxLength - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** Throws when `name` cannot be a server's hostname. */
export function assertHostname(name: string, setting: string): void {
  if (!hostnamePattern.test(name) || name.length > maxLength) {
    throw new Error(
      `${setting} "${name}" is not a valid server name: use lower-case letters, digits and '-', start and end with a letter or digit, at most ${maxLength} characters.`,
    );
  }
}
