/**
 * End to end: the local fleet (1 platform + 1 workspace host, booted from the user-data the clouds get) audited
 * with Debian 13's own tools, as a security reviewer would (issue 14):
 * - ssh-audit (3.3, installed from Debian 13 on every host) against each host's own sshd;
 * - lynis (3.1.4, installed on the workspace host) `audit system --quick`: the hardening index and what remains;
 * - openssl s_client (this machine's) against the workspace's published Docker TLS port, suite by suite;
 * - auditd, sysctls, security updates and the IPv6 DOCKER-USER rules, looked at from inside the hosts.
 * It prints the figures docs/security.md and the README's security section show.
 *
 * Run alone with: flock /tmp/sf/e2e.lock npx vitest run --project e2e test/e2e/host-audit.test.ts
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "../../runtime/index";
import { execInContainer } from "../../local/container-exec";
import { LOCAL_SANDBOX_IMAGE } from "../../local/sandbox-image";
import { downFleet, FleetHost, LOCAL_ADMIN_USER, LocalFleet, upFleet } from "../../local/fleet";
import { hostSummaryLine } from "../../local/fleet-summary";
import { removeFleetResources } from "../../local/hosts";
import { skipWithoutLocalEngine, taggedProgress } from "../support/local-engine";

const FLEET = "audit";
const SUBNET = "10.213.20.0/24";
const LYNIS_MINIMUM_INDEX = 80;
const SECURITY_DOC = readFileSync(join(__dirname, "../../docs/security.md"), "utf8");

const skip = skipWithoutLocalEngine("host-audit end-to-end tests", "test/e2e/host-audit.test.ts");
const progress = taggedProgress("audit");
/** The figures, printed together at the end (and as they come). */
const figures: string[] = [];
const figure = (line: string) => {
  figures.push(line);
  console.log(`[audit] FIGURE ${line}`);
};

/** One algorithm of ssh-audit's JSON report. */
interface SshAuditAlgorithm {
  algorithm: string;
  notes?: { fail?: string[]; warn?: string[]; info?: string[] };
}

describe.skipIf(skip)("hosts that pass independent audits", () => {
  const docker = new Docker();
  const scratch = mkdtempSync(join(tmpdir(), "sandfleet-audit-"));
  const stateDir = join(scratch, "state");
  let fleet: LocalFleet;
  let platform: FleetHost;
  let workspace: FleetHost;

  const inHost = async (host: FleetHost, script: string, timeoutMs = 120_000) =>
    execInContainer(docker.getContainer(host.containerId), ["bash", "-c", script], { timeoutMs });
  const mustRun = async (host: FleetHost, script: string, timeoutMs?: number) => {
    const result = await inHost(host, script, timeoutMs);
    expect(result.exitCode, `${host.name}: ${script}\n${result.stdout}\n${result.stderr}`).toBe(0);
    return result.stdout;
  };
  const aptInstall = (host: FleetHost, packages: string) =>
    mustRun(host, `DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${packages} >/dev/null`, 300_000);

  beforeAll(async () => {
    await removeFleetResources(docker, FLEET);
    fleet = await upFleet({ fleet: FLEET, subnet: SUBNET, workspaces: 1, platforms: 1, stateDir, docker, progress });
    platform = fleet.hosts.find((h) => h.role === "platform")!;
    workspace = fleet.hosts.find((h) => h.role === "workspace")!;
    for (const host of fleet.hosts) figure(`${host.name}: cloud-init ${(host.cloudInit.durationMs / 1000).toFixed(0)} s (boot to ready, both hosts in parallel on this machine)`);
    // The auditors' tools, from Debian 13 (the hosts' release): through the engine's NAT, like the hosts' own packages.
    await Promise.all([aptInstall(platform, "ssh-audit"), aptInstall(workspace, "ssh-audit lynis")]);
  });

  afterAll(async () => {
    if (fleet) console.log(`\n[audit] figures (${new Date().toISOString().slice(0, 10)}):\n${figures.map((f) => `  ${f}`).join("\n")}\n`);
    await downFleet({ fleet: FLEET, stateDir, docker }).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("lets the admin in with this machine's OpenSSH client (older than the hosts': no ML-KEM) and the deploy key", () => {
    const key = join(stateDir, "deploy_key");
    const ssh = spawnSync(
      "ssh",
      ["-i", key, "-p", String(workspace.sshPort), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-v", `${LOCAL_ADMIN_USER}@127.0.0.1`, "echo logged-in"],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(ssh.stdout.trim(), ssh.stderr).toBe("logged-in");
    const kex = /kex: algorithm: (\S+)/.exec(ssh.stderr)?.[1];
    const cipher = /kex: server->client cipher: (\S+)/.exec(ssh.stderr)?.[1];
    figure(`admin ssh (OpenSSH ${/OpenSSH_(\S+)/.exec(ssh.stderr)?.[1]}) negotiated kex ${kex}, cipher ${cipher}`);
  });

  it("passes ssh-audit (Debian 13's) on every host: no failure and no warning for key exchange, host key, cipher and MAC", async () => {
    for (const host of fleet.hosts) {
      const version = (await mustRun(host, "dpkg-query -W -f '${Version}' ssh-audit")).trim();
      // Each host audits its own sshd on loopback: a scan's unauthenticated connections from another address trip
      // fail2ban's aggressive sshd jail (loopback is on its ignore list), which would cut the scan short.
      // Exit code 0 = no failure and no warning anywhere (3 = failures, 2 = warnings).
      const result = await inHost(host, "ssh-audit --json 127.0.0.1");
      let report: Record<string, unknown> & { kex: SshAuditAlgorithm[]; key: SshAuditAlgorithm[]; enc: SshAuditAlgorithm[]; mac: SshAuditAlgorithm[] };
      try {
        report = JSON.parse(result.stdout);
      } catch {
        throw new Error(`${host.name}: ssh-audit gave no JSON report (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`);
      }
      const findings = (["kex", "key", "enc", "mac"] as const).flatMap((kind) =>
        report[kind].flatMap((a) => [...(a.notes?.fail ?? []).map((n) => `${kind} ${a.algorithm} fail: ${n}`), ...(a.notes?.warn ?? []).map((n) => `${kind} ${a.algorithm} warn: ${n}`)]),
      );
      expect(findings, host.name).toEqual([]);
      expect(result.exitCode, `${host.name}: ${result.stdout}`).toBe(0);
      expect(report.key.map((k) => k.algorithm)).toEqual(["ssh-ed25519"]);
      expect(report.compression).toEqual(["none"]);
      figure(
        `ssh-audit ${version} ${host.name}: 0 fail, 0 warn; kex ${report.kex.map((k) => k.algorithm).filter((a) => !["ext-info-s", "kex-strict-s-v00@openssh.com"].includes(a)).join(",")}; ` +
          `key ${report.key.map((k) => k.algorithm)}; enc ${report.enc.map((k) => k.algorithm).join(",")}; mac ${report.mac.map((k) => k.algorithm).join(",")}`,
      );
    }
  });

  it("scores a lynis hardening index of at least 80 on a workspace host, each remaining finding explained in docs/security.md", async () => {
    const started = Date.now();
    await mustRun(workspace, "lynis audit system --quick --no-colors > /var/log/lynis-run.txt 2>&1", 600_000);
    const report = await mustRun(workspace, "cat /var/log/lynis-report.dat");
    const values = (key: string) => [...report.matchAll(new RegExp(`^${key.replace(/[[\]]/g, "\\$&")}=(.*)$`, "gm"))].map((m) => m[1]);
    const index = Number(values("hardening_index")[0]);
    const warnings = values("warning[]").map((w) => w.split("|")[0]);
    const suggestions = [...new Set(values("suggestion[]").map((s) => s.split("|")[0]))];
    figure(`lynis ${values("lynis_version")[0]} on ${workspace.name}: hardening index ${index} (${values("lynis_tests_done")[0]} tests, ${((Date.now() - started) / 1000).toFixed(0)} s); warnings: ${warnings.join(", ") || "none"}; suggestions: ${suggestions.join(", ")}`);
    expect(index).toBeGreaterThanOrEqual(LYNIS_MINIMUM_INDEX);
    // No pending security updates (PKGS-7392): the bootstrap installed them before the host reported ready.
    expect(warnings).not.toContain("PKGS-7392");
    const unexplained = [...warnings, ...suggestions].filter((id) => !SECURITY_DOC.includes(`\`${id}\``));
    expect(unexplained, "lynis findings that docs/security.md does not explain").toEqual([]);
  });

  it("installs auditd with the engine's rules; the kernel takes audit rules only outside a container", async () => {
    const merged = await mustRun(workspace, "cat /etc/audit/audit.rules");
    for (const rule of ["-w /usr/sbin/dockerd -p wa -k docker", "-w /etc/docker -p wa -k docker", "-a always,exit -F dir=/var/lib/docker -F perm=wa -k docker"]) {
      expect(merged).toContain(rule);
    }
    const virt = (await inHost(workspace, "systemd-detect-virt --container")).stdout.trim();
    const listed = await inHost(workspace, "auditctl -l");
    if (virt !== "none") {
      // The test host is a container: the kernel refuses audit netlink requests from any PID namespace but its first.
      expect(listed.stderr).toMatch(/Operation not permitted/);
      figure(`auditd: ${merged.split("\n").filter((l) => l.startsWith("-")).length} rules merged into /etc/audit/audit.rules; not loaded in this test host (${virt}): "${listed.stderr.trim().split("\n")[0]}"`);
    } else {
      expect(listed.stdout).toContain("-w /usr/sbin/dockerd -p wa -k docker");
      figure(`auditd: ${listed.stdout.split("\n").filter(Boolean).length} rules loaded`);
    }
  });

  it("reports ready with no security update pending, and says what installing them cost", async () => {
    const pending = await mustRun(workspace, "apt-get -s -o Debug::NoLocking=1 upgrade | grep '^Inst .*-security' || true");
    expect(pending.trim()).toBe("");
    // The step's start and the next step's start, from the journal (cloud-final's output carries timestamps there).
    const log = await mustRun(workspace, "grep -E 'Packages that will be upgraded|All upgrades installed|No packages found' /var/log/unattended-upgrades/unattended-upgrades.log || true");
    const stamps = await mustRun(workspace, "journalctl -o short-unix --no-pager | grep -E 'sandfleet-bootstrap: (security-updates|sshd)$' | awk '{ print $1 }'");
    const [start, end] = stamps.trim().split("\n").map(Number);
    const upgraded = /Packages that will be upgraded: (.*)/.exec(log)?.[1]?.trim().split(/\s+/) ?? [];
    figure(`security updates at boot: ${upgraded.length} packages (${upgraded.join(" ") || "none pending"}) in ${Number.isFinite(end - start) ? `${(end - start).toFixed(0)} s` : "(no journal timestamps)"}`);
  });

  it("sets the network hardening sysctls in the host's namespace and leaves kernel-wide ones to the machine's kernel here", async () => {
    const values = await mustRun(workspace, "sysctl -n net.ipv4.conf.all.rp_filter net.ipv4.conf.all.accept_redirects net.ipv4.conf.all.log_martians net.ipv4.ip_forward");
    expect(values.trim().split("\n")).toEqual(["1", "0", "1", "1"]); // forwarding stays on: Docker routes containers
    const unit = await mustRun(workspace, "systemctl show sandfleet-kernel-hardening.service -p ConditionResult --value");
    expect(unit.trim()).toBe("no"); // ConditionVirtualization=!container
    // Docker and gVisor still work with them: the fleet's first sandbox (upFleet) ran under runsc.
    expect(workspace.defaultRuntime).toBe("runsc");
  });

  it("runs pool sandboxes under gVisor with container root remapped: runsc's processes run as an unprivileged host UID", async () => {
    const pool = await createPool({ registry: fleet.registry, poolId: "audit-userns", minIdle: 0, acquireTimeoutMs: 120_000, profiles: { default: { image: LOCAL_SANDBOX_IMAGE } } });
    try {
      const sandbox = await pool.acquire({ timeoutMs: 120_000 });
      try {
        const inside = await sandbox.exec(["sh", "-c", "uname -r; id -u"], { timeoutMs: 30_000 });
        const [kernel, uidInside] = inside.stdout.trim().split("\n");
        expect(kernel).toBe("4.4.0"); // gVisor's kernel
        const info = await mustRun(workspace, "docker info --format '{{json .SecurityOptions}} {{.DockerRootDir}}'");
        expect(info).toContain("name=userns");
        const owners = await mustRun(workspace, "ps -eo uid=,args= | awk '$2 ~ /^runsc-(sandbox|gofer)/ { print $1 }' | sort -u");
        const uids = owners.trim().split("\n").map(Number);
        expect(uids.length).toBeGreaterThan(0);
        for (const uid of uids) expect(uid).toBeGreaterThanOrEqual(100_000); // dockremap's subordinate range, never 0
        figure(`userns-remap on ${workspace.name}: runsc sandbox and gofer run as host UID ${[...new Set(uids)].join(",")} (inside: uid ${uidInside}, kernel ${kernel}); data root ${info.trim().split(" ").at(-1)}`);
      } finally {
        await sandbox.release();
      }
    } finally {
      await pool.close();
    }
  });

  it("rejects IPv6 from containers to private ranges in DOCKER-USER, as the IPv4 rules do", async () => {
    const rules = await mustRun(workspace, "ip6tables -S SANDFLEET-EGRESS; ip6tables -S FORWARD");
    for (const range of ["fc00::/7", "fe80::/10", "64:ff9b::/96"]) expect(rules).toContain(`-d ${range} -j REJECT --reject-with icmp6-adm-prohibited`);
    expect(rules).toContain("-A FORWARD -j DOCKER-USER");
    figure(`DOCKER-USER IPv6: ${rules.split("\n").filter((l) => l.includes("REJECT")).length} reject rules, hooked into FORWARD (real packets: test/unit/cloud-init/netfilter.test.ts)`);
  });

  describe("the Docker TLS port", () => {
    let certDir: string;
    const openssl = (args: string[], port = workspace.dockerPort) =>
      spawnSync("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", workspace.name, "-CAfile", join(certDir, "ca.pem"), "-cert", join(certDir, "cert.pem"), "-key", join(certDir, "key.pem"), ...args], {
        input: "",
        encoding: "utf8",
        timeout: 10_000,
      });

    beforeAll(() => {
      certDir = mkdtempSync(join(scratch, "tls-"));
      writeFileSync(join(certDir, "ca.pem"), fleet.tls.ca.certPem);
      writeFileSync(join(certDir, "cert.pem"), fleet.tls.client.certPem);
      writeFileSync(join(certDir, "key.pem"), fleet.tls.client.keyPem, { mode: 0o600 });
    });

    it("offers TLS 1.2 with ECDHE suites only (AEAD first; the CBC ones are Docker's, listed in docs/security.md), and TLS 1.3", () => {
      const candidates = execFileSync("openssl", ["ciphers", "-s", "-tls1_2", "ALL:COMPLEMENTOFALL"], { encoding: "utf8" }).trim().split(":");
      const accepted = candidates.filter((suite) => openssl(["-tls1_2", "-cipher", suite]).stdout.includes(`Cipher is ${suite}`));
      const tls13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"].filter((suite) =>
        openssl(["-tls1_3", "-ciphersuites", suite]).stdout.includes(`Cipher is ${suite}`),
      );
      figure(`Docker TLS (dockerd of Debian 13's docker.io): TLS 1.2 ${accepted.join(", ")}; TLS 1.3 ${tls13.join(", ")}`);
      expect(accepted.length).toBeGreaterThan(0);
      for (const suite of accepted) expect(suite).toMatch(/^ECDHE-ECDSA-/);
      expect(accepted).toEqual(expect.arrayContaining(["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256"]));
      const nonAead = accepted.filter((suite) => !/GCM|CHACHA20/.test(suite));
      for (const suite of nonAead) expect(SECURITY_DOC, `docs/security.md must name ${suite}`).toContain(suite);
      expect(tls13.length).toBe(3);
    });

    it("refuses TLS 1.1 and 1.0", () => {
      for (const version of ["-tls1_1", "-tls1"]) expect(openssl([version, "-cipher", "DEFAULT@SECLEVEL=0"]).stdout).not.toMatch(/Cipher is (?!\(NONE\))/);
    });

    it("serves a certificate whose EC key claims Digital Signature only", () => {
      const chain = openssl(["-showcerts"]).stdout;
      const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(chain)?.[0] ?? "";
      const text = execFileSync("openssl", ["x509", "-noout", "-text"], { input: leaf, encoding: "utf8" });
      expect(text).toContain("id-ecPublicKey");
      expect(/X509v3 Key Usage:[^\n]*\n\s+(.+)/.exec(text)?.[1].trim()).toBe("Digital Signature");
      figure("Docker TLS server certificate: EC P-256, key usage Digital Signature, extended key usage TLS Web Server Authentication");
    });

    it("is not offered on the platform, whose firewall drops it: the published port never completes a handshake", () => {
      expect(hostSummaryLine(platform)).not.toContain(String(platform.dockerPort));
      const attempt = openssl(["-tls1_2"], platform.dockerPort);
      expect(attempt.stdout).not.toMatch(/Cipher is (?!\(NONE\))/);
    });
  });
});
