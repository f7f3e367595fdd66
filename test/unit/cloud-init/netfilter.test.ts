/**
 * The rendered firewall and DOCKER-USER rules, loaded for real by nft / iptables-restore in a throwaway
 * network namespace (`unshare -n`): the host's own rules are never touched. Needs root.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderCloudConfig } from "../../../cloud-init";
import { hostConfig } from "../../support/cloud-init-fixtures";
import { renderedFile } from "../../support/cloud-init-files";

const isRoot = process.getuid?.() === 0;
const scratch = mkdtempSync(join(tmpdir(), "sf-netfilter-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a shell snippet in a fresh network namespace; `$F` is the given file. */
function inNetns(fileContent: string, snippet: string): string {
  const file = join(scratch, `f-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, fileContent, { mode: 0o755 });
  return execFileSync("unshare", ["-n", "sh", "-c", snippet], { encoding: "utf8", env: { ...process.env, F: file } });
}

describe.skipIf(!isRoot)("netfilter rules, loaded in a throwaway network namespace", () => {
  it("loads the host firewall twice without duplicating rules (re-load replaces the table)", () => {
    const rules = renderedFile(renderCloudConfig(hostConfig("workspace")), "/etc/sandfleet/firewall.nft").content;
    const once = inNetns(rules, 'nft -f "$F" && nft list table inet sandfleet');
    const twice = inNetns(rules, 'nft -f "$F" && nft -f "$F" && nft list table inet sandfleet');
    expect(twice).toBe(once);
    expect(once).toContain("policy drop;");
    expect(once).toContain("ip saddr 10.0.0.0/16 tcp dport 2376 accept");
    expect(once).toContain("ip6 saddr 2001:db8::/32 tcp dport 22 accept");
  });

  it("leaves other tables alone when the firewall is re-loaded (Docker's and fail2ban's rules survive)", () => {
    const rules = renderedFile(renderCloudConfig(hostConfig("platform")), "/etc/sandfleet/firewall.nft").content;
    const out = inNetns(rules, 'nft add table ip docker-like && nft -f "$F" && nft -f "$F" && nft list tables');
    expect(out).toContain("table ip docker-like");
    expect(out).toContain("table inet sandfleet");
  });

  it("binds the floating IP to the default route's interface once, however often it runs, and removes it on stop", () => {
    const userData = renderCloudConfig(hostConfig("platform", "upstream", { extraIpv4Addresses: ["198.51.100.20"] }));
    const script = renderedFile(userData, "/usr/local/sbin/sandfleet-extra-addresses").content;
    // A "public" interface with the default route, and a "private" one without (veth pairs: no dummy module here).
    const link = (name: string, address: string) =>
      `ip link add ${name} type veth peer name ${name}p && ip link set ${name} up && ip link set ${name}p up && ip addr add ${address} dev ${name}`;
    const setup = `${link("pub0", "192.0.2.10/24")} && ip route add default via 192.0.2.1 && ${link("priv0", "10.0.0.2/16")}`;
    const up = inNetns(script, `${setup} && "$F" up && "$F" up && ip -4 -o addr show`);
    const bound = up.split("\n").filter((l) => l.includes("198.51.100.20"));
    expect(bound).toHaveLength(1);
    expect(bound[0]).toMatch(/^\d+: pub0\s+inet 198\.51\.100\.20\/32 /);
    const down = inNetns(script, `${setup} && "$F" up && "$F" down && "$F" down && ip -4 -o addr show`);
    expect(down).not.toContain("198.51.100.20");
    expect(down).toContain("192.0.2.10/24");
  });

  it("applies DOCKER-USER idempotently, next to the jump Docker installs", () => {
    const script = renderedFile(renderCloudConfig(hostConfig("workspace")), "/usr/local/sbin/sandfleet-docker-user").content;
    const out = inNetns(
      script,
      // What dockerd does at start: create the chain and jump to it from FORWARD.
      'iptables -N DOCKER-USER && iptables -I FORWARD -j DOCKER-USER && "$F" && "$F" && iptables -S',
    );
    const lines = out.split("\n");
    expect(lines.filter((l) => l === "-A FORWARD -j DOCKER-USER")).toHaveLength(1);
    expect(lines.filter((l) => l.includes("-d 169.254.0.0/16 -j REJECT"))).toHaveLength(1);
    expect(lines).toContain("-A DOCKER-USER -i docker0 -j SANDFLEET-EGRESS");
    expect(lines.at(-2)).toBe("-A SANDFLEET-EGRESS -j RETURN");
  });
});
