/**
 * The test-host image: Debian 13 (trixie, the release the renderer targets) with systemd, cloud-init and sshd,
 * booted with `/sbin/init` so that a container behaves like a freshly created cloud server (the real
 * cloud-init runs the real user-data).
 *
 * Built once and cached: the tag carries a hash of the recipe below, so changing the recipe builds a new
 * image and an unchanged recipe reuses the existing one. The base is `debian:trixie` when an image
 * registry answers, else a rootfs made with `debootstrap --variant=minbase trixie` from the machine's own
 * Debian mirrors (CI and these build machines have no registry; their sources list an older release, the
 * mirrors serve trixie too: see debian-sources.ts).
 */
import { createHash } from "node:crypto";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { TARGET_DEBIAN } from "../cloud-init/debian-release";
import { DockerStreamDemuxer } from "../runtime/docker/multiplexed-stream";
import { debianSourcesFile, DebianMirrors, machineDebianMirrors } from "./debian-sources";
import { fleetLabels, LABEL_BASE, LABEL_MANAGED, LABEL_RECIPE } from "./labels";
import { runProcess } from "./run-process";
import type { Progress } from "./progress";

export const TEST_HOST_IMAGE_REPO = "sandfleet-local/test-host";
const BASE_IMAGE_REPO = "sandfleet-local/debian-base";
const REGISTRY_BASE = `debian:${TARGET_DEBIAN.codename}`;
const RELEASE = `Debian ${TARGET_DEBIAN.version} (${TARGET_DEBIAN.codename})`;

/**
 * Packages of the test host. `locales` so that a user-data with cloud-init's locale module enabled does not
 * fail on `update-locale` (minbase has no locales; sandfleet's own user-data skips the module);
 * iptables/nftables because the cloud-init firewall and dockerd need them.
 */
export const TEST_HOST_PACKAGES = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "cloud-init",
  "openssh-server",
  "locales",
  "sudo",
  "iproute2",
  "iptables",
  "nftables",
  "ca-certificates",
  "curl",
  "gnupg",
  "procps",
  "netcat-openbsd",
  // A static busybox to side-load the sandbox image into the nested engine (no registry reachable).
  "busybox-static",
];

/** Shell run inside the base image to turn it into a test host. Part of the cache key. */
const PROVISION_SCRIPT = `set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends ${TEST_HOST_PACKAGES.join(" ")}
# cloud-init's locale module runs update-locale for the default locale; generate it so the module succeeds.
sed -i 's/^# *\\(en_US.UTF-8 UTF-8\\)/\\1/' /etc/locale.gen
locale-gen
update-locale LANG=en_US.UTF-8
# Only the NoCloud seed: a test host must never probe a cloud metadata address. Docker configures the
# container's interface, so cloud-init must not: trixie's cloud-init (25.1) would write a systemd-networkd
# config and restart systemd-networkd and systemd-resolved, and the failed restart ends cloud-init with
# recoverable errors (status exit 2).
printf 'datasource_list: [ NoCloud, None ]\\nnetwork: { config: disabled }\\n' > /etc/cloud/cloud.cfg.d/05-sandfleet-local.cfg
# Per-instance identity is created at boot, like on a fresh cloud server.
rm -f /etc/ssh/ssh_host_*
: > /etc/machine-id
# Units that have nothing to do in a container and only slow the boot down or fail.
systemctl mask getty@tty1.service serial-getty@ttyS0.service console-getty.service \\
  systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service \\
  systemd-remount-fs.service sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \\
  systemd-firstboot.service systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service
apt-get clean
echo SANDFLEET_IMAGE_PROVISIONED
`;

/** Bump when the build steps change in a way the script text does not show. */
const RECIPE_VERSION = 2;

export function testHostRecipeHash(): string {
  return createHash("sha256")
    .update(JSON.stringify({ RECIPE_VERSION, PROVISION_SCRIPT, base: `debian-${TARGET_DEBIAN.version}-${TARGET_DEBIAN.codename}` }))
    .digest("hex")
    .slice(0, 12);
}

export function testHostImageTag(): string {
  return `${TEST_HOST_IMAGE_REPO}:${testHostRecipeHash()}`;
}

export interface TestHostImage {
  tag: string;
  /** True when the image existed already (cache hit). */
  cached: boolean;
  /** Where the base came from (`registry:debian:trixie` or `debootstrap:<mirror>`). */
  base: string;
  durationMs: number;
}

export interface EnsureImageOptions {
  docker: Docker;
  progress: Progress;
  /** Build even if a cached image exists. @default false */
  rebuild?: boolean;
}

/** Returns the cached test-host image, building it first when it does not exist. */
export async function ensureTestHostImage(options: EnsureImageOptions): Promise<TestHostImage> {
  const { docker, progress } = options;
  const started = Date.now();
  const tag = testHostImageTag();
  const existing = await inspectImage(docker, tag);
  if (existing && !options.rebuild) {
    const base = existing.Config?.Labels?.[LABEL_BASE] ?? "unknown";
    progress.info(`image: ${tag} cached (base ${base})`);
    return { tag, cached: true, base, durationMs: Date.now() - started };
  }
  progress.info(`image: building ${tag} (${RELEASE} + systemd + cloud-init + sshd)`);
  const { image: baseImage, base } = await ensureBaseImage(docker, progress);
  progress.info(`image: base is ${base}; installing packages (about 1-2 minutes)`);
  await provision(docker, baseImage, tag, base, progress);
  progress.info(`image: ${tag} built in ${((Date.now() - started) / 1000).toFixed(0)} s (base ${base})`);
  return { tag, cached: false, base, durationMs: Date.now() - started };
}

async function inspectImage(docker: Docker, tag: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(tag).inspect();
  } catch {
    return undefined;
  }
}

/** `debian:trixie` from a registry when one answers, else a debootstrap rootfs (cached as its own image). */
async function ensureBaseImage(docker: Docker, progress: Progress): Promise<{ image: string; base: string }> {
  if (await inspectImage(docker, REGISTRY_BASE)) return { image: REGISTRY_BASE, base: `registry:${REGISTRY_BASE}` };
  try {
    await pullImage(docker, REGISTRY_BASE);
    return { image: REGISTRY_BASE, base: `registry:${REGISTRY_BASE}` };
  } catch (err) {
    progress.info(`image: no registry reachable (${firstLine((err as Error).message)}); using debootstrap`);
  }
  const mirrors = machineDebianMirrors();
  const sourcesHash = createHash("sha256").update(debianSourcesFile(mirrors)).digest("hex").slice(0, 8);
  const baseTag = `${BASE_IMAGE_REPO}:${TARGET_DEBIAN.codename}-${sourcesHash}`;
  const base = `debootstrap:${mirrors.archive}`;
  if (await inspectImage(docker, baseTag)) return { image: baseTag, base };
  await debootstrapImport(docker, mirrors, baseTag, base, progress);
  return { image: baseTag, base };
}

function pullImage(docker: Docker, image: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("pull timed out after 60 s")), 60_000);
    docker.pull(image, (err: Error | null, stream: NodeJS.ReadableStream) => {
      if (err) {
        clearTimeout(timer);
        reject(err);
        return;
      }
      docker.modem.followProgress(stream, (doneErr: Error | null) => {
        clearTimeout(timer);
        if (doneErr) reject(doneErr);
        else resolve();
      });
    });
  });
}

async function debootstrapImport(docker: Docker, mirrors: DebianMirrors, tag: string, base: string, progress: Progress): Promise<void> {
  if (!existsSync("/usr/sbin/debootstrap")) {
    throw new Error(
      "no image registry is reachable and debootstrap is missing: install it (sudo apt-get install debootstrap) " +
        `or make ${REGISTRY_BASE} available (docker pull / docker load)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "sandfleet-rootfs-"));
  try {
    progress.info(`image: debootstrap --variant=minbase ${TARGET_DEBIAN.codename} from ${mirrors.archive} (about a minute)`);
    const result = await runProcess("debootstrap", ["--variant=minbase", TARGET_DEBIAN.codename, dir, mirrors.archive]);
    if (result.status !== 0) {
      throw new Error(`debootstrap failed (exit ${result.status}): ${(result.stderr || result.stdout).slice(-2000)}`);
    }
    // Hosts use this machine's mirrors with the target's suites, updates and security included (debootstrap
    // itself writes only the main suite into sources.list).
    mkdirSync(join(dir, "etc/apt/sources.list.d"), { recursive: true });
    writeFileSync(join(dir, "etc/apt/sources.list.d/debian.sources"), debianSourcesFile(mirrors));
    rmSync(join(dir, "etc/apt/sources.list"), { force: true });
    progress.info(`image: importing rootfs as ${tag}`);
    const tar = spawn("tar", ["-C", dir, "--numeric-owner", "-c", "."], { stdio: ["ignore", "pipe", "inherit"] });
    const [repo, tagName] = tag.split(":");
    const stream = await docker.importImage(tar.stdout, { repo, tag: tagName, changes: [`LABEL ${LABEL_MANAGED}=true ${LABEL_BASE}=${base}`] } as object);
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function provision(docker: Docker, baseImage: string, tag: string, base: string, progress: Progress): Promise<void> {
  // A network of our own rather than the default bridge: it gives the build container NAT to the Debian
  // mirror and does not depend on docker0, which some engines run without.
  const networkName = `sandfleet-image-build-${process.pid}`;
  const network = await docker.createNetwork({ Name: networkName, Driver: "bridge", Labels: fleetLabels("image-build") });
  const container = await docker.createContainer({
    Image: baseImage,
    Cmd: ["bash", "-c", PROVISION_SCRIPT],
    Labels: fleetLabels("image-build"),
    HostConfig: { NetworkMode: networkName },
  });
  try {
    await container.start();
    const lastLine = { text: "" };
    const logStream = (await container.logs({ follow: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    const output: string[] = [];
    // The log stream of a container without a TTY is multiplexed (an 8-byte header per frame).
    const demuxer = new DockerStreamDemuxer((_stream, payload) => {
      const text = payload.toString("utf8");
      output.push(text);
      const lines = text.split("\n").filter((l) => l.trim());
      if (lines.length) lastLine.text = lines[lines.length - 1].trim();
    });
    logStream.on("data", (chunk: Buffer) => demuxer.push(chunk));
    const heartbeat = setInterval(() => progress.info(`image: ... ${lastLine.text.slice(0, 100)}`), 15_000);
    const result = (await container.wait()) as { StatusCode: number };
    clearInterval(heartbeat);
    const log = output.join("");
    if (result.StatusCode !== 0 || !log.includes("SANDFLEET_IMAGE_PROVISIONED")) {
      throw new Error(`test-host image provisioning failed (exit ${result.StatusCode}):\n${log.slice(-3000)}`);
    }
    const [repo, tagName] = tag.split(":");
    await container.commit({
      repo,
      tag: tagName,
      changes: [
        'CMD ["/sbin/init"]',
        "ENV container=docker",
        `LABEL ${LABEL_MANAGED}=true ${LABEL_RECIPE}=${testHostRecipeHash()} ${LABEL_BASE}=${base}`,
      ],
    });
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
    await network.remove().catch(() => undefined);
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0].slice(0, 160);
}
