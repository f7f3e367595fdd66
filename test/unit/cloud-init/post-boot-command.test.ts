import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  firewallRulesetBlock,
  parsePostBootResult,
  postBootCommand,
  postBootScript,
  postBootWaitCommand,
  POST_BOOT_SCRIPT_LOCAL_PATH,
  POST_BOOT_SCRIPT_REMOTE_PATH,
} from "../../../cloud-init";

const base = { role: "workspace" as const, listenAddress: "10.0.1.10", port: 2376, sudo: false, scriptPath: POST_BOOT_SCRIPT_REMOTE_PATH };

describe("the post-boot command", () => {
  it("runs the copied script with the role, the private address and the port, and no secret", () => {
    expect(postBootCommand(base)).toBe(
      "bash /var/lib/sandfleet/install-docker-tls.sh --role workspace --listen-address 10.0.1.10 --port 2376",
    );
  });

  it("adds one listen flag per extra address, private address first and each address once", () => {
    expect(postBootCommand({ ...base, extraListenAddresses: ["203.0.113.7", "10.0.1.10"] })).toBe(
      "bash /var/lib/sandfleet/install-docker-tls.sh --role workspace --listen-address 10.0.1.10 --listen-address 203.0.113.7 --port 2376",
    );
  });

  it("refuses 0.0.0.0 or a non-address among the extra listen addresses", () => {
    expect(() => postBootCommand({ ...base, extraListenAddresses: ["0.0.0.0"] })).toThrow(/extraListenAddresses\[0\]: .*never 0\.0\.0\.0/);
    expect(() => postBootCommand({ ...base, extraListenAddresses: ["203.0.113.7", "x; reboot"] })).toThrow(/extraListenAddresses\[1\]/);
  });

  it("asks the script to reload the firewall from stdin and to check and grow the data volume, in both forms", () => {
    const dataVolume = { device: "/dev/disk/by-id/scsi-0HC_Volume_1001", mountPoint: "/var/lib/docker" };
    expect(postBootCommand({ ...base, firewall: true, dataVolume })).toBe(
      "bash /var/lib/sandfleet/install-docker-tls.sh --role workspace --listen-address 10.0.1.10 --port 2376 --firewall --data-device /dev/disk/by-id/scsi-0HC_Volume_1001 --data-mount /var/lib/docker",
    );
    expect(postBootWaitCommand({ role: "platform", sudo: false, scriptPath: POST_BOOT_SCRIPT_REMOTE_PATH, firewall: true, dataVolume: { device: "/dev/sdb", mountPoint: "/srv/sandfleet" } })).toBe(
      "bash /var/lib/sandfleet/install-docker-tls.sh --role platform --wait-only --firewall --data-device /dev/sdb --data-mount /srv/sandfleet",
    );
    expect(() => postBootCommand({ ...base, dataVolume: { device: "sdb", mountPoint: "/var/lib/docker" } })).toThrow(/dataVolume\.device: "sdb" must be an absolute path/);
  });

  it("frames the ruleset for stdin and refuses one that would break the framing", () => {
    expect(firewallRulesetBlock("table inet sandfleet {}")).toBe(
      "-----BEGIN SANDFLEET NFTABLES RULESET-----\ntable inet sandfleet {}\n-----END SANDFLEET NFTABLES RULESET-----\n",
    );
    expect(() => firewallRulesetBlock("# -----END SANDFLEET NFTABLES RULESET-----")).toThrow(/firewallRuleset: must not contain '-----'/);
  });

  it("goes through non-interactive sudo for admin users other than root", () => {
    expect(postBootCommand({ ...base, sudo: true })).toMatch(/^sudo -n bash /);
  });

  it("quotes a script path with spaces", () => {
    expect(postBootCommand({ ...base, scriptPath: "/tmp/my dir/x.sh" })).toContain("'/tmp/my dir/x.sh'");
  });

  it("refuses to listen on every interface", () => {
    expect(() => postBootCommand({ ...base, listenAddress: "0.0.0.0" })).toThrow(/listenAddress: .*never 0\.0\.0\.0/);
    expect(() => postBootCommand({ ...base, listenAddress: "10.0.1.10; reboot" })).toThrow(/listenAddress/);
    expect(() => postBootCommand({ ...base, port: 0 })).toThrow(/port: 0 is not a TCP port/);
  });

  it("has a wait-only form for the platform: the same script, no listener, no port, no stdin", () => {
    expect(postBootWaitCommand({ role: "platform", sudo: false, scriptPath: POST_BOOT_SCRIPT_REMOTE_PATH })).toBe(
      "bash /var/lib/sandfleet/install-docker-tls.sh --role platform --wait-only",
    );
    expect(postBootWaitCommand({ role: "platform", sudo: true, scriptPath: POST_BOOT_SCRIPT_REMOTE_PATH })).toMatch(/^sudo -n bash .* --wait-only$/);
    expect(() => postBootWaitCommand({ role: "bastion" as never, sudo: false, scriptPath: POST_BOOT_SCRIPT_REMOTE_PATH })).toThrow(/role/);
  });

  it("ships the script as a file of its own, valid bash with strict mode", () => {
    const script = postBootScript();
    expect(script.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(script).toContain("set -euo pipefail");
    execFileSync("bash", ["-n", POST_BOOT_SCRIPT_LOCAL_PATH]);
  });

  it("says at once that the docker command is missing (Debian 13 ships it as docker-cli) instead of waiting for dockerd", () => {
    // --wait-only with a cloud-init that reports success: the first check that needs docker is the CLI check.
    const run = spawnSync("bash", [POST_BOOT_SCRIPT_LOCAL_PATH, "--role", "platform", "--wait-only"], {
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, SANDFLEET_CLOUD_INIT: "true", SANDFLEET_DOCKER: "/nonexistent/docker", SANDFLEET_DAEMON_TIMEOUT: "10" },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("the docker command (/nonexistent/docker) is missing: install it (Debian: apt-get install docker-cli");
  });

  it("reads the success line the script prints last", () => {
    const output = 'log line\nSANDFLEET_POST_BOOT_OK {"defaultRuntime":"runsc","serverVersion":"27.1.0","tlsListener":"10.0.1.10:2376"}\n';
    expect(parsePostBootResult(output)).toEqual({ defaultRuntime: "runsc", serverVersion: "27.1.0", tlsListener: "10.0.1.10:2376" });
    expect(parsePostBootResult("sandfleet post-boot: error: cloud-init failed\n")).toBeUndefined();
  });
});
