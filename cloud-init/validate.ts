/**
 * Light input checks for the renderer. The stack config is validated (with messages for users) before it
 * gets here; these checks guard what would otherwise produce a broken or unsafe host: malformed values that
 * end up in files and scripts, a private key where a public one belongs, the Docker API open to the internet.
 */
import { isIPv4, isIPv6 } from "node:net";
import { CloudConfigInputError } from "./errors";
import { ipv4InRange } from "./ipv4";
import { NEVER_PUBLIC_PORTS } from "./ports";
import { DEFAULT_SANDBOX_DNS, MAX_SANDBOX_DNS, sandboxDnsProblem } from "./sandbox-dns";
import type { HostCloudConfig } from "./types";

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const UNIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
/** One line of an OpenSSH `.pub` file: key type, base64 key, optional comment. Also checked by the stack config. */
export const SSH_PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( .*)?$/;
const DEVICE_PATH = /^\/dev\/[A-Za-z0-9._:/+-]+$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._/-]*$/;
// A Docker image reference: [registry[:port]/]name[:tag][@digest]; no whitespace or shell metacharacters.
const IMAGE_REFERENCE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** Throws {@link CloudConfigInputError} naming the first invalid field. */
export function validateHostCloudConfig(config: HostCloudConfig): void {
  oneOf("role", config.role, ["platform", "workspace"]);
  if (!HOSTNAME.test(config.hostname ?? "")) {
    fail("hostname", `"${config.hostname}" is not a valid host name: use lowercase letters, digits and '-' (RFC 1123).`);
  }
  if (!UNIX_USER.test(config.adminUser ?? "")) {
    fail("adminUser", `"${config.adminUser}" is not a valid user name: use e.g. "root" or "admin".`);
  }

  if (!Array.isArray(config.sshAuthorizedKeys) || config.sshAuthorizedKeys.length === 0) {
    fail("sshAuthorizedKeys", "at least one SSH public key is needed, otherwise nobody (not even the post-boot step) can log in.");
  }
  config.sshAuthorizedKeys.forEach((key, i) => {
    if (/PRIVATE KEY/.test(key)) {
      fail(`sshAuthorizedKeys[${i}]`, "this is a private key. User-data is plain text on the metadata address: give the public key (ssh-keygen -y -f KEY).");
    }
    if (!SSH_PUBLIC_KEY.test(key.trim())) {
      fail(`sshAuthorizedKeys[${i}]`, 'not an OpenSSH public key on one line (expected e.g. "ssh-ed25519 AAAA... comment").');
    }
  });

  const network = cidr("privateNetworkCidr", config.privateNetworkCidr);
  if (network.family !== 4) fail("privateNetworkCidr", "must be an IPv4 range such as 10.0.0.0/16.");

  if (!Array.isArray(config.dockerApiSources)) fail("dockerApiSources", "must be a list of CIDRs.");
  config.dockerApiSources.forEach((source, i) => notTheInternet(`dockerApiSources[${i}]`, source, "the platform server's address or the private range"));
  if (config.role === "workspace" && config.dockerApiSources.length === 0) {
    fail("dockerApiSources", "a workspace server needs at least one source for the Docker TLS port, otherwise the pool can never reach it: use the private network range.");
  }

  if (!Array.isArray(config.adminCidrs)) fail("adminCidrs", "must be a list of CIDRs.");
  config.adminCidrs.forEach((source, i) => notTheInternet(`adminCidrs[${i}]`, source, "your office or VPN range"));

  if (!Array.isArray(config.publicPorts)) fail("publicPorts", "must be a list of port numbers.");
  config.publicPorts.forEach((port, i) => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`publicPorts[${i}]`, `${port} is not a TCP port (1-65535).`);
    if (NEVER_PUBLIC_PORTS.has(port)) {
      fail(`publicPorts[${i}]`, `port ${port} must never be open to everyone (SSH comes from adminCidrs, the Docker API from dockerApiSources).`);
    }
  });

  if (config.volume !== undefined) {
    if (!DEVICE_PATH.test(config.volume.device ?? "")) {
      fail("volume.device", `"${config.volume.device}" is not a device path: use a stable path such as /dev/disk/by-id/scsi-0HC_Volume_123.`);
    }
    if (!ABSOLUTE_PATH.test(config.volume.mountPoint ?? "") || config.volume.mountPoint === "/" || config.volume.mountPoint.includes("..")) {
      fail("volume.mountPoint", `"${config.volume.mountPoint}" is not an absolute directory path such as /srv/data.`);
    }
    if (config.role === "workspace" && config.volume.mountPoint !== "/var/lib/docker") {
      fail("volume.mountPoint", "a workspace server's volume holds Docker's data: use /var/lib/docker.");
    }
  }

  if (config.extraIpv4Addresses !== undefined) {
    if (!Array.isArray(config.extraIpv4Addresses)) fail("extraIpv4Addresses", "must be a list of IPv4 addresses.");
    const seen = new Set<string>();
    config.extraIpv4Addresses.forEach((address, i) => {
      if (!isIPv4(address ?? "") || address === "0.0.0.0") {
        fail(`extraIpv4Addresses[${i}]`, `"${address}" is not a public IPv4 address such as 203.0.113.7 (no prefix: it is bound as /32).`);
      }
      if (ipv4InRange(address, network.address, network.prefix)) {
        fail(`extraIpv4Addresses[${i}]`, `${address} lies in the private network ${config.privateNetworkCidr}; only public addresses routed to the host belong here.`);
      }
      if (seen.has(address)) fail(`extraIpv4Addresses[${i}]`, `${address} is listed twice.`);
      seen.add(address);
    });
  }

  const docker = config.docker;
  if (!docker || typeof docker !== "object") fail("docker", "Docker settings are required.");
  oneOf("docker.packageSource", docker.packageSource, ["upstream", "distro"]);
  oneOf("docker.gvisorPlatform", docker.gvisorPlatform, ["systrap", "ptrace", "kvm"]);
  oneOf("docker.gvisorNetwork", docker.gvisorNetwork, ["sandbox", "none", "host"]);
  if (!Array.isArray(docker.prePullImages)) fail("docker.prePullImages", "must be a list of image references.");
  docker.prePullImages.forEach((image, i) => {
    if (!IMAGE_REFERENCE.test(image)) fail(`docker.prePullImages[${i}]`, `"${image}" is not an image reference such as "python:3.12-slim".`);
  });
  if (docker.sandboxDns !== undefined) {
    if (!Array.isArray(docker.sandboxDns) || docker.sandboxDns.length === 0 || docker.sandboxDns.length > MAX_SANDBOX_DNS) {
      fail("docker.sandboxDns", `give 1 to ${MAX_SANDBOX_DNS} public DNS server addresses, e.g. ${JSON.stringify(DEFAULT_SANDBOX_DNS)}.`);
    }
    docker.sandboxDns.forEach((address, i) => {
      const problem = sandboxDnsProblem(address);
      if (problem) fail(`docker.sandboxDns[${i}]`, `${problem}; containers need a public resolver such as 1.1.1.1.`);
    });
  }
}

function fail(field: string, message: string): never {
  throw new CloudConfigInputError(field, message);
}

function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): asserts value is T {
  if (!allowed.includes(value as T)) fail(field, `"${String(value)}" is not one of ${allowed.map((a) => `"${a}"`).join(", ")}.`);
}

/** Parses "address/prefix"; exported for the firewall, which needs the family. */
export function cidr(field: string, value: string): { family: 4 | 6; address: string; prefix: number } {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(value ?? "");
  if (!match) fail(field, `"${value}" is not a CIDR such as 10.0.0.0/16.`);
  const [, address, prefixText] = match;
  const family = isIPv4(address!) ? 4 : isIPv6(address!) ? 6 : undefined;
  const prefix = Number(prefixText);
  if (!family || prefix > (family === 4 ? 32 : 128)) fail(field, `"${value}" is not a CIDR such as 10.0.0.0/16.`);
  return { family, address: address!, prefix };
}

function notTheInternet(field: string, value: string, hint: string): void {
  if (cidr(field, value).prefix === 0) fail(field, `"${value}" would open the port to the whole internet: use ${hint}.`);
}
