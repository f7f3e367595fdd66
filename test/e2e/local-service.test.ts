/**
 * End to end: the sandbox service as `npm start` installs it on the local fleet's platform host (the install path
 * `pulumi up` uses: script, pinned Node tarball, bundle from this checkout, file set over SSH, systemd unit), called
 * from outside through the port published on 127.0.0.1: the printed curl lines and a Python script that uses only
 * the standard library each run a command in a gVisor sandbox; the unit runs as its own user, comes back when
 * killed, takes up a new registry without a restart, and a renewed certificate with a reload (no restart).
 *
 * Run alone with: flock /tmp/sf/e2e.lock npx vitest run --project e2e test/e2e/local-service.test.ts
 */
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execInContainer } from "../../local/container-exec";
import { downFleet, LOCAL_ADMIN_USER, type FleetHost, type LocalFleet, upFleet } from "../../local/fleet";
import { removeFleetResources } from "../../local/hosts";
import { installLocalService, issueLocalServiceTls, LOCAL_SERVICE_CERT_NAME, serviceCurlLines } from "../../local/service";
import { sshConnect, sshExec } from "../../local/ssh";
import { registryDeliveryCommands } from "../../components/registry/registry-commands";
import { skipWithoutLocalEngine, taggedProgress } from "../support/local-engine";

const FLEET = "svc";
const SUBNET = "10.213.33.0/24";

const skip = skipWithoutLocalEngine("sandbox service end-to-end tests", "test/e2e/local-service.test.ts");
const progress = taggedProgress("svc");

/** Polls `check` every half second (each check execs into the host) until it holds, else fails naming `what`. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** A client with nothing but Python's standard library: urllib over TLS with the service's CA, json. */
const PYTHON_CLIENT = `
import json, ssl, sys, urllib.request
url, ca, key = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
def call(method, path, body=None):
    req = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=120) as r:
        return json.loads(r.read() or b"null")
sandbox = call("POST", "/v1/sandboxes", {})
result = call("POST", "/v1/sandboxes/%s/exec" % sandbox["id"], {"argv": ["sh", "-c", "echo from-python; uname -r"]})
call("DELETE", "/v1/sandboxes/%s" % sandbox["id"])
print(json.dumps(result))
`;

describe.skipIf(skip)("the sandbox service on the local fleet's platform host", () => {
  const docker = new Docker();
  const scratch = mkdtempSync(join(tmpdir(), "sandfleet-svc-"));
  const stateDir = join(scratch, "state");
  let fleet: LocalFleet;
  let platform: FleetHost;

  const inPlatform = (script: string) => execInContainer(docker.getContainer(platform.containerId), ["sh", "-c", script], { timeoutMs: 60_000 });
  const mainPid = async () => (await inPlatform("systemctl show -p MainPID --value sandfleet-service.service")).stdout.trim();

  beforeAll(async () => {
    await removeFleetResources(docker, FLEET);
    fleet = await upFleet({ fleet: FLEET, subnet: SUBNET, workspaces: 1, platforms: 1, stateDir, docker, progress });
    platform = fleet.hosts.find((h) => h.role === "platform")!;
  });

  afterAll(async () => {
    await downFleet({ fleet: FLEET, stateDir, docker }).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("runs a command in a gVisor sandbox with the curl lines npm start prints", () => {
    expect(fleet.service?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const script = ["set -euo pipefail", ...serviceCurlLines(fleet.service!, scratch)].join("\n");
    const run = spawnSync("bash", ["-c", script], { cwd: scratch, encoding: "utf8", timeout: 180_000 });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    const result = JSON.parse(run.stdout.trim());
    expect(result).toMatchObject({ exitCode: 0 });
    expect(result.stdout.trim()).toBe("4.4.0");
  });

  it("serves a Python client that uses only the standard library, over TLS with the service's CA", () => {
    const key = readFileSync(fleet.service!.apiKeyPath, "utf8").trim();
    const run = spawnSync("python3", ["-c", PYTHON_CLIENT, fleet.service!.url, fleet.service!.caPath, key], { encoding: "utf8", timeout: 180_000 });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    const result = JSON.parse(run.stdout.trim());
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("from-python\n4.4.0\n");
  });

  it("refuses a wrong key and plain HTTP", () => {
    const { url, caPath } = fleet.service!;
    const wrong = spawnSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", caPath, "-H", "Authorization: Bearer sfk_wrong", `${url}/v1/sandboxes`], { encoding: "utf8" });
    expect(wrong.stdout).toBe("401");
    const plain = spawnSync("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", url.replace("https://", "http://") + "/healthz"], { encoding: "utf8" });
    expect(plain.stdout).not.toBe("200");
  });

  it("runs the unit as its own user with the shipped Node 24, its state on the data directory", async () => {
    const show = await inPlatform("systemctl show -p User -p ActiveState -p ExecMainStatus sandfleet-service.service; ps -o user:32=,args= -p $(systemctl show -p MainPID --value sandfleet-service.service)");
    expect(show.stdout).toContain("User=sandfleet-service");
    expect(show.stdout).toContain("ActiveState=active");
    expect(show.stdout).toMatch(/sandfleet-service\s+\/opt\/sandfleet\/node\/24\.\d+\.\d+\/bin\/node \/opt\/sandfleet\/service\/current\/sandfleet-service\.cjs/);
    const files = await inPlatform("stat -c '%U %a %n' /srv/sandfleet/service /srv/sandfleet/service/registry.json /etc/sandfleet-service/tls/key.pem; ls /srv/sandfleet/service");
    expect(files.stdout).toContain("sandfleet-service 700 /srv/sandfleet/service\n");
    expect(files.stdout).toContain("sandfleet-service 400 /srv/sandfleet/service/registry.json");
    expect(files.stdout).toContain("root 440 /etc/sandfleet-service/tls/key.pem");
    expect(files.stdout).toMatch(/\.db/);
  });

  it("takes up a renewed certificate with a reload: same process, the leased sandbox kept, the new certificate served", async () => {
    const { url } = fleet.service!;
    const oldCa = join(scratch, "service-ca-before-renewal.pem");
    writeFileSync(oldCa, readFileSync(fleet.service!.caPath));
    const key = fleet.service!.apiKey;
    const api = (path: string, method = "GET", body?: unknown, ca = fleet.service!.caPath) =>
      spawnSync("curl", ["-fsS", "--cacert", ca, "-X", method, "-H", `Authorization: Bearer ${key}`, ...(body ? ["-H", "content-type: application/json", "-d", JSON.stringify(body)] : []), `${url}${path}`], { encoding: "utf8" });
    const created = api("/v1/sandboxes", "POST", {});
    expect(created.status, created.stderr).toBe(0);
    const id = JSON.parse(created.stdout).id as string;
    const pid = await mainPid();

    // What a pulumi up in a new renewal period does: the same install, only the TLS files new.
    const renewed = await issueLocalServiceTls(FLEET, platform.privateIp);
    const again = await installLocalService({
      fleet: FLEET, stateDir, platform, registry: fleet.service!.registry,
      login: { username: LOCAL_ADMIN_USER, privateKey: fleet.deployKey.privateKey }, progress,
      again: { apiKey: key, tls: renewed },
    });
    expect(again.report).toMatchObject({ ok: true, action: "reloaded", unit: "active" });
    expect(await mainPid()).toBe(pid);
    expect((await inPlatform("journalctl -u sandfleet-service.service --no-pager -n 50")).stdout).toContain("tls reloaded: certificate valid until");

    // The new certificate is served (its CA verifies it, the old one no longer does) and the lease survived.
    expect(readFileSync(again.caPath, "utf8")).toBe(renewed.ca.certPem);
    const { port } = new URL(url);
    const served = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: Number(port), ca: renewed.ca.certPem }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      }).on("error", reject);
    });
    expect(served).toBe(new X509Certificate(renewed.servers[LOCAL_SERVICE_CERT_NAME]!.certPem).fingerprint256);
    expect(spawnSync("curl", ["-fsS", "--cacert", oldCa, `${url}/healthz`]).status).not.toBe(0);
    const exec = api(`/v1/sandboxes/${id}/exec`, "POST", { argv: ["echo", "kept"] });
    expect(exec.status, exec.stderr).toBe(0);
    expect(JSON.parse(exec.stdout)).toMatchObject({ exitCode: 0, stdout: "kept\n" });
    expect(api(`/v1/sandboxes/${id}`, "DELETE").status).toBe(0);
  });

  it("comes back after the service process is killed (Restart=on-failure)", async () => {
    const before = await mainPid();
    expect(Number(before)).toBeGreaterThan(0);
    await inPlatform(`kill -9 ${before}`);
    await eventually(async () => {
      const now = await mainPid();
      const active = (await inPlatform("systemctl is-active sandfleet-service.service")).stdout.trim();
      return now !== before && now !== "0" && active === "active";
    }, 60_000, "sandfleet-service.service restarted");
    await eventually(async () => spawnSync("curl", ["-fsS", "--cacert", fleet.service!.caPath, `${fleet.service!.url}/healthz`]).status === 0, 60_000, "the service answering /healthz again");
  });

  it("takes up a registry delivered again without a restart (the .path unit copies it and reloads the service)", async () => {
    const pid = await mainPid();
    const delivered = fleet.service!.registry;
    const changed = { ...delivered, endpoints: delivered.endpoints.map((e) => ({ ...e, labels: { ...e.labels, redelivered: "yes" } })) };
    const client = await sshConnect({ host: "127.0.0.1", port: platform.sshPort, username: LOCAL_ADMIN_USER, privateKey: fleet.deployKey.privateKey });
    try {
      const write = await sshExec(client, registryDeliveryCommands.writeRegistry("sudo -n "), { stdin: JSON.stringify(changed, null, 2) + "\n" });
      expect(write.exitCode, write.stderr).toBe(0);
    } finally {
      client.end();
    }
    await eventually(async () => (await inPlatform("cat /srv/sandfleet/service/registry.json")).stdout.includes('"redelivered"'), 30_000, "the service's copy of the registry updated");
    await eventually(async () => (await inPlatform("journalctl -u sandfleet-service.service --no-pager -n 50")).stdout.includes("registry reloaded"), 30_000, "the service reloading the registry");
    expect(await mainPid()).toBe(pid);
  });
});
