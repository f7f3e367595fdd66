import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DOCKER_BASE_DROP_IN, renderCloudConfig } from "../../../cloud-init";
import { hostConfig, renderedVariants } from "../../support/cloud-init-fixtures";
import { parseUserData, readableUserData, renderedFile } from "../../support/cloud-init-files";
import { cloudInitSchema } from "../../support/cloud-init-schema";

const variants = Object.entries(renderedVariants()).map(([name, config]) => ({ name, config, userData: renderCloudConfig(config) }));
const scratch = mkdtempSync(join(tmpdir(), "sf-cloud-init-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function daemonJsonOf(userData: string): Record<string, unknown> {
  return JSON.parse(renderedFile(userData, "/etc/docker/daemon.json").content);
}

describe.each(variants)("rendered user-data: $name", ({ name, config, userData }) => {
  it("starts with #cloud-config and matches its snapshot", async () => {
    expect(userData.startsWith("#cloud-config\n")).toBe(true);
    // The snapshot is what hosts get, decoded (files of 1 KiB and more travel gz+b64): reviewable in a diff.
    await expect(readableUserData(userData)).toMatchFileSnapshot(`./__snapshots__/${name}.yaml`);
  });

  it("passes `cloud-init schema`", () => {
    const result = cloudInitSchema(userData);
    expect(result.valid, result.report).toBe(true);
  });

  it("never contains a private key", () => {
    expect(userData).not.toMatch(/PRIVATE KEY/);
  });

  it("never opens the Docker API or SSH to the internet in the host firewall", () => {
    const rules = renderedFile(userData, "/etc/sandfleet/firewall.nft").content;
    const openRules = rules.split("\n").filter((line) => /dport (22|2375|2376)\b/.test(line));
    for (const line of openRules) expect(line).toMatch(/saddr (?!0\.0\.0\.0\/0|::\/0)\S+\/\d+ tcp dport/);
    expect(rules).not.toContain("2375");
    expect(rules).toContain("policy drop;");
  });

  it("keeps listeners out of daemon.json and in the systemd drop-in instead", () => {
    const daemon = daemonJsonOf(userData);
    expect(daemon).not.toHaveProperty("hosts");
    expect(daemon).toMatchObject({ "live-restore": true, "no-new-privileges": true, icc: false, "userland-proxy": false });
    expect(daemon["log-opts"]).toMatchObject({ "max-size": expect.any(String), "max-file": expect.any(String) });
    expect(daemon["default-ulimits"]).toHaveProperty("nofile");
    // Containers resolve names through public resolvers, which DOCKER-USER lets them reach.
    expect(daemon.dns).toEqual(config.docker.sandboxDns ?? ["1.1.1.1", "9.9.9.9"]);
    const dropIn = renderedFile(userData, DOCKER_BASE_DROP_IN).content;
    const dockerd = config.docker.packageSource === "upstream" ? "/usr/bin/dockerd" : "/usr/sbin/dockerd";
    expect(dropIn).toMatch(/^ExecStart=$/m);
    expect(dropIn).toContain(`ExecStart=${dockerd} -H fd:// `);
    expect(dropIn).not.toContain("tcp://");
  });

  it("registers runsc with --oci-seccomp and the configured platform and network", () => {
    const runtimes = daemonJsonOf(userData).runtimes as Record<string, { path: string; runtimeArgs: string[] }>;
    expect(runtimes.runsc).toEqual({
      path: "/usr/local/sbin/sandfleet-runsc",
      runtimeArgs: [`--platform=${config.docker.gvisorPlatform}`, "--oci-seccomp", `--network=${config.docker.gvisorNetwork}`],
    });
  });

  it("starts runsc through a wrapper that drops its supplementary groups (the gofer must not be in host group root)", () => {
    const wrapper = renderedFile(userData, "/usr/local/sbin/sandfleet-runsc");
    expect(wrapper.permissions).toBe("0755");
    expect(wrapper.content.split("\n").filter((l) => !l.startsWith("#") && l)).toEqual(['exec /usr/bin/setpriv --clear-groups -- /usr/bin/runsc "$@"']);
  });

  it("writes files of 1 KiB and more gz+b64 (deterministic bytes) and the rest as plain text", () => {
    const raw = (parse(userData.replace(/^#cloud-config\n/, ""), { version: "1.1" }) as { write_files: { path: string; content: string; encoding?: string }[] }).write_files;
    for (const file of parseUserData(userData).write_files) {
      const sent = raw.find((f) => f.path === file.path)!;
      if (Buffer.byteLength(file.content) >= 1024) {
        expect(sent.encoding, file.path).toBe("gz+b64");
        const bytes = Buffer.from(sent.content, "base64");
        expect([bytes[0], bytes[1], bytes[9]], file.path).toEqual([0x1f, 0x8b, 3]); // gzip magic, OS "Unix" on every machine
        expect(bytes.readUInt32LE(4), `${file.path}: no gzip timestamp`).toBe(0);
      } else {
        expect(sent.encoding, file.path).toBeUndefined();
        expect(sent.content).toBe(file.content);
      }
    }
    expect(renderCloudConfig(config)).toBe(userData);
  });

  it("gives every written file an explicit owner and permissions", () => {
    for (const file of parseUserData(userData).write_files) {
      expect(file.owner, file.path).toBe("root:root");
      expect(file.permissions, file.path).toMatch(/^0[0-7]{3}$/);
    }
  });

  it("installs the engine from the configured package source", () => {
    const bootstrap = renderedFile(userData, "/usr/local/sbin/sandfleet-bootstrap").content;
    if (config.docker.packageSource === "upstream") {
      expect(bootstrap).toContain("https://download.docker.com/linux/debian");
      expect(bootstrap).toContain("9DC858229FC7DD38854AE2D88D81803C0EBFCD88");
      expect(bootstrap).toContain("https://storage.googleapis.com/gvisor/releases");
      expect(bootstrap).toMatch(/install .*docker-ce .*runsc/);
      const origins = renderedFile(userData, "/etc/apt/apt.conf.d/52sandfleet-unattended-upgrades").content;
      expect(origins).toContain('"site=download.docker.com";');
      expect(origins).toContain('"site=storage.googleapis.com";');
    } else {
      // Debian 13 ships the client separately (docker-cli); the post-boot step and the pre-pull need it.
      expect(bootstrap).toMatch(/install .*docker\.io docker-cli runsc/);
      expect(bootstrap).not.toContain("download.docker.com");
    }
  });

  it("is a bootstrap script that stops at the first failing step", () => {
    const file = renderedFile(userData, "/usr/local/sbin/sandfleet-bootstrap");
    expect(file.content).toContain("set -euo pipefail");
    expect(parseUserData(userData).runcmd).toEqual([["/usr/local/sbin/sandfleet-bootstrap"]]);
    const checked = join(scratch, `${name}-bootstrap.sh`);
    writeFileSync(checked, file.content);
    execFileSync("bash", ["-n", checked]);
  });

  it("mounts the volume by its device path with nofail", () => {
    const volume = parseUserData(userData).bootcmd.find((cmd) => cmd[3] === "sandfleet-volume");
    if (!config.volume) {
      expect(volume).toBeUndefined();
      return;
    }
    expect(volume?.slice(4)).toEqual([config.volume.device, config.volume.mountPoint]);
    expect(volume?.[2]).toContain("nofail");
  });
});

describe("the schema check itself", () => {
  it("rejects a document cloud-init would misread, so a pass above means something", () => {
    const result = cloudInitSchema("#cloud-config\nruncmd: 5\n");
    expect(result.valid).toBe(false);
    expect(result.report).toContain("is not of type 'array'");
  });
});

describe("role differences", () => {
  it("makes runsc the default runtime on workspace servers only", () => {
    expect(daemonJsonOf(renderCloudConfig(hostConfig("workspace")))["default-runtime"]).toBe("runsc");
    const platform = daemonJsonOf(renderCloudConfig(hostConfig("platform")));
    expect(platform).not.toHaveProperty("default-runtime");
    expect(platform.runtimes).toHaveProperty("runsc");
  });

  it("remaps container root to an unprivileged host UID range on workspace servers only (the user's services keep host UIDs)", () => {
    expect(daemonJsonOf(renderCloudConfig(hostConfig("workspace")))["userns-remap"]).toBe("default");
    expect(daemonJsonOf(renderCloudConfig(hostConfig("platform")))).not.toHaveProperty("userns-remap");
  });

  it("mounts the workspace volume before docker starts", () => {
    const dropIn = renderedFile(renderCloudConfig(hostConfig("workspace")), DOCKER_BASE_DROP_IN).content;
    expect(dropIn).toContain("RequiresMountsFor=/var/lib/docker");
    expect(renderedFile(renderCloudConfig(hostConfig("platform")), DOCKER_BASE_DROP_IN).content).not.toContain("RequiresMountsFor");
  });

  it("opens public ports only where the config asks for them", () => {
    const platform = renderedFile(renderCloudConfig(hostConfig("platform")), "/etc/sandfleet/firewall.nft").content;
    expect(platform).toContain("tcp dport { 80, 443 } accept");
    expect(platform).not.toContain("dport 2376");
    const workspace = renderedFile(renderCloudConfig(hostConfig("workspace")), "/etc/sandfleet/firewall.nft").content;
    expect(workspace).not.toMatch(/dport \{/);
    expect(workspace).toContain("ip saddr 10.0.0.0/16 tcp dport 2376 accept");
  });

  it("lets only the platform's containers dial the workspace Docker API on the private network", () => {
    const rules = (role: "platform" | "workspace") =>
      renderedFile(renderCloudConfig(hostConfig(role)), "/usr/local/sbin/sandfleet-docker-user").content;
    expect(rules("platform")).toContain("-A SANDFLEET-EGRESS -d 10.0.0.0/16 -p tcp --dport 2376 -j RETURN");
    expect(rules("workspace")).not.toContain("--dport 2376");
    for (const net of ["169.254.0.0/16", "10.0.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]) {
      expect(rules("workspace")).toContain(`-A SANDFLEET-EGRESS -d ${net} -j REJECT`);
    }
  });

  it("gives a non-root admin user passwordless sudo and forbids root logins", () => {
    const userData = renderCloudConfig(hostConfig("workspace", "upstream", { adminUser: "admin" }));
    const parsed = parseUserData(userData);
    expect(parsed.users).toEqual([expect.objectContaining({ name: "admin", sudo: "ALL=(ALL) NOPASSWD:ALL", lock_passwd: true })]);
    expect(parsed.disable_root).toBe(true);
    expect(renderedFile(userData, "/etc/ssh/sshd_config.d/00-sandfleet.conf").content).toContain("PermitRootLogin no");
  });

  it("warns in the document when gVisor shares the host network (test-only), and still passes the schema", () => {
    const config = hostConfig("workspace", "distro");
    config.docker = { ...config.docker, gvisorNetwork: "host" };
    const userData = renderCloudConfig(config);
    expect(userData).toMatch(/^# WARNING: gVisor network "host" is for tests only/m);
    expect(cloudInitSchema(userData).valid).toBe(true);
    expect(renderCloudConfig(hostConfig("workspace", "distro"))).not.toContain("WARNING");
  });

  it("binds a floating IP at every boot through an enabled unit, and only when the host has one", () => {
    const userData = renderCloudConfig(hostConfig("platform", "upstream", { extraIpv4Addresses: ["198.51.100.20"] }));
    const script = renderedFile(userData, "/usr/local/sbin/sandfleet-extra-addresses");
    expect(script.permissions).toBe("0755");
    expect(script.content).toContain('addresses="198.51.100.20"');
    expect(script.content).toContain('ip -4 addr replace "$address/32" dev "$iface"');
    const unit = renderedFile(userData, "/etc/systemd/system/sandfleet-extra-addresses.service").content;
    expect(unit).toMatch(/^After=network-online\.target/m);
    expect(unit).toContain("ExecStart=/usr/local/sbin/sandfleet-extra-addresses up");
    expect(unit).toContain("WantedBy=multi-user.target");
    const bootstrap = renderedFile(userData, "/usr/local/sbin/sandfleet-bootstrap").content;
    expect(bootstrap).toContain("systemctl enable --now sandfleet-extra-addresses.service");
    expect(renderCloudConfig(hostConfig("platform"))).not.toContain("sandfleet-extra-addresses");
  });

  it("serves the platform's public ports on the floating IP too (no destination match), and nothing else there", () => {
    const rules = renderedFile(
      renderCloudConfig(hostConfig("platform", "upstream", { extraIpv4Addresses: ["198.51.100.20"] })),
      "/etc/sandfleet/firewall.nft",
    ).content;
    const ruleLines = rules.split("\n").filter((line) => /^\s+[a-z]/.test(line) && !line.trim().startsWith("type "));
    expect(ruleLines).toContain("    tcp dport { 80, 443 } accept");
    expect(rules).not.toMatch(/daddr/);
    expect(rules).not.toContain("dport 2376");
    expect(rules).toContain("on its own address and on 198.51.100.20 alike");
  });

  it("gives containers DNS servers that DOCKER-USER does not block, overridable per stack", () => {
    const config = hostConfig("workspace");
    const daemon = daemonJsonOf(renderCloudConfig(config));
    const rules = renderedFile(renderCloudConfig(config), "/usr/local/sbin/sandfleet-docker-user").content;
    const blocked = [...rules.matchAll(/-d (\S+) -j REJECT/g)].map((m) => m[1]);
    const inCidr = (ip: string, cidr: string) => {
      const [base, prefix] = cidr.split("/");
      const n = (a: string) => a.split(".").reduce((x, o) => x * 256 + Number(o), 0);
      const size = 2 ** (32 - Number(prefix));
      return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
    };
    for (const server of daemon.dns as string[]) for (const net of blocked) expect(inCidr(server, net), `${server} in ${net}`).toBe(false);
    config.docker = { ...config.docker, sandboxDns: ["8.8.8.8"] };
    expect(daemonJsonOf(renderCloudConfig(config)).dns).toEqual(["8.8.8.8"]);
  });

  it("renders the same document for the same input", () => {
    expect(renderCloudConfig(hostConfig("workspace"))).toBe(renderCloudConfig(hostConfig("workspace")));
  });
});

describe("containers' open-files limit", () => {
  /**
   * Runs the bootstrap's container-limits step against a daemon.json and a PID 1 limits file of our own (the
   * step's two paths substituted), and returns the nofile limit it leaves in daemon.json.
   */
  function nofileAfterStep(pid1HardLimit: number): unknown {
    const userData = renderCloudConfig(hostConfig("workspace", "distro"));
    const bootstrap = renderedFile(userData, "/usr/local/sbin/sandfleet-bootstrap").content;
    const step = /sandfleet-bootstrap: container-limits"\n\(\n([\s\S]*?)\n\)\n/.exec(bootstrap)?.[1];
    expect(step).toContain("/proc/1/limits");
    const dir = mkdtempSync(join(scratch, "limits-"));
    writeFileSync(join(dir, "daemon.json"), renderedFile(userData, "/etc/docker/daemon.json").content);
    // The layout of /proc/PID/limits (fs/proc/base.c): name, soft, hard, units.
    writeFileSync(join(dir, "limits"), `Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 ${pid1HardLimit}              files     \n`);
    const script = step!.replaceAll("/proc/1/limits", join(dir, "limits")).replaceAll("/etc/docker/daemon.json", join(dir, "daemon.json"));
    execFileSync("bash", ["-euo", "pipefail", "-c", script]);
    return JSON.parse(readFileSync(join(dir, "daemon.json"), "utf8"))["default-ulimits"];
  }

  it("stays 65536 where PID 1 may grant it, as on a cloud server (systemd runs with fs.nr_open)", () => {
    expect(daemonJsonOf(renderCloudConfig(hostConfig("workspace")))["default-ulimits"]).toEqual({ nofile: { Name: "nofile", Soft: 65536, Hard: 65536 } });
    expect(nofileAfterStep(1048576)).toEqual({ nofile: { Name: "nofile", Soft: 65536, Hard: 65536 } });
  });

  it("is lowered at boot to PID 1's hard limit on a confined host, where runc could not raise it", () => {
    expect(nofileAfterStep(20000)).toEqual({ nofile: { Name: "nofile", Soft: 20000, Hard: 20000 } });
  });
});
