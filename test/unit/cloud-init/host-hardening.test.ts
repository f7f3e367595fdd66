/**
 * The host hardening the renderer adds for the audits of issue 14: sysctls, auditd rules, security updates
 * before ready. What the kernel can check here is checked for real (sysctls written in a throwaway network
 * namespace); what needs a whole host (auditd, lynis) is measured by test/e2e/host-audit.test.ts.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderCloudConfig } from "../../../cloud-init";
import { AUDIT_RULES_PATH } from "../../../cloud-init/audit-rules";
import { BOOTSTRAP_PATH } from "../../../cloud-init/bootstrap";
import { LOGIN_DEFS, LOGIN_DEFS_PATH } from "../../../cloud-init/login-policy";
import { KERNEL_HARDENING_UNIT, KERNEL_SYSCTL_PATH, NETWORK_SYSCTL_PATH } from "../../../cloud-init/kernel-hardening";
import { hostConfig } from "../../support/cloud-init-fixtures";
import { parseUserData, renderedFile } from "../../support/cloud-init-files";

const isRoot = process.getuid?.() === 0;
const scratch = mkdtempSync(join(tmpdir(), "sf-hardening-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const workspace = renderCloudConfig(hostConfig("workspace", "distro"));
const sysctlKeys = (content: string) =>
  content
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => line.split("=")[0].trim());

describe("hardening sysctls", () => {
  it.skipIf(!isRoot)("sets every network sysctl inside a throwaway network namespace (they are per namespace, safe in a test host)", () => {
    const file = join(scratch, "network.conf");
    writeFileSync(file, renderedFile(workspace, NETWORK_SYSCTL_PATH).content);
    const keys = sysctlKeys(renderedFile(workspace, NETWORK_SYSCTL_PATH).content);
    const out = execFileSync("unshare", ["-n", "sh", "-c", `sysctl -q -p "${file}" && sysctl ${keys.join(" ")}`], { encoding: "utf8" });
    expect(out).toContain("net.ipv4.conf.all.rp_filter = 1");
    expect(out).toContain("net.ipv4.conf.all.accept_redirects = 0");
    expect(out.trim().split("\n")).toHaveLength(keys.length);
  });

  it("never turns off forwarding (Docker routes container traffic) or module loading (dockerd loads modules after boot)", () => {
    const all = [...sysctlKeys(renderedFile(workspace, NETWORK_SYSCTL_PATH).content), ...sysctlKeys(renderedFile(workspace, KERNEL_SYSCTL_PATH).content)];
    expect(all.filter((key) => /forwarding|modules_disabled/.test(key))).toEqual([]);
  });

  it("names only kernel-wide sysctls this kernel has (Yama and magic SysRq aside: optional, this machine's kernel builds neither)", () => {
    const optional = ["kernel.yama.ptrace_scope", "kernel.sysrq"];
    const missing = sysctlKeys(renderedFile(workspace, KERNEL_SYSCTL_PATH).content).filter(
      (key) => !optional.includes(key) && !existsSync(`/proc/sys/${key.replace(/\./g, "/")}`),
    );
    expect(missing).toEqual([]);
  });

  it("applies the kernel-wide ones from a unit that never runs in a container (a test host shares the machine's kernel)", () => {
    const unit = renderedFile(workspace, `/etc/systemd/system/${KERNEL_HARDENING_UNIT}`).content;
    expect(unit).toMatch(/^ConditionVirtualization=!container$/m);
    expect(unit).toContain(`ExecStart=/usr/sbin/sysctl -e -p ${KERNEL_SYSCTL_PATH}`);
    expect(NETWORK_SYSCTL_PATH.startsWith("/etc/sysctl.d/")).toBe(true);
    expect(KERNEL_SYSCTL_PATH.startsWith("/etc/sysctl.d/")).toBe(false); // systemd-sysctl would apply it in a container too
  });
});

describe("auditd rules for the container engine", () => {
  it.each(["distro", "upstream"] as const)("watch the daemon of the %s package, containerd, runsc, their configuration and units", (source) => {
    const rules = renderedFile(renderCloudConfig(hostConfig("workspace", source)), AUDIT_RULES_PATH).content;
    const dockerd = source === "upstream" ? "/usr/bin/dockerd" : "/usr/sbin/dockerd";
    for (const path of [dockerd, "/usr/bin/containerd", "/usr/bin/runsc", "/etc/docker", "/etc/containerd", "/lib/systemd/system/docker.service", "/etc/systemd/system/docker.service.d"]) {
      expect(rules).toContain(`-w ${path} -p wa -k docker`);
    }
    expect(parseUserData(renderCloudConfig(hostConfig("workspace", source))).packages).toContain("auditd");
  });

  it("leave what sandboxes write to the sandboxes: the never rules come before the /var/lib/docker rule (first match wins)", () => {
    const lines = renderedFile(workspace, AUDIT_RULES_PATH).content.split("\n");
    const directoryRule = lines.indexOf("-a always,exit -F dir=/var/lib/docker -F perm=wa -k docker");
    expect(directoryRule).toBeGreaterThan(0);
    for (const dir of ["overlay2", "containers", "volumes"]) {
      const never = lines.indexOf(`-a never,exit -F dir=/var/lib/docker/${dir}`);
      expect(never).toBeGreaterThanOrEqual(0);
      expect(never).toBeLessThan(directoryRule);
    }
  });
});

describe("security updates", () => {
  it("are installed before sshd, the engine and anything else is set up, so the host reports ready patched", () => {
    const script = renderedFile(workspace, BOOTSTRAP_PATH).content;
    const order = ["release", "security-updates", "sshd", "kernel-hardening", "engine", "audit-rules", "docker-user"].map((step) =>
      script.indexOf(`echo "sandfleet-bootstrap: ${step}"`),
    );
    expect(order.every((position) => position > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(script).toContain("unattended-upgrade --verbose");
  });
});

describe("login policy", () => {
  it.skipIf(!existsSync("/etc/login.defs"))("sets each login.defs key exactly once in Debian's file, however often the step runs", () => {
    const copy = join(scratch, "login.defs");
    writeFileSync(copy, execFileSync("cat", ["/etc/login.defs"], { encoding: "utf8" }));
    const script = renderedFile(workspace, BOOTSTRAP_PATH).content;
    const step = script.slice(script.indexOf('echo "sandfleet-bootstrap: login-policy"'));
    const body = step.slice(step.indexOf("(\n") + 2, step.indexOf("\n)\n")).replaceAll(LOGIN_DEFS_PATH, copy);
    execFileSync("bash", ["-euc", `${body}\n${body}`]);
    const lines = execFileSync("cat", [copy], { encoding: "utf8" }).split("\n");
    for (const [key, value] of Object.entries(LOGIN_DEFS)) {
      expect(lines.filter((line) => new RegExp(`^${key}\\s`).test(line)), key).toEqual([`${key} ${value}`]);
    }
  });
});
