/**
 * The GCP startup script (components/gcp/cloud-init-bootstrap.ts) run for real, with Debian 13's cloud-init
 * 25, in a container of the test-host image set up the way a fresh Compute Engine VM is when the script
 * starts: Google's guest agent has already created the login user from the `ssh-keys` metadata (its groups,
 * not `sudo`). What cannot run here is replaced, and only that: the GCE metadata server by a NoCloud seed
 * holding the user-data (a cloud.cfg.d file sorted after the script's own selects it), and systemd by a
 * `systemctl` that records, when sshd is started, what a login would find at that moment. cloud-init is
 * already in the image and the container has no network, so the script's apt install branch is not run.
 *
 * Run alone with: npx vitest run test/e2e/gcp-bootstrap.test.ts
 */
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminUserEntry, usersFragment } from "../../cloud-init/users";
import { cloudInitBootstrapMarker, gcpCloudInitBootstrapScript } from "../../components/gcp/cloud-init-bootstrap";
import { gcpConfigSchema } from "../../components/gcp/config";
import { execInContainer } from "../../local/container-exec";
import { fleetLabels } from "../../local/labels";
import { ensureTestHostImage } from "../../local/test-host-image";
import { singleFileTar } from "../../runtime/docker/single-file-tar";
import { hostConfig } from "../support/cloud-init-fixtures";
import { skipWithoutLocalEngine, taggedProgress } from "../support/local-engine";

const LABELS = fleetLabels("e2e-gcp-bootstrap");
const USER = gcpConfigSchema.parse({}).sshUser;
const STATE_DIR = "/var/lib/sandfleet";
const SSH_LOG = "/run/sf-test-ssh.log";

/** Stands in for systemd: logs each call and, when sshd starts, the login user's groups and the state dir. */
const systemctlStandIn = `#!/bin/sh
echo "systemctl $*" >> ${SSH_LOG}
if [ "$1" = start ] && [ "$2" = ssh.service ]; then
  echo "  groups: $(id -nG ${USER} 2>/dev/null || echo none)" >> ${SSH_LOG}
  echo "  state dir: $(stat -c '%U:%G %a' ${STATE_DIR} 2>/dev/null || echo missing)" >> ${SSH_LOG}
fi
`;

/** The user-data parts the login depends on, from the renderer itself: the admin user and the state dir. */
function userData(): string {
  const config = hostConfig("workspace", "distro", { adminUser: USER });
  return `#cloud-config\n${JSON.stringify({ ...usersFragment(), users: [adminUserEntry(config)] }, null, 2)}\n`;
}

const skip = skipWithoutLocalEngine("GCP bootstrap test", "test/e2e/gcp-bootstrap.test.ts");

describe.skipIf(skip)("the GCP startup script on a VM whose login user the guest agent created", () => {
  const docker = new Docker();
  let vm: Docker.Container;
  let run: Awaited<ReturnType<typeof execInContainer>>;

  const put = (path: string, content: string, mode = 0o644) =>
    vm.putArchive(singleFileTar(path.replace(/^\//, ""), Buffer.from(content, "utf8"), mode), { path: "/" });
  const sh = (script: string) => execInContainer(vm, ["bash", "-c", script], { timeoutMs: 120_000 });

  beforeAll(async () => {
    const image = (await ensureTestHostImage({ docker, progress: taggedProgress("e2e-gcp-bootstrap") })).tag;
    vm = await docker.createContainer({ Image: image, Entrypoint: ["sleep", "infinity"], Cmd: [], Labels: LABELS, HostConfig: { NetworkMode: "none" } });
    await vm.start();
    // What google-guest-agent does with `ssh-keys`: the user, in the agent's groups (those that exist).
    const agent = await sh(`groupadd google-sudoers && useradd -m -s /bin/bash -G adm,dip,video,plugdev,google-sudoers ${USER}`);
    expect(agent.exitCode, agent.stderr).toBe(0);
    await put("/usr/local/sbin/systemctl", systemctlStandIn, 0o755);
    await put("/var/lib/cloud/seed/nocloud/meta-data", "instance-id: gce-test\n");
    await put("/var/lib/cloud/seed/nocloud/user-data", userData());
    await put("/etc/cloud/cloud.cfg.d/99-test-metadata-as-nocloud.cfg", "datasource_list: [ NoCloud ]\n");
    await put("/root/startup-script", gcpCloudInitBootstrapScript(USER), 0o755);
    run = await sh("/root/startup-script");
  });

  afterAll(async () => {
    await vm?.remove({ force: true }).catch(() => undefined);
  });

  it("runs to the end and marks the VM bootstrapped", async () => {
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect((await sh(`test -e ${cloudInitBootstrapMarker} && cloud-init status`)).stdout).toContain("status: done");
  });

  it("puts the existing login user into sudo, so it may write the state directory the deploy copies into", async () => {
    expect((await sh(`id -nG ${USER}`)).stdout.split(/\s+/)).toContain("sudo");
    const copy = await sh(`runuser -u ${USER} -- sh -c 'echo post-boot > ${STATE_DIR}/post-boot.sh' && stat -c '%U:%G %a' ${STATE_DIR}`);
    expect(copy.exitCode, copy.stderr).toBe(0);
    expect(copy.stdout.trim()).toBe("root:sudo 2770");
  });

  it("holds sshd until the user is in sudo and the state directory exists, and starts it again", async () => {
    const log = (await sh(`cat ${SSH_LOG}`)).stdout;
    const calls = log.split("\n").filter((line) => line.startsWith("systemctl"));
    expect(calls[0]).toMatch(/^systemctl stop ssh\.service/);
    const start = log.indexOf("systemctl start ssh.service");
    expect(start).toBeGreaterThan(-1);
    const atStart = log.slice(start).split("\n").slice(1, 3).join("\n");
    expect(atStart).toMatch(/groups: .*\bsudo\b/);
    expect(atStart).toContain("state dir: root:sudo 2770");
  });
});
