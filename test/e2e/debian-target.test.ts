/**
 * The rendered user-data against the release it targets, Debian 13 (trixie), with that release's own tools:
 * cloud-init 25.1's schema (the machine's cloud-init, used by the unit tier, may be older), OpenSSH 10's
 * `sshd -T` on the sshd drop-in, and the bootstrap's release guard, which passes on Debian 13 and stops a
 * Debian 12 server before anything is installed. Runs in a plain container from the test-host image (no
 * systemd boot, no network), so it takes seconds once the image is cached.
 *
 * Run alone with: npx vitest run test/e2e/debian-target.test.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderCloudConfig } from "../../cloud-init";
import { TARGET_DEBIAN } from "../../cloud-init/debian-release";
import { execInContainer } from "../../local/container-exec";
import { fleetLabels } from "../../local/labels";
import { ensureTestHostImage } from "../../local/test-host-image";
import { singleFileTar } from "../../runtime/docker/single-file-tar";
import { hostConfig, renderedVariants } from "../support/cloud-init-fixtures";
import { renderedFile } from "../support/cloud-init-files";
import { skipWithoutLocalEngine, taggedProgress } from "../support/local-engine";

const LABELS = fleetLabels("e2e-debian-target");
const BOOTSTRAP = "/usr/local/sbin/sandfleet-bootstrap";
/** /etc/os-release of Debian 12 (base-files 12.4+deb12u*), as a Debian 12 cloud image ships it. */
const DEBIAN_12_OS_RELEASE = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`;

const skip = skipWithoutLocalEngine("Debian 13 target tests", "test/e2e/debian-target.test.ts");

describe.skipIf(skip)(`rendered user-data on its target, Debian ${TARGET_DEBIAN.version} (${TARGET_DEBIAN.codename})`, () => {
  const docker = new Docker();
  const scratch = mkdtempSync(join(tmpdir(), "sf-debian-target-"));
  const containers: Docker.Container[] = [];
  let image: string;
  let target: Docker.Container;

  /** A container from the test-host image that only sleeps: the release's files and tools, nothing booted. */
  const startContainer = async (binds: string[] = []) => {
    const container = await docker.createContainer({
      Image: image,
      Entrypoint: ["sleep", "infinity"],
      Cmd: [],
      Labels: LABELS,
      HostConfig: { NetworkMode: "none", Binds: binds },
    });
    containers.push(container);
    await container.start();
    return container;
  };
  const put = (container: Docker.Container, path: string, content: string, mode = 0o644) =>
    container.putArchive(singleFileTar(path.replace(/^\//, ""), Buffer.from(content, "utf8"), mode), { path: "/" });
  const run = (container: Docker.Container, script: string) => execInContainer(container, ["bash", "-c", script], { timeoutMs: 60_000 });

  beforeAll(async () => {
    image = (await ensureTestHostImage({ docker, progress: taggedProgress("e2e-debian-target") })).tag;
    target = await startContainer();
  });

  afterAll(async () => {
    for (const container of containers) await container.remove({ force: true }).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("runs in a container of the target release, with cloud-init 25 and OpenSSH 10", async () => {
    const versions = await run(target, ". /etc/os-release; echo $VERSION_ID $VERSION_CODENAME; cloud-init --version; sshd -V 2>&1 | head -1");
    expect(versions.exitCode, versions.stderr).toBe(0);
    expect(versions.stdout).toContain(`${TARGET_DEBIAN.version} ${TARGET_DEBIAN.codename}`);
    expect(versions.stdout + versions.stderr).toMatch(/cloud-init 25\./);
    expect(versions.stdout).toMatch(/OpenSSH_10\./);
  });

  it.each(Object.entries(renderedVariants()))("passes the target's `cloud-init schema` with no deprecation: %s", async (name, config) => {
    await put(target, `/root/user-data/${name}.yaml`, renderCloudConfig(config));
    const result = await run(target, `cloud-init schema --config-file /root/user-data/${name}.yaml`);
    const output = `${result.stdout}${result.stderr}`;
    expect(result.exitCode, output).toBe(0);
    expect(output).toMatch(/Valid schema/);
    expect(output).not.toMatch(/deprecat/i);
  });

  it("fails the target's `cloud-init schema` on a document cloud-init would misread, so a pass above means something", async () => {
    await put(target, "/root/user-data/invalid.yaml", "#cloud-config\nruncmd: 5\n");
    const result = await run(target, "cloud-init schema --config-file /root/user-data/invalid.yaml");
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("is not of type 'array'");
  });

  it("has OpenSSH 10 accept the sshd drop-in and apply it over a 50-cloud-init.conf that enables passwords", async () => {
    const dropIn = renderedFile(renderCloudConfig(hostConfig("workspace", "distro", { adminUser: "admin" })), "/etc/ssh/sshd_config.d/00-sandfleet.conf");
    await put(target, dropIn.path, dropIn.content);
    await put(target, "/etc/ssh/sshd_config.d/50-cloud-init.conf", "PasswordAuthentication yes\nKbdInteractiveAuthentication yes\n");
    const result = await run(target, "ssh-keygen -A >/dev/null && mkdir -p /run/sshd && sshd -t && sshd -T");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/deprecated|unsupported/i);
    const effective = Object.fromEntries(result.stdout.split("\n").filter(Boolean).map((line) => [line.split(" ")[0], line.slice(line.indexOf(" ") + 1)]));
    expect(effective).toMatchObject({
      passwordauthentication: "no",
      kbdinteractiveauthentication: "no",
      permitrootlogin: "no",
      authenticationmethods: "publickey",
      allowtcpforwarding: "no", // a workspace host is no bastion (the platform keeps "local": sshd.ts)
      x11forwarding: "no",
      maxauthtries: "3",
    });
  });

  it("lets the bootstrap's release step pass on the target release", async () => {
    const bootstrap = renderedFile(renderCloudConfig(hostConfig("workspace", "distro")), BOOTSTRAP).content;
    const releaseStep = /\n\(\n([\s\S]*?)\n\)\n/.exec(bootstrap.slice(bootstrap.indexOf("sandfleet-bootstrap: release")))?.[1];
    expect(releaseStep).toContain("/etc/os-release");
    const result = await run(target, releaseStep!);
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it("stops the whole bootstrap on a Debian 12 server at its first step, naming the image to use instead", async () => {
    const osRelease = join(scratch, "os-release");
    writeFileSync(osRelease, DEBIAN_12_OS_RELEASE);
    const bookworm = await startContainer([`${osRelease}:/etc/os-release:ro`, `${osRelease}:/usr/lib/os-release:ro`]);
    const bootstrap = renderedFile(renderCloudConfig(hostConfig("workspace", "distro")), BOOTSTRAP);
    await put(bookworm, bootstrap.path, bootstrap.content, 0o700);
    const result = await run(bookworm, BOOTSTRAP);
    expect(result.exitCode).toBe(1);
    // The first step's banner and nothing after it: no later step started.
    expect(result.stdout.trim().split("\n")).toEqual(["sandfleet-bootstrap: release"]);
    expect(result.stderr).toContain("this server runs Debian GNU/Linux 12 (bookworm), but sandfleet's user-data targets Debian 13 (trixie)");
    expect(result.stderr).toContain("boot it from a Debian 13 image");
  });
});
