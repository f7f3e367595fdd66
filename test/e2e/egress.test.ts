/**
 * End to end: egress policies on the local fleet, under gVisor (runsc --network=host, which under Docker is the
 * container's own network namespace: test-only, see docs/egress.md), with real traffic to hosts this test runs:
 * a stand-in "internet" (198.51.100.0/24: HTTP and HTTPS servers answering for several names, and the DNS server
 * the hosts' proxy and Docker are pointed at, which logs every query) and a metadata listener on 169.254.169.254.
 * The pool delivers each sandbox's policy through the Docker API; Squid and nftables on the host enforce it.
 *
 * Run alone with: flock /tmp/sf/e2e.lock npx vitest run test/e2e/egress.test.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, EgressWidenedError, SandboxApiClient, SandboxApiError } from "../../runtime/index";
import type { Pool, Sandbox } from "../../runtime/index";
import { execInContainer } from "../../local/container-exec";
import { downFleet, FleetHost, LocalFleet, upFleet } from "../../local/fleet";
import { removeFleetResources } from "../../local/hosts";
import { skipWithoutLocalEngine, taggedProgress } from "../support/local-engine";
import { startServiceProcess } from "../support/service";

const FLEET = "sf-egress";
const SUBNET = "10.213.30.0/24";
const INTERNET_NETWORK = "sf-egress-internet";
const INTERNET_SUBNET = "198.51.100.0/24";
/** The stand-in internet's web server (every name below resolves to it) and its DNS server. */
const WEB_IP = "198.51.100.10";
const DNS_IP = "198.51.100.53";
/** The same container's address on the private network: the hosts route the stand-in internet through it. */
const INTERNET_PRIVATE_IP = "10.213.30.250";
const METADATA_IP = "169.254.169.254";
const CURL_IMAGE = "sf-egress/curl:latest";
const NAMES = ["api.allowed.test", "other.allowed.test", "files.pkg.allowed.test", "www.internet.test"];

/** The stand-in internet: HTTP :80 and HTTPS :443 say which name they were asked for; DNS answers NAMES. */
const INTERNET_SERVER = String.raw`
import http.server, socket, ssl, struct, sys, threading
NAMES = set(sys.argv[1].split(","))
WEB, DNS = sys.argv[2], sys.argv[3]
class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from %s\n" % self.headers.get("Host", "?").split(":")[0]).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
def serve(port, tls):
    server = http.server.ThreadingHTTPServer((WEB, port), Hello)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain("/srv/cert.pem", "/srv/key.pem")
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    server.serve_forever()
for port, tls in ((80, False), (443, True)):
    threading.Thread(target=serve, args=(port, tls), daemon=True).start()
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); dns.bind((DNS, 53))
log = open("/srv/dns.log", "a", buffering=1)
while True:
    query, peer = dns.recvfrom(512)
    i, labels = 12, []
    while query[i]:
        labels.append(query[i + 1:i + 1 + query[i]].decode()); i += 1 + query[i]
    qtype = struct.unpack("!H", query[i + 1:i + 3])[0]
    name = ".".join(labels).lower()
    log.write("%s %s %d\n" % (peer[0], name, qtype))
    known = name in NAMES
    answer = struct.pack("!HHHLH", 0xC00C, 1, 1, 5, 4) + socket.inet_aton(WEB) if known and qtype == 1 else b""
    flags = 0x8180 if known else 0x8183
    dns.sendto(query[:2] + struct.pack("!HHHHH", flags, 1, 1 if answer else 0, 0, 0) + query[12:i + 5] + answer, peer)
`;

/** Builds an image with busybox and curl (with its libraries) inside a workspace host's engine. */
const CURL_IMAGE_SCRIPT = `set -eu
docker image inspect ${CURL_IMAGE} >/dev/null 2>&1 && exit 0
root=$(mktemp -d); trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/work" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"; done
cp /usr/bin/curl "$root/bin/curl"
for lib in $(ldd /usr/bin/curl | grep -o '/[^ ]*'); do mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; done
printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\\n' > "$root/etc/passwd"
printf 'root:x:0:\\nnogroup:x:65534:\\n' > "$root/etc/group"
tar -C "$root" -c . | docker import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - ${CURL_IMAGE} >/dev/null
`;

const skip = skipWithoutLocalEngine("egress end-to-end tests", "test/e2e/egress.test.ts");
const progress = taggedProgress("egress");

describe.skipIf(skip)("egress policies on the local fleet, under gVisor", () => {
  const docker = new Docker();
  const scratch = mkdtempSync(join(tmpdir(), "sf-egress-e2e-"));
  let fleet: LocalFleet;
  let ws1: FleetHost;
  let ws2: FleetHost;
  let pool: Pool;
  let caPem = "";
  const PROFILES = {
    none: { image: CURL_IMAGE },
    allowlist: { image: CURL_IMAGE, egress: { mode: "allowlist" as const, hosts: ["api.allowed.test", "*.pkg.allowed.test"], ports: [80, 443] } },
    internet: { image: CURL_IMAGE, egress: { mode: "internet" as const } },
  };
  const inHost = async (host: FleetHost | string, script: string) =>
    execInContainer(docker.getContainer(typeof host === "string" ? host : host.containerId), ["sh", "-c", script], { timeoutMs: 120_000 });
  const internet = () => `${FLEET}-internet-server`;
  const onWs1 = { matchExpressions: [{ key: "host", operator: "In" as const, values: ["ws-1"] }] };

  /** Runs a script in the sandbox; curl there uses the proxy from the environment unless told --noproxy. */
  const run = async (sandbox: Sandbox, script: string) => {
    const result = await sandbox.exec(["sh", "-c", script], { timeoutMs: 60_000 });
    return result.stdout.trim();
  };
  const status = (url: string, extra = "") => `curl -s -o /dev/null -m 5 --cacert /tmp/ca.pem ${extra} -w '%{http_code}' ${url}; echo " rc=$?"`;
  const acquire = async (profile: string) => {
    const sandbox = await pool.acquire({ profile, affinity: onWs1, timeoutMs: 120_000 });
    await sandbox.putFile("/tmp/ca.pem", caPem);
    return sandbox;
  };

  beforeAll(async () => {
    await removeFleetResources(docker, FLEET);
    await docker.getContainer(internet()).remove({ force: true }).catch(() => undefined);
    await docker.getNetwork(INTERNET_NETWORK).remove().catch(() => undefined);
    fleet = await upFleet({
      fleet: FLEET,
      subnet: SUBNET,
      workspaces: 2,
      platforms: 0,
      stateDir: join(scratch, "state"),
      docker,
      progress,
      workspaceDocker: { gvisorNetwork: "host", sandboxDns: [DNS_IP] },
    });
    [ws1, ws2] = fleet.hosts.filter((h) => h.role === "workspace") as [FleetHost, FleetHost];

    // The stand-in internet: on its own network, and on the private one, through which the hosts route to it.
    await docker.createNetwork({ Name: INTERNET_NETWORK, Driver: "bridge", Internal: true, IPAM: { Config: [{ Subnet: INTERNET_SUBNET }] }, Labels: { "sandfleet.test": FLEET } });
    const server = await docker.createContainer({
      name: internet(),
      Image: fleet.image.tag,
      Entrypoint: ["/bin/sh", "-c"],
      Cmd: [
        [
          `ip addr add ${DNS_IP}/32 dev eth0 && ip addr add ${METADATA_IP}/32 dev eth0`,
          "mkdir -p /srv && cd /srv && echo instance-id > index.html",
          `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=stand-in -addext "subjectAltName=${NAMES.map((n) => `DNS:${n}`).join(",")}" -keyout key.pem -out cert.pem 2>/dev/null`,
          `(busybox httpd -f -p ${METADATA_IP}:80 -h /srv &)`,
          `exec python3 -c "$SERVER" ${NAMES.join(",")} ${WEB_IP} ${DNS_IP}`,
        ].join(" && "),
      ],
      Env: [`SERVER=${INTERNET_SERVER}`],
      Labels: { "sandfleet.test": FLEET },
      HostConfig: { NetworkMode: INTERNET_NETWORK, CapAdd: ["NET_ADMIN"] },
      NetworkingConfig: { EndpointsConfig: { [INTERNET_NETWORK]: { IPAMConfig: { IPv4Address: WEB_IP } } } },
    });
    await docker.getNetwork(fleet.network.name).connect({ Container: server.id, EndpointConfig: { IPAMConfig: { IPv4Address: INTERNET_PRIVATE_IP } } });
    await server.start();
    for (let i = 0; i < 50 && !caPem.includes("END CERTIFICATE"); i++) {
      caPem = (await inHost(internet(), "cat /srv/cert.pem 2>/dev/null")).stdout;
      if (!caPem.includes("END CERTIFICATE")) await new Promise((r) => setTimeout(r, 200));
    }
    for (const host of [ws1, ws2]) {
      const routes = await inHost(host, `ip route replace ${INTERNET_SUBNET} via ${INTERNET_PRIVATE_IP} && ip route replace ${METADATA_IP}/32 via ${INTERNET_PRIVATE_IP}`);
      expect(routes.exitCode, routes.stderr).toBe(0);
    }
    const image = await inHost(ws1, CURL_IMAGE_SCRIPT);
    expect(image.exitCode, image.stderr).toBe(0);

    pool = await createPool({
      registry: fleet.registry,
      poolId: "egress",
      minIdle: 0,
      defaultProfile: "none",
      profiles: PROFILES,
    });
  }, 900_000);

  afterAll(async () => {
    await pool?.close().catch(() => undefined);
    await docker.getContainer(internet()).remove({ force: true }).catch(() => undefined);
    await docker.getNetwork(INTERNET_NETWORK).remove().catch(() => undefined);
    await downFleet({ fleet: FLEET, stateDir: join(scratch, "state"), docker }).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("runs the proxy on every workspace host, listening on the egress network's address only", async () => {
    for (const host of [ws1, ws2]) {
      const listening = await inHost(host, "systemctl is-active sandfleet-egress-proxy; ss -ltnH 'sport = :3128' | awk '{ print $4 }'");
      expect(listening.stdout.trim().split("\n"), host.name).toEqual(["active", "172.31.254.1:3128"]);
    }
    // Positive controls: the host reaches the stand-in internet and the metadata listener, so refusals below are the policy's.
    const fromHost = await inHost(ws1, `curl -s -m 5 http://${WEB_IP}/ -H 'Host: api.allowed.test'; curl -s -m 5 http://${METADATA_IP}/`);
    expect(fromHost.stdout).toBe("hello from api.allowed.test\ninstance-id\n");
  });

  it("lets an allowlist reach its names over HTTP and HTTPS (CONNECT), and refuses other names, literal IPs and other ports", async () => {
    const sandbox = await acquire("allowlist");
    try {
      expect(await run(sandbox, "uname -r")).toBe("4.4.0");
      expect(await run(sandbox, "curl -s -m 5 http://api.allowed.test/")).toBe("hello from api.allowed.test");
      expect(await run(sandbox, "curl -s -m 5 --cacert /tmp/ca.pem https://api.allowed.test/")).toBe("hello from api.allowed.test");
      expect(await run(sandbox, "curl -s -m 5 --cacert /tmp/ca.pem https://files.pkg.allowed.test/")).toBe("hello from files.pkg.allowed.test");
      expect(await run(sandbox, status("http://other.allowed.test/"))).toBe("403 rc=0");
      // A refused CONNECT: curl sees the proxy's 403 and gives up (exit 56).
      expect(await run(sandbox, status("https://other.allowed.test/"))).toMatch(/^(000|403) rc=56$/);
      expect(await run(sandbox, status(`http://${WEB_IP}/`))).toBe("403 rc=0");
      expect(await run(sandbox, status("https://api.allowed.test:8443/"))).toMatch(/^(000|403) rc=56$/);
    } finally {
      await sandbox.release();
    }
  });

  it("keeps the metadata address, the private network and the hosts' SSH and Docker ports unreachable in every mode", async () => {
    const privateTargets = [`${METADATA_IP}:80`, `${ws1.privateIp}:22`, `${ws1.privateIp}:2376`, `${ws2.privateIp}:22`, `${ws2.privateIp}:2376`, "172.31.254.1:22", `${INTERNET_PRIVATE_IP}:80`];
    for (const profile of ["none", "allowlist", "internet"]) {
      const sandbox = await acquire(profile);
      try {
        for (const target of privateTargets) {
          // Through the proxy (HTTP and CONNECT), and straight (ignoring the proxy): nothing gets through.
          const viaProxy = await run(sandbox, `${status(`http://${target}/`)}; ${status(`https://${target}/`)}`);
          // The proxy's 403, or no answer at all (000: refused CONNECT, or a sandbox without a network).
          for (const line of viaProxy.split("\n")) expect(line, `${profile} -> ${target} via the proxy`).toMatch(/^(403|000) rc=\d+$/);
          const direct = await run(sandbox, `nc -w 3 ${target.replace(":", " ")} </dev/null >/dev/null 2>&1; echo rc=$?`);
          expect(direct, `${profile} -> ${target} directly`).not.toBe("rc=0");
        }
      } finally {
        await sandbox.release();
      }
    }
  });

  it("gives a sandbox that ignores the proxy, or resolves names itself, nothing at all", async () => {
    for (const profile of ["allowlist", "internet"]) {
      const sandbox = await acquire(profile);
      try {
        expect(await run(sandbox, status("http://api.allowed.test/", "--noproxy '*'")), profile).toMatch(/^000 rc=(6|7|28)$/);
        expect(await run(sandbox, status(`http://${WEB_IP}/`, "--noproxy '*'")), profile).toMatch(/^000 rc=(7|28)$/);
        expect(await run(sandbox, `nslookup leak-${profile}.example.test ${DNS_IP} >/dev/null 2>&1; echo rc=$?`)).not.toBe("rc=0");
        expect(await run(sandbox, `nslookup leak-embedded-${profile}.example.test >/dev/null 2>&1; echo rc=$?`)).not.toBe("rc=0");
      } finally {
        await sandbox.release();
      }
    }
    const queries = (await inHost(internet(), "cat /srv/dns.log")).stdout;
    expect(queries, "no query for a name the sandbox chose, nor for a refused name, reached the resolver").not.toMatch(/leak-|other\.allowed\.test/);
  });

  it("lets internet mode reach the stand-in internet by name, on its ports only", async () => {
    const sandbox = await acquire("internet");
    try {
      expect(await run(sandbox, "curl -s -m 5 --cacert /tmp/ca.pem https://www.internet.test/")).toBe("hello from www.internet.test");
      expect(await run(sandbox, "curl -s -m 5 http://other.allowed.test/")).toBe("hello from other.allowed.test");
      expect(await run(sandbox, status("http://www.internet.test:8080/"))).toBe("403 rc=0");
    } finally {
      await sandbox.release();
    }
  });

  it("applies a changed allowlist of a running sandbox within a second, never wider than its profile's", async () => {
    const sandbox = await acquire("allowlist");
    try {
      expect(await run(sandbox, "curl -s -m 5 http://api.allowed.test/")).toBe("hello from api.allowed.test");
      const started = Date.now();
      await sandbox.setEgress({ mode: "allowlist", hosts: ["files.pkg.allowed.test"] });
      let refusedAfterMs = -1;
      while (Date.now() - started < 5_000) {
        if ((await run(sandbox, status("http://api.allowed.test/"))) === "403 rc=0") {
          refusedAfterMs = Date.now() - started;
          break;
        }
      }
      console.log(`egress: allowlist change took effect after ${refusedAfterMs} ms (setEgress through the Docker API, then the next request)`);
      expect(refusedAfterMs).toBeGreaterThanOrEqual(0);
      expect(refusedAfterMs).toBeLessThan(1_000);
      expect(await run(sandbox, "curl -s -m 5 http://files.pkg.allowed.test/")).toBe("hello from files.pkg.allowed.test");
      await expect(sandbox.setEgress({ mode: "allowlist", hosts: ["other.allowed.test"] })).rejects.toThrow(EgressWidenedError);
      await expect(sandbox.setEgress({ mode: "internet" })).rejects.toThrow(/mode "internet" is not allowed by the profile/);
      await sandbox.setEgress({ mode: "none" });
      expect(await run(sandbox, status("http://files.pkg.allowed.test/"))).toBe("403 rc=0");
    } finally {
      await sandbox.release();
    }
  });

  it("gives a sandbox the narrower policy its request asked for at acquire(), and refuses a wider one", async () => {
    const sandbox = await pool.acquire({ profile: "allowlist", affinity: onWs1, timeoutMs: 120_000, egress: { mode: "allowlist", hosts: ["files.pkg.allowed.test"] } });
    try {
      expect(sandbox.egressPolicy.hosts).toEqual(["files.pkg.allowed.test"]);
      // Refused from its very first request: the profile's wider allowlist never reached the caller.
      expect(await run(sandbox, status("http://api.allowed.test/"))).toBe("403 rc=0");
      expect(await run(sandbox, "curl -s -m 5 http://files.pkg.allowed.test/")).toBe("hello from files.pkg.allowed.test");
    } finally {
      await sandbox.release();
    }
    await expect(pool.acquire({ profile: "allowlist", egress: { mode: "allowlist", hosts: ["other.allowed.test"] } })).rejects.toThrow(EgressWidenedError);
  });

  it("counts each sandbox's refusals in the metrics and announces them, with name, port and time, without anyone reading them", async () => {
    const deniedTotal = async () =>
      (await pool.metrics.egressDenied.get()).values.filter((v) => v.labels.profile === "allowlist").reduce((sum, v) => sum + v.value, 0);
    const sandbox = await acquire("allowlist");
    const announced: string[] = [];
    const unsubscribe = pool.onEgressDenied((s, denials) => {
      if (s === sandbox) announced.push(...denials.map((d) => `${d.method} ${d.host}:${d.port}`));
    });
    try {
      const before = await deniedTotal();
      await run(sandbox, `${status("http://other.allowed.test/")}; ${status("https://other.allowed.test/")}`);
      // Nobody reads: the pool's health round (healthIntervalMs, 5 s by default) reads the host's log itself.
      const started = Date.now();
      while (announced.length < 2 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 200));
      console.log(`egress: refusals announced by the pool ${Date.now() - started} ms after the requests, without a read`);
      expect(announced).toEqual(["GET other.allowed.test:80", "CONNECT other.allowed.test:443"]);
      expect(await deniedTotal()).toBe(before + 2);
      // The holder's own read gets the whole list and counts nothing again.
      const denials = await sandbox.egressDenials();
      expect(denials.map((d) => [d.host, d.port, d.method])).toEqual([
        ["other.allowed.test", 80, "GET"],
        ["other.allowed.test", 443, "CONNECT"],
      ]);
      expect(Date.now() - Date.parse(denials[0]!.time)).toBeLessThan(120_000);
      expect(await deniedTotal()).toBe(before + 2);
      expect(announced).toHaveLength(2);
    } finally {
      unsubscribe();
      await sandbox.release();
    }
  });

  it("leaves a sandbox with no egress at all while the proxy is stopped", async () => {
    const sandbox = await acquire("internet");
    try {
      await inHost(ws1, "systemctl stop sandfleet-egress-proxy");
      expect(await run(sandbox, status("http://www.internet.test/"))).toMatch(/^000 rc=(7|28)$/);
      expect(await run(sandbox, status(`http://${WEB_IP}/`, "--noproxy '*'"))).toMatch(/^000 rc=(7|28)$/);
    } finally {
      await inHost(ws1, "systemctl start sandfleet-egress-proxy");
      await sandbox.release();
    }
    const back = await acquire("internet");
    try {
      expect(await run(back, "curl -s -m 5 http://www.internet.test/")).toBe("hello from www.internet.test");
    } finally {
      await back.release();
    }
  });

  it("changes a sandbox's allowlist through the sandbox service's HTTPS API, with the change and each refusal in its audit log", async () => {
    const service = await startServiceProcess([], {
      registry: fleet.registry,
      serverTls: { tls: fleet.tls, serverName: "ws-1" },
      config: { pool: { poolId: "egress-svc", minIdle: 0, defaultProfile: "none", profiles: PROFILES } },
    });
    const api = new SandboxApiClient({ url: service.url, key: service.key, ca: service.ca });
    try {
      const sandbox = await api.createSandbox({ profile: "allowlist", affinity: onWs1 });
      const curl = async (url: string) => (await api.exec(sandbox.id, { argv: ["sh", "-c", `curl -s -o /dev/null -m 5 -w '%{http_code}' ${url}`] })).stdout;
      expect(await curl("http://api.allowed.test/")).toBe("200");
      const changed = await api.setEgress(sandbox.id, { mode: "allowlist", hosts: ["files.pkg.allowed.test"] });
      expect(changed.policy).toEqual({ mode: "allowlist", hosts: ["files.pkg.allowed.test"], cidrs: [], ports: [80, 443] });
      expect(await curl("http://api.allowed.test/")).toBe("403");
      expect(await curl("http://files.pkg.allowed.test/")).toBe("200");
      const widened = await api.setEgress(sandbox.id, { mode: "internet" }).catch((err: unknown) => err);
      expect(widened).toBeInstanceOf(SandboxApiError);
      expect((widened as SandboxApiError).status).toBe(403);
      expect((widened as SandboxApiError).code).toBe("EGRESS_WIDENED");
      const { denials } = await api.getEgress(sandbox.id);
      expect(denials.map((d) => `${d.host}:${d.port}`)).toEqual(["api.allowed.test:80"]);
      // A refusal nobody asks about (no GET before the release): the pool's last read after the release sees it.
      expect(await curl("http://other.allowed.test/")).toBe("403");
      await api.releaseSandbox(sandbox.id);
      expect(await service.stop()).toBe(0);

      const { DatabaseSync } = require("node:sqlite") as typeof import("node:sqlite");
      const db = new DatabaseSync(join(service.dir, "data/service.db"), { readOnly: true });
      try {
        const rows = db.prepare("SELECT method, route, status, outcome FROM audit_log WHERE sandbox_id = ? ORDER BY id").all(sandbox.id);
        const seen = rows.map((r) => `${r.method} ${r.route} ${r.status} ${r.outcome}`);
        expect(seen).toEqual(
          expect.arrayContaining([
            "PUT /v1/sandboxes/:id/egress 200 ok",
            "PUT /v1/sandboxes/:id/egress 403 EGRESS_WIDENED",
          ]),
        );
        // Each refusal once, whether it was read over the API (api.allowed.test) or not (other.allowed.test).
        expect(seen.filter((row) => row.startsWith("EGRESS "))).toEqual([
          "EGRESS egress-denied api.allowed.test:80 403 denied",
          "EGRESS egress-denied other.allowed.test:80 403 denied",
        ]);
      } finally {
        db.close();
      }
    } finally {
      api.close();
      await service.stop(); // a no-op when the test stopped it already
      service.cleanup();
    }
  });
});
