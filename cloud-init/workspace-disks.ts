/**
 * Workspace disk quotas enforced by the host's kernel: each workspace with a quota gets its own ext4 filesystem in
 * a sparse image file on the data volume, loop-mounted on the host, and its Docker volume is a bind of a directory
 * in that filesystem. A workspace that writes past its quota gets ENOSPC from its own filesystem; the data volume,
 * the root disk and the other workspaces are not touched (docs/workspaces.md, "Disk quota").
 *
 * Why this and not the alternatives (measured, docs/workspaces.md): XFS project quotas need a kernel with XFS
 * quota support and an XFS data volume; Docker's local driver refuses `--opt size` without them; and it cannot
 * take the image file itself (it calls mount(2), so `o=loop` fails), hence the host-side script. The runtime runs
 * it through the Docker API (runtime/workspace/host-disk.ts): a one-shot runc container that enters the host's
 * mount namespace. Loop devices and mounts do not survive a reboot: a oneshot unit mounts every image again before
 * dockerd starts, and the volumes name the mount's path, never a loop device number.
 *
 * The volume's source is `<mount>/data`, a directory inside the image's filesystem: when the image is not mounted
 * (a failed attach at boot) that path does not exist and Docker refuses to start the workspace, instead of
 * binding the empty mount point on the root disk, where writes would have no limit.
 */
import type { CloudConfigFragment } from "./fragment";
import type { HostCloudConfig } from "./types";
import { renderUnit } from "./systemd-unit";

export const WORKSPACE_DISK_SCRIPT_PATH = "/usr/local/sbin/sandfleet-workspace-disk";
export const WORKSPACE_DISKS_UNIT = "sandfleet-workspace-disks.service";
/** Image files: on the data volume (mounted at /var/lib/docker on workspace hosts), never on the root disk. */
export const WORKSPACE_DISK_IMAGES_DIR = "/var/lib/docker/sandfleet-workspace-disks";
/** Mount points (empty directories on the root disk while nothing is mounted). */
export const WORKSPACE_DISK_MOUNTS_DIR = "/var/lib/sandfleet/workspace-mounts";
/** The line the script prints last on success; the runtime reads the volume's source path from it. */
export const WORKSPACE_DISK_RESULT_PREFIX = "SANDFLEET_WORKSPACE_DISK";

/**
 * The host script. ext4 options: `-m 0` (no blocks reserved for root: the quota is the user's), lazy inode tables
 * and journal with `noinit_itable` at mount (a fresh sparse file reads as zeros, so nothing needs zeroing and the
 * image stays as small as its data), `discard` (files deleted in the workspace give their blocks back to the data
 * volume), `nodev,nosuid`. `mount -o loop` sets the loop device to detach itself at unmount.
 */
export function workspaceDiskScript(): string {
  return `#!/bin/sh
# Written by sandfleet (cloud-init/workspace-disks.ts): workspace disk quotas, one ext4 image per workspace on the
# data volume, loop-mounted here. Run by the runtime through the Docker API, and by a unit at boot (attach-all).
set -eu
# Run through nsenter from a container, it inherits that image's PATH (a busybox image's is /bin).
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
images=${WORKSPACE_DISK_IMAGES_DIR}
mounts=${WORKSPACE_DISK_MOUNTS_DIR}

fail() { echo "sandfleet-workspace-disk: $*" >&2; exit 1; }
check_id() {
  case "$1" in
    '' | *[!0-9a-f]*) echo "sandfleet-workspace-disk: invalid workspace id '$1' (hex digits only)" >&2; exit 2 ;;
  esac
}

# On a host whose /dev is not a devtmpfs (a container as test host), the kernel's next free loop device may have
# no node yet: create it. On a server the kernel creates the nodes and this does nothing.
free_loop_node() {
  n=$(losetup --find 2>/dev/null | sed -n 's|^/dev/loop\\([0-9][0-9]*\\).*|\\1|p')
  if [ -n "$n" ] && [ ! -e "/dev/loop$n" ]; then mknod -m 0660 "/dev/loop$n" b 7 "$n"; fi
}

# Returns 1 (never exits) so that attach-all goes on with the next image.
mount_image() {
  img=$images/$1.img mnt=$mounts/$1
  if [ ! -f "$img" ]; then echo "sandfleet-workspace-disk: no image $img" >&2; return 1; fi
  mkdir -p "$mnt" || return 1
  if mountpoint -q "$mnt"; then return 0; fi
  tries=0
  until free_loop_node; mount -t ext4 -o loop,discard,noinit_itable,nodev,nosuid "$img" "$mnt"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 3 ]; then echo "sandfleet-workspace-disk: cannot mount $img at $mnt" >&2; return 1; fi
  done
}

case "\${1:-}" in
  create)
    [ $# -eq 3 ] || fail "usage: create <id> <size-MiB>"
    check_id "$2"
    case "$3" in '' | *[!0-9]*) fail "size '$3' is not a whole number of MiB" ;; esac
    [ "$3" -ge 16 ] || fail "size $3 MiB is below the 16 MiB an ext4 filesystem with a journal needs"
    img=$images/$2.img
    [ ! -e "$img" ] || fail "$img exists already; delete the workspace's disk first"
    mkdir -p "$images" "$mounts"
    chmod 0700 "$images"
    tmp=$images/.$2.img.new
    rm -f "$tmp"
    truncate -s "$3M" "$tmp"
    mkfs.ext4 -q -F -m 0 -L "ws-$2" -E root_owner=0:0,lazy_itable_init=1,lazy_journal_init=1 "$tmp"
    mv "$tmp" "$img"
    mount_image "$2" || exit 1
    mkdir -p "$mounts/$2/data"
    echo "${WORKSPACE_DISK_RESULT_PREFIX} $mounts/$2/data"
    ;;
  delete)
    [ $# -eq 2 ] || fail "usage: delete <id>"
    check_id "$2"
    img=$images/$2.img mnt=$mounts/$2
    if mountpoint -q "$mnt"; then umount "$mnt"; fi
    if [ -e "$img" ]; then
      # An image attached without its mount (an interrupted create): detach it too.
      for dev in $(losetup --noheadings --output NAME --associated "$img"); do losetup --detach "$dev"; done
    fi
    rm -f "$img" "$images/.$2.img.new"
    if [ -d "$mnt" ]; then rmdir "$mnt"; fi
    echo "${WORKSPACE_DISK_RESULT_PREFIX} deleted"
    ;;
  attach-all)
    [ -d "$images" ] || exit 0
    failed=0
    for img in "$images"/*.img; do
      [ -e "$img" ] || continue
      id=$(basename "$img" .img)
      # One image that does not mount must not keep the others (or dockerd) down.
      if mount_image "$id"; then echo "sandfleet-workspace-disk: mounted $id"; else failed=1; fi
    done
    exit "$failed"
    ;;
  usage)
    [ $# -eq 2 ] || fail "usage: usage <id>"
    check_id "$2"
    mountpoint -q "$mounts/$2" || fail "$mounts/$2 is not mounted"
    echo "${WORKSPACE_DISK_RESULT_PREFIX} $(df -B1 --output=used,size "$mounts/$2" | tail -n 1)"
    ;;
  *) fail "usage: $0 create <id> <size-MiB> | delete <id> | attach-all | usage <id>" ;;
esac
`;
}

/** Workspace hosts only: the platform runs no workspaces. */
export function workspaceDisksFragment(config: HostCloudConfig): CloudConfigFragment {
  if (config.role !== "workspace") return {};
  const unit = renderUnit(
    "cloud-init/workspace-disks.ts",
    "Mounts every workspace's disk image at boot, before dockerd starts the\nworkspaces' volumes (loop devices and mounts do not survive a reboot).",
    [
      [
        "Unit",
        [
          ["Description", "sandfleet workspace disks (quota-sized ext4 images) mounted for their volumes"],
          ["RequiresMountsFor", "/var/lib/docker /var/lib/sandfleet"],
          ["After", "local-fs.target"],
          ["Before", "docker.service"],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["RemainAfterExit", "yes"],
          ["ExecStart", `${WORKSPACE_DISK_SCRIPT_PATH} attach-all`],
        ],
      ],
      // docker.service too: a dockerd started by hand (or by socket activation) still finds the disks mounted.
      ["Install", [["WantedBy", "multi-user.target docker.service"]]],
    ],
  );
  return {
    packages: ["e2fsprogs"],
    files: [
      { path: WORKSPACE_DISK_SCRIPT_PATH, content: workspaceDiskScript(), permissions: "0755" },
      { path: `/etc/systemd/system/${WORKSPACE_DISKS_UNIT}`, content: unit, permissions: "0644" },
    ],
    steps: [
      {
        name: "workspace-disks",
        why: "Workspace quotas are ext4 images mounted by a unit at every boot, before dockerd (workspace-disks.ts).",
        script: `systemctl daemon-reload
systemctl enable --now ${WORKSPACE_DISKS_UNIT}`,
      },
    ],
  };
}
