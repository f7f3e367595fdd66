/**
 * The data volume: formatted ext4 if (and only if) blank, mounted by its stable device path with `nofail`.
 *
 * A `bootcmd` (every boot, before packages) rather than cloud-init's disk_setup/mounts modules because the
 * volume may be attached a little after the server boots (the attachment is its own API call), and
 * disk_setup does not wait for a device. Workspace servers mount it at /var/lib/docker before Docker is
 * installed; docker.service then requires the mount (RequiresMountsFor in docker.ts).
 *
 * A volume that is still missing after the wait leaves no fstab line, so RequiresMountsFor has nothing to
 * require and dockerd would write to the root disk, where the next boot's mount hides it. A drop-in therefore
 * refuses to start dockerd unless /var/lib/docker is mounted from the volume's device, and the post-boot step
 * (`--data-device`) fails the server's readiness with the reason, so it never enters the registry.
 */
import { shellJoin } from "./shell";
import type { BootCommand, CloudConfigFragment } from "./fragment";
import type { HostCloudConfig } from "./types";
import { renderUnit } from "./systemd-unit";

/** Mount points of the data volume per role (the platform's holds the sandbox service's state). */
export const PLATFORM_VOLUME_MOUNT = "/srv/sandfleet";
export const WORKSPACE_VOLUME_MOUNT = "/var/lib/docker";

/** How long the first boot waits for the volume to appear before going on without it. */
export const VOLUME_WAIT_SECONDS = 120;

// Positional arguments ($1 device, $2 mount point) instead of interpolation: nothing here needs quoting.
const PREPARE_VOLUME = `set -eu
device=$1 mountpoint=$2 waited=0
while [ ! -b "$device" ] && [ "$waited" -lt ${VOLUME_WAIT_SECONDS} ]; do sleep 2; waited=$((waited + 2)); done
if [ ! -b "$device" ]; then
  echo "sandfleet: volume $device is not attached; continuing without it (nofail)" >&2
  exit 0
fi
# blkid -p exits 2 when it finds nothing at all (no filesystem, no partition table): only then format.
rc=0; blkid -p "$device" >/dev/null 2>&1 || rc=$?
if [ "$rc" -eq 2 ]; then mkfs.ext4 -q -L sandfleet-data "$device"; fi
mkdir -p "$mountpoint"
# One fstab line per mount point, by device path; nofail so a missing volume never blocks the boot.
line="$device $mountpoint ext4 defaults,nofail,x-systemd.device-timeout=30s 0 2"
if ! grep -qxF "$line" /etc/fstab; then
  awk -v mp="$mountpoint" '$2 != mp' /etc/fstab > /etc/fstab.sandfleet
  echo "$line" >> /etc/fstab.sandfleet
  chmod 0644 /etc/fstab.sandfleet
  mv /etc/fstab.sandfleet /etc/fstab
  systemctl daemon-reload
fi
mountpoint -q "$mountpoint" || mount "$mountpoint"`;

/** The docker.service drop-in that keeps dockerd off the root disk when the data volume is not mounted. */
export const DOCKER_DATA_VOLUME_DROP_IN = "/etc/systemd/system/docker.service.d/05-sandfleet-data-volume.conf";

function dockerDataVolumeDropIn(device: string): string {
  return renderUnit(
    "cloud-init/volume.ts",
    "Docker's data lives on the data volume: without it mounted at\n/var/lib/docker, dockerd would fill the root disk (hidden by the volume at the next boot). Refuse to start.",
    [["Service", [["ExecStartPre", shellJoin(["/usr/bin/findmnt", "--mountpoint", "/var/lib/docker", "--source", device])]]]],
  );
}

export function volumeFragment(config: HostCloudConfig): CloudConfigFragment {
  if (!config.volume) return {};
  const command: BootCommand = ["sh", "-c", PREPARE_VOLUME, "sandfleet-volume", config.volume.device, config.volume.mountPoint];
  const guardsDocker = config.volume.mountPoint === "/var/lib/docker";
  return {
    packages: ["e2fsprogs"],
    bootcmd: [command],
    ...(guardsDocker ? { files: [{ path: DOCKER_DATA_VOLUME_DROP_IN, content: dockerDataVolumeDropIn(config.volume.device), permissions: "0644" }] } : {}),
  };
}
