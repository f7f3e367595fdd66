/**
 * Typed input of the cloud-init renderer. Pure data: the stack config (parsed and validated elsewhere)
 * and the providers fill it in; `renderCloudConfig()` turns it into user-data.
 */

/** `platform` runs the user's services and the pool (runc default); `workspace` runs sandboxes (runsc default). */
export type HostRole = "platform" | "workspace";

export interface DockerHostSettings {
  /**
   * Where Docker and gVisor come from.
   * - `upstream`: Docker's apt repository (docker-ce) and gVisor's apt repository (runsc); current releases.
   * - `distro`: Debian's `docker.io` and `runsc` (Debian 13: Docker 26.1, runsc 2024-07 with systrap;
   *   older than upstream, but only Debian's mirror is needed).
   */
  packageSource: "upstream" | "distro";
  /** gVisor platform: `systrap` on VMs (either package source on Debian 13), `ptrace` as fallback, `kvm` only on bare metal. */
  gvisorPlatform: "systrap" | "ptrace" | "kvm";
  /** gVisor network stack: `sandbox` (gVisor's netstack), `none`, or `host` (test-only: weakens isolation). */
  gvisorNetwork: "sandbox" | "none" | "host";
  /** Images pulled once Docker is installed, so the first sandbox does not wait for a pull. */
  prePullImages: string[];
  /**
   * DNS servers of every container (daemon.json `dns`), at most 3, reachable through DOCKER-USER (public
   * addresses): the host's own resolvers are often in blocked ranges (AWS's VPC resolver, GCP's metadata
   * server), see sandbox-dns.ts. @default ["1.1.1.1", "9.9.9.9"]
   */
  sandboxDns?: string[];
}

export interface HostCloudConfig {
  role: HostRole;
  hostname: string;
  /** Login user for SSH (`root` on Hetzner, `admin` on AWS Debian); the keys go to this user. */
  adminUser: string;
  /** OpenSSH public keys. Never a private key: user-data is plain text on the metadata address. */
  sshAuthorizedKeys: string[];
  /** The private network range. Containers may never reach it (DOCKER-USER); SSH from it is allowed (bastion hops). */
  privateNetworkCidr: string;
  /** CIDRs allowed to reach the Docker TLS port (2376) on this host. Workspace: at least one; platform: []. */
  dockerApiSources: string[];
  /** CIDRs SSH is allowed from (besides `privateNetworkCidr`). Never the whole internet. */
  adminCidrs: string[];
  /** Ports open to everyone on this host, e.g. [80, 443] on a platform server that serves; [] otherwise. */
  publicPorts: number[];
  /**
   * The data volume, by a stable device path (e.g. `/dev/disk/by-id/scsi-0HC_Volume_123`), formatted ext4 if
   * blank and mounted with `nofail`. Workspace: mount point `/var/lib/docker`; platform: e.g. `/srv/data`.
   * Default: no volume.
   */
  volume?: { device: string; mountPoint: string };
  /**
   * Public IPv4 addresses the cloud routes to this host without putting them on an interface (a Hetzner
   * floating IP): bound as /32 on the public interface (the one the default route leaves by) at every boot,
   * by a oneshot unit (extra-addresses.ts). The host firewall's public ports apply to them like to the
   * primary address. Default: none.
   */
  extraIpv4Addresses?: string[];
  docker: DockerHostSettings;
  /**
   * Workspace hosts: install the egress proxy for sandboxes with an egress policy (egress-proxy.ts, docs/egress.md).
   * On by default: with files of 1 KiB and more sent gz+b64 (file-encoding.ts) a workspace's user-data with the
   * proxy is about 26 KB, inside Hetzner's 32 KiB. `false` leaves it out; sandboxes with an egress policy then
   * fail at create, saying the host lacks its egress proxy (never open egress). @default true
   */
  egressProxy?: boolean;
}
