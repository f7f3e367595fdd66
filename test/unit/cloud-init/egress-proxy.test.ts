/**
 * The egress proxy's rendered parts: Squid's config (listener, order of the checks), the policy helper (run for
 * real with python3 against policy files in a temporary directory), and the host firewall's egress rules (loaded
 * by nft in a throwaway network namespace, as in netfilter.test.ts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderCloudConfig } from "../../../cloud-init";
import { dockerUserRules } from "../../../cloud-init/docker-user";
import { egressPolicyHelper, egressProxyConfig, EGRESS_NETWORK_SCRIPT_PATH, EGRESS_PROXY_CONFIG_PATH } from "../../../cloud-init/egress-proxy";
import { EGRESS_BRIDGE, EGRESS_GATEWAY, EGRESS_STATE_DIR, EGRESS_SUBNET } from "../../../runtime/sandbox/egress-host";
import { hostConfig } from "../../support/cloud-init-fixtures";
import { renderedFile } from "../../support/cloud-init-files";

const scratch = mkdtempSync(join(tmpdir(), "sf-egress-proxy-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the egress proxy's Squid config", () => {
  const conf = egressProxyConfig(hostConfig("workspace"));
  const lines = conf.split("\n");

  it("listens only on the egress bridge's address", () => {
    expect(lines.filter((l) => l.startsWith("http_port"))).toEqual(["http_port 172.31.254.1:3128"]);
  });

  it("asks the policy before resolving a name, and refuses private destinations after resolution", () => {
    const access = lines.filter((l) => l.startsWith("http_access"));
    expect(access).toEqual([
      "http_access deny !sandboxes",
      "http_access deny !policy_allows",
      "http_access deny blocked_destinations",
      "http_access allow sandboxes",
      "http_access deny all",
    ]);
    const blocked = lines.find((l) => l.startsWith("acl blocked_destinations"))!;
    for (const range of ["169.254.0.0/16", "10.0.0.0/8", "10.0.0.0/16", "127.0.0.0/8", "fc00::/7", "fe80::/10"]) expect(blocked).toContain(range);
  });

  it("never caches the policy's answers, so a changed policy applies to the next request", () => {
    expect(conf).toMatch(/external_acl_type sandfleet_policy ttl=0 negative_ttl=0 /);
    expect(conf).toContain("cache deny all");
  });

  it("is written on workspace hosts unless they opt out, with Debian's own squid.service masked at every boot", () => {
    const workspace = renderCloudConfig(hostConfig("workspace"));
    expect(renderCloudConfig({ ...hostConfig("workspace"), egressProxy: false }), "opted out").not.toContain(EGRESS_PROXY_CONFIG_PATH);
    expect(renderedFile(workspace, EGRESS_PROXY_CONFIG_PATH).content).toBe(conf);
    expect(workspace).toMatch(/- systemctl\n\s+- mask\n\s+- squid.service/);
    expect(renderCloudConfig(hostConfig("platform"))).not.toContain(EGRESS_PROXY_CONFIG_PATH);
  });
});

describe("the egress policy helper (python3, for real)", () => {
  const dir = join(scratch, "state");
  mkdirSync(join(dir, "policy"), { recursive: true });
  mkdirSync(join(dir, "denied"), { recursive: true });
  const helper = join(scratch, "egress-policy");
  writeFileSync(helper, egressPolicyHelper().replaceAll(EGRESS_STATE_DIR, dir), { mode: 0o755 });
  const ask = (...requests: string[]) =>
    execFileSync("python3", [helper], { input: requests.map((r) => `${r}\n`).join(""), encoding: "utf8" }).trim().split("\n");
  writeFileSync(
    join(dir, "policy", "172.31.254.2.json"),
    JSON.stringify({ sandbox: "sf-a", mode: "allowlist", hosts: ["api.example.com", "*.pkg.example.org"], cidrs: ["203.0.113.0/24"], ports: [80, 443] }),
  );
  writeFileSync(join(dir, "policy", "172.31.254.3.json"), JSON.stringify({ sandbox: "sf-b", mode: "internet", hosts: [], cidrs: [], ports: [443] }));
  writeFileSync(join(dir, "policy", "172.31.254.4.json"), JSON.stringify({ sandbox: "sf-c", mode: "none", hosts: [], cidrs: [], ports: [] }));

  it("allows listed names, names below a wildcard and addresses in a listed range, on listed ports only", () => {
    expect(
      ask(
        "172.31.254.2 api.example.com 443 CONNECT",
        "172.31.254.2 API.Example.com. 80 GET",
        "172.31.254.2 files.pkg.example.org 443 CONNECT",
        "172.31.254.2 203.0.113.9 80 GET",
      ),
    ).toEqual(["OK", "OK", "OK", "OK"]);
  });

  it("refuses other names, the wildcard's own name, unlisted ports and addresses, and unknown sandboxes", () => {
    expect(
      ask(
        "172.31.254.2 other.example.com 443 CONNECT",
        "172.31.254.2 pkg.example.org 443 CONNECT",
        "172.31.254.2 api.example.com 22 CONNECT",
        "172.31.254.2 198.51.100.1 80 GET",
        "172.31.254.9 api.example.com 443 CONNECT",
        "172.31.254.4 api.example.com 443 CONNECT",
        "../../etc/passwd api.example.com 443 CONNECT",
        "garbage",
      ),
    ).toEqual(["ERR", "ERR", "ERR", "ERR", "ERR", "ERR", "ERR", "ERR"]);
  });

  it("lets internet mode reach any name, on its ports only", () => {
    expect(ask("172.31.254.3 anything.example.net 443 CONNECT", "172.31.254.3 anything.example.net 80 GET")).toEqual(["OK", "ERR"]);
  });

  it("logs each refusal in the sandbox's own denial log (name, port, method, time)", () => {
    ask("172.31.254.2 evil.example.net 443 CONNECT");
    const log = readFileSync(join(dir, "denied", "sf-a.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(log.at(-1)).toMatchObject({ host: "evil.example.net", port: 443, method: "CONNECT" });
    expect(log.at(-1).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});

describe("the host firewall's egress rules", () => {
  it("creates the egress network IPv4-only and internal: no --ipv6, so Docker gives its sandboxes no IPv6 address or route", () => {
    const script = renderedFile(renderCloudConfig(hostConfig("workspace")), EGRESS_NETWORK_SCRIPT_PATH).content;
    const start = script.indexOf("docker network create");
    const create = script.slice(start, script.indexOf(">/dev/null", start));
    expect(create).toContain("--internal");
    expect(create).toContain(`--subnet ${EGRESS_SUBNET} --gateway ${EGRESS_GATEWAY}`);
    expect(create).not.toMatch(/ipv6/i);
    // What IPv6 that leaves a sandbox (none forwarded, none to the host but ICMPv6) is shown with real packets in
    // netfilter.test.ts ("leaves a sandbox on the IPv4-only egress bridge no IPv6 path ...").
  });

  it("rejects anything the egress bridge would forward, in both directions and both families", () => {
    for (const family of [4, 6] as const) {
      const rules = dockerUserRules(hostConfig("workspace"), family);
      expect(rules).toMatch(new RegExp(`-A DOCKER-USER -i ${EGRESS_BRIDGE} -j REJECT`));
      expect(rules).toMatch(new RegExp(`-A DOCKER-USER -o ${EGRESS_BRIDGE} -j REJECT`));
      // Before the established-connection shortcut: nothing on that bridge is ever forwarded.
      expect(rules.indexOf(`-i ${EGRESS_BRIDGE}`)).toBeLessThan(rules.indexOf("--ctstate RELATED,ESTABLISHED"));
    }
  });

  const isRoot = process.getuid?.() === 0;
  const hasProxyUser = spawnSync("id", ["proxy"]).status === 0;
  it.skipIf(!isRoot || !hasProxyUser)("loads (nft, in a throwaway namespace) with the proxy port open and the proxy user's private destinations dropped", () => {
    const rules = renderedFile(renderCloudConfig(hostConfig("workspace")), "/etc/sandfleet/firewall.nft").content;
    const file = join(scratch, "firewall.nft");
    writeFileSync(file, rules);
    const listed = execFileSync("unshare", ["-n", "sh", "-c", `nft -f ${file} && nft list table inet sandfleet`], { encoding: "utf8" });
    expect(listed).toContain(`iifname "${EGRESS_BRIDGE}" ip saddr 172.31.254.0/24 ip daddr 172.31.254.1 tcp dport 3128 accept`);
    expect(listed).toMatch(/chain egress-proxy-output \{[\s\S]*ct state established,related accept[\s\S]*fib daddr type local reject/);
    expect(listed).toMatch(/meta skuid (13|"?proxy"?) ip daddr \{[^}]*169\.254\.0\.0\/16/);
  });
});
