/**
 * Inbound allow-lists of the Hetzner firewalls, as pure data so the security rules are testable without
 * Pulumi. A Hetzner firewall denies every inbound packet no rule allows (outbound stays open while a
 * firewall has no outbound rules), so each list below is the complete set of what may reach a server
 * from the internet.
 *
 * Hetzner Cloud firewalls do NOT filter traffic on private networks: anything on the site's network
 * reaches every port of every server regardless of these rules. The host firewall and the DOCKER-USER
 * chain rendered by cloud-init (cloud-init/) are what restrict 2376 and the rest on the private side.
 */
import { coversWholeInternet, toSourceCidr } from "./cidr";

export interface HetznerFirewallRule {
  direction: "in";
  protocol: "tcp";
  port: string;
  sourceIps: string[];
  description: string;
}

export const sshPort = 22;
/** The Docker API with mutual TLS. */
export const dockerTlsPort = 2376;
/** The plain-text Docker API: never opened, to anyone. */
export const dockerPlainPort = 2375;
const internet = ["0.0.0.0/0", "::/0"];

/** Ports that are never published to the internet, whatever the stack asks for. */
const neverPublic = new Set([sshPort, dockerPlainPort, dockerTlsPort]);

function adminSshRule(adminCidrs: readonly string[]): HetznerFirewallRule {
  if (adminCidrs.length === 0) {
    throw new Error("adminCidrs is empty: SSH needs at least one admin CIDR (e.g. your office /32); it never defaults to the internet.");
  }
  const open = adminCidrs.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(`adminCidrs contains ${open.join(", ")}, which opens SSH to the whole internet; list your admin networks instead.`);
  }
  return { direction: "in", protocol: "tcp", port: String(sshPort), sourceIps: adminCidrs.map(toSourceCidr), description: "SSH from admin networks" };
}

/** Platform server: SSH from the admin networks; each of `publicPorts` (80/443) from anywhere. Nothing else. */
export function platformFirewallRules(adminCidrs: readonly string[], publicPorts: readonly number[]): HetznerFirewallRule[] {
  const rules = [adminSshRule(adminCidrs)];
  for (const port of [...new Set(publicPorts)].sort((a, b) => a - b)) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`publicPorts contains ${port}; a port is an integer from 1 to 65535.`);
    }
    if (neverPublic.has(port)) {
      throw new Error(
        `publicPorts contains ${port}, which is never opened to the internet (SSH comes from adminCidrs only, the Docker API from the private network only); remove it.`,
      );
    }
    rules.push({ direction: "in", protocol: "tcp", port: String(port), sourceIps: [...internet], description: `public port ${port}` });
  }
  return rules;
}

/**
 * Workspace server: SSH from the admin networks and the TLS Docker API (2376) from `dockerApiSources`
 * only. Nothing else. A private range among the sources is allowed but only documents intent: Hetzner
 * firewalls do not see private traffic, which the host firewall filters. The 2376 rule matters when the
 * platform server lives elsewhere and reaches the pool over the internet from its public IP (/32).
 */
export function workspaceFirewallRules(adminCidrs: readonly string[], dockerApiSources: readonly string[]): HetznerFirewallRule[] {
  const rules = [adminSshRule(adminCidrs)];
  const open = dockerApiSources.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(
      `dockerApiSources contains ${open.join(", ")}, which would open the Docker API to the whole internet; allow only the platform server's address or the private range.`,
    );
  }
  if (dockerApiSources.length > 0) {
    rules.push({
      direction: "in",
      protocol: "tcp",
      port: String(dockerTlsPort),
      sourceIps: [...new Set(dockerApiSources.map(toSourceCidr))],
      description: "Docker API (mutual TLS) from the platform",
    });
  }
  return rules;
}
