/**
 * The one renderer of sandfleet user-data: typed data in, `#cloud-config` YAML out (serialized by the
 * `yaml` library as YAML 1.1, the dialect cloud-init's PyYAML reads, so strings like "0644" or "no" are
 * quoted). Roles share every fragment and differ only in the values passed to them.
 */
import { Document, isMap, isScalar } from "yaml";
import { bootstrapFile, BOOTSTRAP_PATH } from "./bootstrap";
import { debianReleaseFragment } from "./debian-release";
import { dockerFragment } from "./docker";
import { dockerUserFragment } from "./docker-user";
import { egressProxyFragment } from "./egress-proxy";
import { engineInstallFragment, prePullFragment } from "./engine-install";
import { extraAddressesFragment } from "./extra-addresses";
import { encodeFileContent } from "./file-encoding";
import { fail2banFragment } from "./fail2ban";
import { firewallFragment } from "./firewall";
import { CloudConfigFragment, mergeFragments } from "./fragment";
import { SSH_HOST_KEY_TYPE, sshdFragment } from "./sshd";
import type { HostCloudConfig } from "./types";
import { unattendedUpgradesFragment } from "./unattended-upgrades";
import { adminUserEntry, usersFragment } from "./users";
import { auditRulesFragment } from "./audit-rules";
import { kernelHardeningFragment } from "./kernel-hardening";
import { loginPolicyFragment } from "./login-policy";
import { validateHostCloudConfig } from "./validate";
import { volumeFragment } from "./volume";
import { workspaceDisksFragment } from "./workspace-disks";

/**
 * The fragments of a host, in the order their bootstrap steps run. Both roles get every fragment; what
 * differs is the values the fragments derive from the config (see docker.ts).
 */
export function hostFragments(config: HostCloudConfig): CloudConfigFragment[] {
  return [
    debianReleaseFragment(),
    usersFragment(),
    volumeFragment(config),
    firewallFragment(config),
    extraAddressesFragment(config),
    // Updates first: what follows is installed and started from patched packages.
    unattendedUpgradesFragment(config.docker),
    sshdFragment(config),
    fail2banFragment(),
    kernelHardeningFragment(),
    loginPolicyFragment(),
    dockerFragment(config),
    workspaceDisksFragment(config),
    engineInstallFragment(config.docker),
    auditRulesFragment(config.docker),
    dockerUserFragment(config),
    egressProxyFragment(config),
    prePullFragment(config.docker.prePullImages),
  ];
}

/** Comments attached to top-level keys of the rendered document: the "why" for a reader of user-data. */
const KEY_COMMENTS: Record<string, string> = {
  locale:
    ' "false" skips the locale module: minimal images lack update-locale and the module would fail,\n turning cloud-init\'s status into "error" although the host is fine.',
  ssh_pwauth: " Key-only SSH (also enforced by /etc/ssh/sshd_config.d/00-sandfleet.conf, which sorts first).",
  ssh_genkeytypes: " One host key, Ed25519 (sshd.ts): no NIST-curve ECDSA, no RSA. Keys shipped in the image are deleted first.",
  package_upgrade: " Not at first boot (it doubles boot time); unattended-upgrades installs security updates daily.",
  bootcmd: " Every boot, before write_files and users: the state directory for the post-boot script, the data volume.",
  write_files:
    " Configuration only: no secret is ever written from user-data (it is plain text on the metadata address).\n" +
    " Files of 1 KiB and more are gz+b64 (cloud-init decodes them) to stay inside the clouds' user-data caps:\n" +
    " read one with: base64 -d <<<'...' | gunzip (cloud-init/file-encoding.ts).",
  runcmd: " One idempotent script; a failing step fails cloud-init, and the post-boot step refuses the host.",
};

/** Renders user-data for a host. Throws CloudConfigInputError (naming the field) on invalid input. */
export function renderCloudConfig(config: HostCloudConfig): string {
  validateHostCloudConfig(config);
  const merged = mergeFragments(hostFragments(config));
  const files = [...merged.files, bootstrapFile(merged.steps)];
  const isRoot = config.adminUser === "root";

  const cloudConfig = {
    hostname: config.hostname,
    preserve_hostname: false,
    locale: "false",
    users: [adminUserEntry(config)],
    disable_root: !isRoot,
    ssh_pwauth: false,
    ssh_deletekeys: true,
    ssh_genkeytypes: [SSH_HOST_KEY_TYPE],
    package_update: true,
    package_upgrade: false,
    packages: merged.packages,
    bootcmd: merged.bootcmd,
    write_files: files.map((file) => ({
      path: file.path,
      ...encodeFileContent(file.content),
      owner: "root:root",
      permissions: file.permissions,
    })),
    runcmd: [[BOOTSTRAP_PATH]],
  };

  const doc = new Document(cloudConfig, { version: "1.1" });
  doc.commentBefore = [
    ` sandfleet ${config.role} server ${config.hostname}: Docker + gVisor (runsc${config.role === "workspace" ? " as default runtime" : " available"}).`,
    " Rendered by sandfleet's cloud-init renderer (cloud-init/render.ts); do not edit by hand.",
    " dockerd listens on its unix socket only until the post-boot step installs TLS over SSH.",
    ...(config.docker.gvisorNetwork === "host"
      ? [" WARNING: gVisor network \"host\" is for tests only: sandboxes share the host's network namespace,", " so DOCKER-USER does not apply to them and they can reach the metadata service."]
      : []),
  ].join("\n");
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      if (isScalar(pair.key) && typeof pair.key.value === "string" && KEY_COMMENTS[pair.key.value]) {
        pair.key.commentBefore = KEY_COMMENTS[pair.key.value];
      }
    }
  }
  return `#cloud-config\n${doc.toString({ lineWidth: 0 })}`;
}
