/**
 * Host configs for cloud-init tests: one per role and package source, shaped like what the fleet passes.
 * The SSH key is a syntactically valid public key (no private half exists anywhere).
 */
import type { DockerHostSettings, HostCloudConfig, HostRole } from "../../cloud-init";

export const TEST_SSH_PUBLIC_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3b1s7mP4y8f0n2X4bQ1e6aC0s2vF3yJ7kLm9NpQrS deploy@sandfleet";

export function dockerSettings(packageSource: DockerHostSettings["packageSource"]): DockerHostSettings {
  return packageSource === "upstream"
    ? { packageSource, gvisorPlatform: "systrap", gvisorNetwork: "sandbox", prePullImages: ["python:3.12-slim"] }
    : // What test hosts on these machines run: Debian 13's runsc, systrap, no sandbox network (gVisor's netstack
      // cannot start on this kind of kernel: "cannot run with network enabled in root network namespace").
      { packageSource, gvisorPlatform: "systrap", gvisorNetwork: "none", prePullImages: [] };
}

export function hostConfig(
  role: HostRole,
  packageSource: DockerHostSettings["packageSource"] = "upstream",
  overrides: Partial<HostCloudConfig> = {},
): HostCloudConfig {
  const common = {
    adminUser: "root",
    sshAuthorizedKeys: [TEST_SSH_PUBLIC_KEY],
    privateNetworkCidr: "10.0.0.0/16",
    adminCidrs: ["203.0.113.0/24", "2001:db8::/32"],
    docker: dockerSettings(packageSource),
  };
  const byRole: HostCloudConfig =
    role === "workspace"
      ? {
          ...common,
          role,
          hostname: "ws-standard-1",
          dockerApiSources: ["10.0.0.0/16"],
          publicPorts: [],
          volume: { device: "/dev/disk/by-id/scsi-0HC_Volume_1001", mountPoint: "/var/lib/docker" },
        }
      : {
          ...common,
          role,
          hostname: "platform",
          dockerApiSources: [],
          publicPorts: [80, 443],
          volume: { device: "/dev/disk/by-id/scsi-0HC_Volume_1000", mountPoint: "/srv/data" },
        };
  return { ...byRole, ...overrides };
}

/** Every variant the unit tests render, by a readable name. */
export function renderedVariants(): Record<string, HostCloudConfig> {
  return {
    "workspace-upstream": hostConfig("workspace", "upstream"),
    "workspace-distro": hostConfig("workspace", "distro"),
    "platform-upstream": hostConfig("platform", "upstream"),
    "platform-distro": hostConfig("platform", "distro"),
    "workspace-admin-user-no-volume": hostConfig("workspace", "upstream", { adminUser: "admin", volume: undefined }),
    // A Hetzner platform server with a floating IP the host must bind itself.
    "platform-floating-ip": hostConfig("platform", "upstream", { extraIpv4Addresses: ["198.51.100.20"] }),
  };
}
