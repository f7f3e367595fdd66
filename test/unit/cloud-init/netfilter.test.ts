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
import { EGRESS_BRIDGE } from "../../../runtime/sandbox/egress-host";

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

  it("rejects forwarded IPv6 from a container bridge to private (ULA) ranges and lets public IPv6 through", () => {
    const script = renderedFile(renderCloudConfig(hostConfig("workspace")), "/usr/local/sbin/sandfleet-docker-user").content;
    // Three network namespaces: this one plays the host (forwarding, a Docker-like bridge br-test), C a container
    // on that bridge, T a router beyond the host with a ULA address and a public (documentation) one. Real packets:
    // a TCP connect from C to each address of T, before and after the DOCKER-USER script.
    const connect = (address: string) =>
      `nsenter -t $C -n python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET6); s.settimeout(3)
try: s.connect(("${address}", 8080)); print("${address} open")
except OSError as e: print("${address} closed", e.errno)'`;
    const snippet = `set -e
unshare -n sleep 30 & C=$!
unshare -n sleep 30 & T=$!
sleep 0.3
sysctl -q -w net.ipv6.conf.all.forwarding=1
ip link add br-test type bridge && ip link set br-test up && ip addr add fd00:1::1/64 dev br-test nodad
ip link add v0 type veth peer name v1 && ip link set v0 master br-test up && ip link set v1 netns $C
nsenter -t $C -n sh -c 'ip link set lo up && ip link set v1 up && ip addr add fd00:1::2/64 dev v1 nodad && ip -6 route add default via fd00:1::1'
ip link add d0 type veth peer name d1 && ip link set d0 up && ip addr add fd00:2::1/64 dev d0 nodad && ip addr add 2001:db8:1::1/64 dev d0 nodad && ip link set d1 netns $T
nsenter -t $T -n sh -c 'ip link set lo up && ip link set d1 up && ip addr add fd00:2::2/64 dev d1 nodad && ip addr add 2001:db8:1::2/64 dev d1 nodad && ip -6 route add default via fd00:2::1'
nsenter -t $T -n python3 -c 'import socket,time; s=socket.socket(socket.AF_INET6); s.bind(("::", 8080)); s.listen(8); time.sleep(25)' & L=$!
sleep 0.5
echo BEFORE
${connect("fd00:2::2")}
${connect("2001:db8:1::2")}
"$F" >/dev/null
echo AFTER
${connect("fd00:2::2")}
${connect("2001:db8:1::2")}
kill $L $C $T`;
    const out = inNetns(script, snippet);
    const [before, after] = out.split("AFTER");
    expect(before).toContain("fd00:2::2 open");
    expect(before).toContain("2001:db8:1::2 open");
    expect(after).toMatch(/fd00:2::2 closed/);
    expect(after).toContain("2001:db8:1::2 open");
  });
  it("leaves a sandbox on the IPv4-only egress bridge no IPv6 path at all, not even ICMPv6 to the host, even if the bridge had IPv6", () => {
    // Worst case: the egress network is created without --ipv6 (egress-proxy.ts), so Docker gives its sandboxes no
    // IPv6 address or route; here the bridge and two "sandboxes" get ULA addresses and a default route anyway, and
    // a router beyond the host has a public (documentation) address. Real packets, before and after the workspace
    // host's DOCKER-USER script and host firewall.
    const userData = renderCloudConfig(hostConfig("workspace"));
    const script = renderedFile(userData, "/usr/local/sbin/sandfleet-docker-user").content;
    const firewall = join(scratch, "firewall-ipv6.nft");
    writeFileSync(firewall, renderedFile(userData, "/etc/sandfleet/firewall.nft").content);
    const connect = (ns: string, address: string, port: number) =>
      `nsenter -t ${ns} -n python3 -c 'import socket
s=socket.socket(socket.AF_INET6); s.settimeout(2)
try: s.connect(("${address}", ${port})); print("tcp ${address}:${port} open")
except OSError as e: print("tcp ${address}:${port} closed (%s)" % (e.errno or "timeout"))'`;
    const echo = (ns: string, address: string) =>
      `nsenter -t ${ns} -n python3 -c 'import socket
s=socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6); s.settimeout(2)
s.sendto(bytes([128, 0, 0, 0, 0, 1, 0, 1]), ("${address}", 0))
try:
    while s.recvfrom(128)[0][0] != 129: pass
    print("icmpv6 echo ${address} answered")
except OSError: print("icmpv6 echo ${address} unanswered")'`;
    const listen = (ns: string, port: number) =>
      `nsenter -t ${ns} -n python3 -c 'import socket,time; s=socket.socket(socket.AF_INET6); s.bind(("::", ${port})); s.listen(8); time.sleep(25)' &`;
    const sandbox = (ns: string, n: number) =>
      `ip link add v${n} type veth peer name p${n} && ip link set v${n} master ${EGRESS_BRIDGE} up && ip link set p${n} netns ${ns}
nsenter -t ${ns} -n sh -c 'ip link set lo up && ip link set p${n} up && ip addr add fd00:1::${n}/64 dev p${n} nodad && ip -6 route add default via fd00:1::1'`;
    const probe = [connect("$C", "2001:db8:1::2", 8080), connect("$C", "fd00:1::3", 8080), connect("$C", "fd00:1::1", 3128), connect("$C", "fd00:1::1", 22), echo("$C", "fd00:1::1")].join("\n");
    const snippet = `set -e
unshare -n sleep 30 & C=$!
unshare -n sleep 30 & D=$!
unshare -n sleep 30 & T=$!
sleep 0.3
sysctl -q -w net.ipv6.conf.all.forwarding=1
ip link set lo up
ip link add ${EGRESS_BRIDGE} type bridge && ip link set ${EGRESS_BRIDGE} up && ip addr add fd00:1::1/64 dev ${EGRESS_BRIDGE} nodad
${sandbox("$C", 2)}
${sandbox("$D", 3)}
ip link add d0 type veth peer name d1 && ip link set d0 up && ip addr add 2001:db8:1::1/64 dev d0 nodad && ip link set d1 netns $T
nsenter -t $T -n sh -c 'ip link set lo up && ip link set d1 up && ip addr add 2001:db8:1::2/64 dev d1 nodad && ip -6 route add default via 2001:db8:1::1'
${listen("$T", 8080)}
${listen("$D", 8080)}
${listen("$$", 3128)}
${listen("$$", 22)}
# Every listener up before the first probe (python starts slowly on a busy machine).
for pair in $T:8080 $D:8080 $$:3128 $$:22; do
  for _ in $(seq 100); do nsenter -t \${pair%:*} -n ss -ltnH "sport = :\${pair#*:}" | grep -q . && break; sleep 0.1; done
done
# And every path found (neighbour discovery on fresh links can take a retransmit): the controls below then hold.
for _ in $(seq 10); do (${connect("$C", "2001:db8:1::2", 8080)}; ${connect("$C", "fd00:1::3", 8080)}) | grep -c open | grep -qx 2 && break; done
echo BEFORE
${probe}
"$F" >/dev/null
nft -f ${firewall}
echo AFTER
${probe}
kill $C $D $T`;
    const [before, after] = inNetns(script, snippet).split("AFTER");
    // Positive controls: without the rules, every path is open.
    expect(before).toContain("tcp 2001:db8:1::2:8080 open");
    expect(before).toContain("tcp fd00:1::3:8080 open");
    expect(before).toContain("tcp fd00:1::1:3128 open");
    expect(before).toContain("icmpv6 echo fd00:1::1 answered");
    expect(after!.trim().split("\n")).toEqual([
      // Forwarded from the egress bridge: DOCKER-USER (ip6tables) rejects it (EACCES: ICMPv6 administratively prohibited).
      "tcp 2001:db8:1::2:8080 closed (13)",
      // Another sandbox on the same bridge: bridged frames pass ip6tables too (br_netfilter), and are rejected alike.
      "tcp fd00:1::3:8080 closed (13)",
      // The host itself: its firewall admits from the bridge only IPv4 to the proxy's address; IPv6 is dropped.
      "tcp fd00:1::1:3128 closed (timeout)",
      "tcp fd00:1::1:22 closed (timeout)",
      // Not even ICMPv6: the host drops everything from the egress bridge but IPv4 to the proxy, before the rules
      // (ICMP, DHCP replies) that hold for its other interfaces.
      "icmpv6 echo fd00:1::1 unanswered",
    ]);
  });
});
