/**
 * Cloudflare Full (strict) on the service's side, over real TLS handshakes: the `sandfleet-service --config FILE`
 * process (what the platform's unit runs) with two certificates, the stack-CA leaf (default) and a stand-in for the
 * Cloudflare Origin CA certificate of the proxied name (config `tls.byServerName`, as the stack writes it). A client
 * that sends the DNS name as SNI (Cloudflare's edge does) gets the origin certificate, which verifies against its
 * own CA only; a client dialling the IP (no SNI: TLS never carries an IP as SNI) or another name gets the stack-CA
 * leaf, which `serviceCaCert` verifies. A renewed origin certificate is taken up by SIGHUP without a restart, a
 * broken one keeps both previous pairs, and the install script's own health probe checks every pair by its SNI.
 */
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkServerIdentity, connect, type PeerCertificate } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueDockerTls, type LocalDockerTls } from "../../components/tls/local-issuer";
import { SERVICE_INSTALL_SCRIPT_LOCAL_PATH } from "../../cloud-init/service-host";
import { dockerdSupport, sleep, startTestDaemons, TestDaemon } from "../support/dockerd";
import { BUSYBOX_IMAGE } from "../support/images";
import { ServiceProcess, startServiceProcess } from "../support/service";

const support = dockerdSupport();
const NAME = "sandbox.example.test";
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
const issueOrigin = (ca?: LocalDockerTls["ca"]) =>
  issueDockerTls({ stack: "origin", caCommonName: "Test stand-in for Cloudflare Origin CA", servers: [{ serverName: NAME }], ...(ca ? { ca } : {}) });

interface Handshake {
  fingerprint: string;
  authorized: boolean;
  authorizationError?: string;
  /** Whether the certificate also names what was dialled (node's checkServerIdentity). */
  identityError?: string;
}

describe.skipIf(!support.ok)("the service picks its certificate by SNI (Cloudflare Full (strict))", () => {
  let daemons: TestDaemon[] = [];
  let service: ServiceProcess;
  let origin: LocalDockerTls;
  let port: number;

  /** One real handshake on 127.0.0.1: `servername` undefined sends no SNI (what a client dialling the IP does). */
  const handshake = (servername: string | undefined, ca: string): Promise<Handshake> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port, ...(servername ? { servername } : {}), ca, rejectUnauthorized: false }, () => {
        const cert = socket.getPeerCertificate(false) as PeerCertificate;
        const identityError = checkServerIdentity(servername ?? "127.0.0.1", cert)?.message;
        resolve({ fingerprint: cert.fingerprint256, authorized: socket.authorized, ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}), ...(identityError ? { identityError } : {}) });
        socket.end();
      });
      socket.once("error", reject);
    });

  beforeAll(async () => {
    daemons = await startTestDaemons(["sni"]);
    origin = await issueOrigin();
    service = await startServiceProcess(daemons, {
      config: { pool: { poolId: "svc-sni", minIdle: 0, profiles: { default: { image: BUSYBOX_IMAGE } } } },
      sniCertificates: [{ serverName: NAME, ...origin.servers[NAME]! }],
    });
    port = Number(new URL(service.url).port);
  });

  afterAll(async () => {
    if (service) {
      expect(await service.stop()).toBe(0);
      service.cleanup();
    }
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it("serves the origin certificate to the DNS name as SNI; it verifies against its own CA, not the stack's", async () => {
    const viaName = await handshake(NAME, origin.ca.certPem);
    expect(viaName).toEqual({ fingerprint: fingerprint(origin.servers[NAME]!.certPem), authorized: true });
    // SNI names are case-insensitive; Cloudflare sends lower case, others may not.
    expect((await handshake("SANDBOX.Example.Test", origin.ca.certPem)).fingerprint).toBe(viaName.fingerprint);
    const withStackCa = await handshake(NAME, service.ca);
    expect(withStackCa.authorized).toBe(false);
    expect(withStackCa.authorizationError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify/i);
  });

  it("serves the stack-CA leaf without SNI (a client dialling the IP) and to any other name; serviceCaCert verifies it for 127.0.0.1", async () => {
    const stackLeaf = fingerprint(daemons[0]!.tls.servers["test-dockerd"]!.certPem);
    expect(await handshake(undefined, service.ca)).toEqual({ fingerprint: stackLeaf, authorized: true });
    expect((await handshake("other.example.test", service.ca)).fingerprint).toBe(stackLeaf);
    const withOriginCa = await handshake(undefined, origin.ca.certPem);
    expect(withOriginCa.authorized).toBe(false);
  });

  it("answers the API through both: curl by name with the origin CA (as Cloudflare checks it), and by IP with serviceCaCert", () => {
    const originCaFile = join(service.dir, "origin-ca.pem");
    writeFileSync(originCaFile, origin.ca.certPem);
    const byName = spawnSync("curl", ["-sS", "--max-time", "20", "--resolve", `${NAME}:${port}:127.0.0.1`, "--cacert", originCaFile, `https://${NAME}:${port}/healthz`], { encoding: "utf8" });
    expect(byName.stderr).toBe("");
    expect(JSON.parse(byName.stdout)).toMatchObject({ ok: true });
    const byIp = spawnSync("curl", ["-sS", "--max-time", "20", "--cacert", service.caFile, `${service.url}/healthz`], { encoding: "utf8" });
    expect(JSON.parse(byIp.stdout)).toMatchObject({ ok: true });
    // The origin CA does not vouch for the IP, and the stack CA not for the origin certificate.
    const crossed = spawnSync("curl", ["-sS", "--max-time", "20", "--resolve", `${NAME}:${port}:127.0.0.1`, "--cacert", service.caFile, `https://${NAME}:${port}/healthz`], { encoding: "utf8" });
    expect(crossed.status).not.toBe(0);
  });

  it("takes up a renewed origin certificate on SIGHUP in the same process; the default pair stays; the install probe sees both", async () => {
    const pid = service.child.pid;
    const stackLeaf = fingerprint(daemons[0]!.tls.servers["test-dockerd"]!.certPem);
    const renewed = await issueOrigin(origin.ca);
    const files = service.sniFiles[NAME]!;
    writeFileSync(files.keyFile, renewed.servers[NAME]!.keyPem);
    writeFileSync(files.certFile, renewed.servers[NAME]!.certPem);
    // Installed but not yet reloaded: the probe of install-sandbox-service.sh refuses (what it waits on).
    expect(installProbe().status).toBe(1);
    const logged = service.log().length;
    service.child.kill("SIGHUP");
    await eventually(() => service.log().slice(logged).includes(`${NAME}: until`), "the tls reload line");
    expect(service.child.pid).toBe(pid);
    expect((await handshake(NAME, origin.ca.certPem)).fingerprint).toBe(fingerprint(renewed.servers[NAME]!.certPem));
    expect((await handshake(undefined, service.ca)).fingerprint).toBe(stackLeaf);
    const probe = installProbe();
    expect(probe.stderr).toBe("");
    expect(probe.status).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject({ ok: true });
    origin = { ...origin, servers: renewed.servers };
  });

  it("keeps both previous pairs when a reloaded origin pair does not belong together", async () => {
    const before = await handshake(NAME, origin.ca.certPem);
    const other = await issueOrigin(origin.ca);
    writeFileSync(service.sniFiles[NAME]!.certFile, other.servers[NAME]!.certPem); // the key stays the old one
    const logged = service.log().length;
    service.child.kill("SIGHUP");
    await eventually(() => service.log().slice(logged).includes("tls reload failed"), "the failed tls reload line");
    expect(service.log().slice(logged)).toContain(service.sniFiles[NAME]!.certFile);
    expect((await handshake(NAME, origin.ca.certPem)).fingerprint).toBe(before.fingerprint);
    // Put the served pair back, so the file on disk and the served certificate agree again.
    writeFileSync(service.sniFiles[NAME]!.certFile, origin.servers[NAME]!.certPem);
  });

  /** The health probe of cloud-init/post-boot/install-sandbox-service.sh, run as the script runs it, on a config like the host's. */
  function installProbe() {
    const script = readFileSync(SERVICE_INSTALL_SCRIPT_LOCAL_PATH, "utf8");
    const probe = /^probe='(.*)'$/m.exec(script)?.[1];
    if (!probe) throw new Error("no probe='...' line in the install script");
    const config = JSON.parse(readFileSync(service.configFile, "utf8"));
    const probeConfig = join(service.dir, "probe-config.json");
    writeFileSync(probeConfig, JSON.stringify({ ...config, listen: { ...config.listen, port } }));
    return spawnSync(process.execPath, ["-e", probe, probeConfig], { encoding: "utf8", timeout: 30_000 });
  }
});

async function eventually(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
