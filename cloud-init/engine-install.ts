/**
 * Installing the container engine: Docker and gVisor, from their own apt repositories (`upstream`) or
 * from Debian (`distro`). A bootstrap step rather than cloud-init's `apt` module because the upstream keys
 * are fetched over HTTPS (Docker's is checked against its published fingerprint before apt trusts it),
 * and because the step must run after the data volume is mounted and before images are pulled.
 */
import type { CloudConfigFragment } from "./fragment";
import { GVISOR_APT, GVISOR_DISTRO_PACKAGES, RUNSC_PATH } from "./gvisor";
import { shellJoin } from "./shell";
import type { DockerHostSettings } from "./types";

export const DOCKER_APT = {
  keyUrl: "https://download.docker.com/linux/debian/gpg",
  keyring: "/etc/apt/keyrings/docker.asc",
  /** Docker's release signing key, as published in Docker's install docs. */
  keyFingerprint: "9DC858229FC7DD38854AE2D88D81803C0EBFCD88",
  repository: "https://download.docker.com/linux/debian",
  component: "stable",
  packages: ["docker-ce", "docker-ce-cli", "containerd.io"],
} as const;

/**
 * Debian 13 split the client out of docker.io into docker-cli, which docker.io only recommends (and the
 * install runs with --no-install-recommends): without it the host has no `docker` command, and the image
 * pre-pull and the post-boot step's checks cannot run.
 */
export const DOCKER_DISTRO_PACKAGES = ["docker.io", "docker-cli"];

/** Tools the install step itself needs (fetching and checking keys). */
const INSTALL_TOOLS = ["ca-certificates", "curl", "gnupg"];

const FETCH_KEY = `# fetch_key URL DEST [FINGERPRINT]: downloads an apt signing key over HTTPS and, when a fingerprint is
# given, refuses a key that does not carry it.
fetch_key() {
  local url=$1 dest=$2 fingerprint=\${3:-} tmp gnupg
  tmp=$(mktemp)
  curl -fsSL --proto '=https' --retry 5 --retry-connrefused "$url" -o "$tmp"
  if [ -n "$fingerprint" ]; then
    gnupg=$(mktemp -d)
    if ! GNUPGHOME=$gnupg gpg --batch --show-keys --with-colons "$tmp" | awk -F: '$1 == "fpr" {print $10}' | grep -qx "$fingerprint"; then
      echo "sandfleet: the key at $url does not have fingerprint $fingerprint; refusing it" >&2
      rm -rf "$tmp" "$gnupg"
      exit 1
    fi
    rm -rf "$gnupg"
  fi
  install -D -m 0644 -o root -g root "$tmp" "$dest"
  rm -f "$tmp"
}`;

function upstreamScript(): string {
  const install = [...DOCKER_APT.packages, ...GVISOR_APT.packages];
  return `${FETCH_KEY}
install -d -m 0755 -o root -g root /etc/apt/keyrings
fetch_key ${DOCKER_APT.keyUrl} ${DOCKER_APT.keyring} ${DOCKER_APT.keyFingerprint}
fetch_key ${GVISOR_APT.keyUrl} ${GVISOR_APT.keyring}${GVISOR_APT.keyFingerprint ? ` ${GVISOR_APT.keyFingerprint}` : ""}
arch=$(dpkg --print-architecture)
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
printf 'deb [arch=%s signed-by=%s] %s %s %s\\n' "$arch" ${DOCKER_APT.keyring} ${DOCKER_APT.repository} "$codename" ${DOCKER_APT.component} > /etc/apt/sources.list.d/docker.list
printf 'deb [arch=%s signed-by=%s] %s %s %s\\n' "$arch" ${GVISOR_APT.keyring} ${GVISOR_APT.repository} ${GVISOR_APT.suite} ${GVISOR_APT.component} > /etc/apt/sources.list.d/gvisor.list
chmod 0644 /etc/apt/sources.list.d/docker.list /etc/apt/sources.list.d/gvisor.list
apt-get update -q
apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold ${shellJoin(install)}`;
}

function distroScript(): string {
  const install = [...DOCKER_DISTRO_PACKAGES, ...GVISOR_DISTRO_PACKAGES];
  return `apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold ${shellJoin(install)}`;
}

export function engineInstallFragment(settings: DockerHostSettings): CloudConfigFragment {
  const install = settings.packageSource === "upstream" ? upstreamScript() : distroScript();
  return {
    // apparmor: Debian's kernel enables AppArmor, and runc containers fail to start without apparmor_parser.
    packages: [...INSTALL_TOOLS, "apparmor", "iptables"],
    steps: [
      {
        name: "engine",
        why:
          settings.packageSource === "upstream"
            ? "Docker from Docker's apt repository and runsc from gVisor's, so hosts get current releases (systrap, fixes)."
            : "Docker and runsc from Debian (docker.io, runsc): older, but only Debian's mirror is needed.",
        script: `export DEBIAN_FRONTEND=noninteractive
${install}
test -x ${RUNSC_PATH} || { echo "sandfleet: ${RUNSC_PATH} is missing after the install" >&2; exit 1; }
systemctl daemon-reload
systemctl enable docker.service
# Picks up daemon.json and the drop-in even when the package did not start dockerd itself.
systemctl restart docker.service`,
      },
    ],
  };
}

export function prePullFragment(images: string[]): CloudConfigFragment {
  if (images.length === 0) return {};
  return {
    steps: [
      {
        name: "pre-pull",
        why: "Warm the image cache so the first sandbox does not wait for a pull. A failed pull is a warning: the pool pulls on demand.",
        script: `for image in ${shellJoin(images)}; do
  docker pull --quiet "$image" || echo "sandfleet: warning: could not pre-pull $image" >&2
done`,
      },
    ],
  };
}
