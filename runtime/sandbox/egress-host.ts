/**
 * What a workspace host provides for sandboxes with egress, and where the runtime finds it: the one place both
 * halves read it from. cloud-init (cloud-init/egress-proxy.ts) builds the host side from these values; the
 * runtime (egress-policy.ts, container-spec.ts) reaches it only through the Docker API, since the pool runs on
 * the platform server and has no other way onto a workspace host. Pure constants and types, no imports, so
 * the renderer can depend on this file without depending on the rest of the runtime.
 */

/** The Docker network of sandboxes with egress: `--internal` (no route out), no traffic between sandboxes. */
export const EGRESS_NETWORK = "sandfleet-egress";
/** Its bridge device (named, so the host firewall and DOCKER-USER can match it; at most 15 characters). */
export const EGRESS_BRIDGE = "sfegress0";
/** Its fixed range. A sandbox's address on it is the key of its policy file. */
export const EGRESS_SUBNET = "172.31.254.0/24";
/** The bridge's own address on the host, where the proxy listens (nothing else there answers sandboxes). */
export const EGRESS_GATEWAY = "172.31.254.1";
/** The proxy's port (Squid's usual one). */
export const EGRESS_PROXY_PORT = 3128;
/** The proxy URL a sandbox is given in HTTP_PROXY / HTTPS_PROXY (and the lower-case forms). */
export const EGRESS_PROXY_URL = `http://${EGRESS_GATEWAY}:${EGRESS_PROXY_PORT}`;

/** Host directory of the policies and denial logs (root-owned; `denied/` belongs to the proxy's user). Not under /var/lib/sandfleet, which only root and sudo may traverse: the proxy's helper reads it. */
export const EGRESS_STATE_DIR = "/var/lib/sandfleet-egress";
/** Inside it: one policy file per sandbox address, `policy/<ip>.json`. No file = nothing allowed. */
export const EGRESS_POLICY_SUBDIR = "policy";
/**
 * Inside it: one denial log per sandbox, `denied/<sandbox>.jsonl` (by the policy's `sandbox`, so a reused
 * address starts a fresh log), appended to by the proxy's policy helper; removed by systemd-tmpfiles after
 * {@link EGRESS_DENIED_KEEP}.
 */
export const EGRESS_DENIED_SUBDIR = "denied";
/** The helper stops appending to a denial log at this size, so a looping agent cannot fill the host's disk. */
export const EGRESS_DENIED_MAX_BYTES = 1024 * 1024;
/** How long denial logs stay on the host (systemd-tmpfiles age). */
export const EGRESS_DENIED_KEEP = "7d";

/**
 * The never-started container through which the runtime writes policies and reads denials (Docker's archive
 * API on a bind mount of {@link EGRESS_STATE_DIR}). Created by the runtime from a sandbox image on first use.
 */
export const EGRESS_HOLDER_CONTAINER = "sandfleet-egress-holder";
/** Where the holder mounts the state directory. */
export const EGRESS_HOLDER_MOUNT = "/egress";

/** A policy file as the helper reads it (written by the runtime, JSON). */
export interface EgressPolicyFile {
  /** The sandbox (container name) it belongs to: names its denial log. */
  sandbox: string;
  /** `none`: nothing (what a released sandbox's address keeps until the address is reused). */
  mode: "none" | "allowlist" | "internet";
  /** Exact names and `*.example.com` (any name below example.com, not example.com itself). */
  hosts: string[];
  /** IPv4/IPv6 ranges a literal-address request may go to (public ranges only: the proxy refuses private ones). */
  cidrs: string[];
  /** Destination ports. */
  ports: number[];
}

/** A line of a denial log (JSON). */
export interface EgressDenial {
  /** ISO 8601, from the host's clock. */
  time: string;
  /** The name (or literal address) the sandbox asked for. */
  host: string;
  port: number;
  /** HTTP method; CONNECT for HTTPS tunnels. */
  method: string;
}
