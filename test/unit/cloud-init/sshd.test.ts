import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderCloudConfig } from "../../../cloud-init";
import { hostConfig } from "../../support/cloud-init-fixtures";
import { renderedFile } from "../../support/cloud-init-files";

const SSHD = "/usr/sbin/sshd";
const DROP_IN = "/etc/ssh/sshd_config.d/00-sandfleet.conf";
const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/**
 * `sshd -T` on a throwaway config tree shaped like a cloud image's: sshd_config includes sshd_config.d/,
 * which holds a 50-cloud-init.conf enabling passwords and (optionally) our drop-in.
 */
function effectiveSshdConfig(ourDropIn: string | undefined): Record<string, string> {
  const root = mkdtempSync(join(tmpdir(), "sf-sshd-"));
  roots.push(root);
  mkdirSync(join(root, "sshd_config.d"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(root, "host_key")]);
  if (ourDropIn !== undefined) writeFileSync(join(root, "sshd_config.d", "00-sandfleet.conf"), ourDropIn);
  writeFileSync(join(root, "sshd_config.d", "50-cloud-init.conf"), "PasswordAuthentication yes\nKbdInteractiveAuthentication yes\n");
  writeFileSync(join(root, "sshd_config"), `Include ${root}/sshd_config.d/*.conf\nHostKey ${root}/host_key\n`);
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
      allowtcpforwarding: "local",
      allowagentforwarding: "no",
      x11forwarding: "no",
      maxauthtries: "3",
    });
  });

  it("forbids root logins when the admin user is not root", () => {
    const userData = renderCloudConfig(hostConfig("platform", "distro", { adminUser: "admin" }));
    const config = effectiveSshdConfig(renderedFile(userData, DROP_IN).content);
    expect(config.permitrootlogin).toBe("no");
    expect(config.passwordauthentication).toBe("no");
  });
});
