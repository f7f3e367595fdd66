import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderCloudConfig } from "../../../cloud-init";
import { hostConfig } from "../../support/cloud-init-fixtures";
import { renderedFile } from "../../support/cloud-init-files";

const SSHD = "/usr/sbin/sshd";
/** `ssh -Q` query per algorithm keyword of the drop-in. */
const ALGORITHM_QUERIES: Record<string, string> = { KexAlgorithms: "kex", Ciphers: "cipher", MACs: "mac", HostKeyAlgorithms: "key" };
const DROP_IN = "/etc/ssh/sshd_config.d/00-sandfleet.conf";
const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/**
 * The drop-in as this machine's sshd can read it: the algorithm lists keep only names its OpenSSH knows. The
 * machines run Debian 12's OpenSSH 9.2, which predates ML-KEM and the un-suffixed sntrup name (9.9); what
 * OpenSSH 10 (Debian 13) makes of the full lists is measured on the test hosts (test/e2e/host-audit.test.ts).
 */
function asLocalSshdReadsIt(dropIn: string): string {
  return dropIn
    .split("\n")
    .map((line) => {
      const [key, value] = line.split(" ");
      const query = ALGORITHM_QUERIES[key];
      if (!query) return line;
      const known = new Set(execFileSync("ssh", ["-Q", query], { encoding: "utf8" }).split("\n"));
      return `${key} ${value.split(",").filter((name) => known.has(name)).join(",")}`;
    })
    .join("\n");
}

/**
 * `sshd -T` on a throwaway config tree shaped like a cloud image's: sshd_config includes sshd_config.d/,
 * which holds a 50-cloud-init.conf enabling passwords and (optionally) our drop-in.
 */
function effectiveSshdConfig(ourDropIn: string | undefined): Record<string, string> {
  const root = mkdtempSync(join(tmpdir(), "sf-sshd-"));
  roots.push(root);
  mkdirSync(join(root, "sshd_config.d"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(root, "host_key")]);
  // The drop-in names the host key by its Debian path; point it at the throwaway one.
  if (ourDropIn !== undefined) ourDropIn = ourDropIn.replace(/^HostKey \S+$/m, `HostKey ${root}/host_key`);
  if (ourDropIn !== undefined) writeFileSync(join(root, "sshd_config.d", "00-sandfleet.conf"), asLocalSshdReadsIt(ourDropIn));
  writeFileSync(join(root, "sshd_config.d", "50-cloud-init.conf"), "PasswordAuthentication yes\nKbdInteractiveAuthentication yes\n");
  writeFileSync(join(root, "sshd_config"), `Include ${root}/sshd_config.d/*.conf\n${ourDropIn === undefined ? `HostKey ${root}/host_key\n` : ""}`);
  // sshd -T refuses to run without its privilege separation directory (the package creates it at runtime).
  if (!existsSync("/run/sshd")) mkdirSync("/run/sshd", { mode: 0o755 });
  const out = execFileSync(SSHD, ["-T", "-f", join(root, "sshd_config")], { encoding: "utf8" });
  return Object.fromEntries(
    out
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const space = line.indexOf(" ");
        return [line.slice(0, space), line.slice(space + 1)];
      }),
  );
}

describe.skipIf(!existsSync(SSHD))("the sshd drop-in", () => {
  it("is overridden by 50-cloud-init.conf when it is missing (the trap this test guards against)", () => {
    expect(effectiveSshdConfig(undefined).passwordauthentication).toBe("yes");
  });

  it("wins over a 50-cloud-init.conf that enables passwords on a root-admin host", () => {
    const config = effectiveSshdConfig(renderedFile(renderCloudConfig(hostConfig("workspace")), DROP_IN).content);
    expect(config).toMatchObject({
      passwordauthentication: "no",
      kbdinteractiveauthentication: "no",
      permitrootlogin: "without-password", // sshd -T's spelling of prohibit-password
      authenticationmethods: "publickey",
      allowtcpforwarding: "no",
      allowagentforwarding: "no",
      x11forwarding: "no",
      compression: "no",
      maxauthtries: "3",
      maxsessions: "2",
      loglevel: "VERBOSE",
      tcpkeepalive: "no",
    });
  });

  it("offers only the Ed25519 host key, curve25519 / post-quantum key exchange, AEAD ciphers and ETM MACs", () => {
    const config = effectiveSshdConfig(renderedFile(renderCloudConfig(hostConfig("workspace")), DROP_IN).content);
    expect(config.hostkey).toMatch(/\/host_key$/);
    expect(config.hostkeyalgorithms.split(",")).toEqual(["ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com"]);
    // Every name sshd prints is one of ours (the machine's 9.2 drops the two it does not know).
    for (const kex of config.kexalgorithms.split(",")) expect(kex).toMatch(/^(mlkem768x25519-sha256|sntrup761x25519-sha512(@openssh\.com)?|curve25519-sha256(@libssh\.org)?)$/);
    expect(config.kexalgorithms).toContain("curve25519-sha256"); // what ssh2 (post-boot step, @pulumi/command) speaks
    expect(config.ciphers.split(",")).toEqual(["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com"]);
    for (const mac of config.macs.split(",")) expect(mac).toMatch(/-etm@openssh\.com$/);
    expect(config.macs).not.toMatch(/sha1|umac-64/);
  });

  it("keeps local forwards on the platform only: it is the bastion for workspace servers without a public address", () => {
    const config = effectiveSshdConfig(renderedFile(renderCloudConfig(hostConfig("platform")), DROP_IN).content);
    expect(config.allowtcpforwarding).toBe("local");
    expect(config.gatewayports).toBe("no");
    expect(config.permittunnel).toBe("no");
  });

  it("forbids root logins when the admin user is not root", () => {
    const userData = renderCloudConfig(hostConfig("platform", "distro", { adminUser: "admin" }));
    const config = effectiveSshdConfig(renderedFile(userData, DROP_IN).content);
    expect(config.permitrootlogin).toBe("no");
    expect(config.passwordauthentication).toBe("no");
  });
});
