/**
 * The sandbox service's systemd units and file set (cloud-init/service-host.ts), as the install script writes
 * them on the platform: checked by systemd's own `systemd-analyze verify`, and for what they promise (own user,
 * one capability, state on the data volume, the key's hash and never the key).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  serviceHostFiles,
  serviceHostFileSet,
  serviceInstallCommand,
  SERVICE_REGISTRY_PATH_UNIT,
  SERVICE_UNIT,
  type ServiceHostConfig,
} from "../../../cloud-init/service-host";
import { newServiceApiKey, serviceApiKeyHash } from "../../../components/service/api-key";
import { parseServiceConfig } from "../../../service/config";
import { hashApiKey } from "../../../service/db/api-keys";

const key = newServiceApiKey();
const config: ServiceHostConfig = {
  nodeVersion: "24.22.3",
  nodeIntegrity: `sha512-${"A".repeat(86)}==`,
  nodeArch: "x64",
  bundleDigest: "a".repeat(64),
  dataVolumeMount: "/srv/sandfleet",
  tls: { certPem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", keyPem: "-----BEGIN PRIVATE KEY-----\nSECRETKEY\n-----END PRIVATE KEY-----" },
  initialApiKeySha256: serviceApiKeyHash(key),
  pool: { profiles: { default: { image: "debian:trixie-slim" } } },
};
const files = serviceHostFiles(config);
const file = (path: string) => files.find((f) => f.path.endsWith(path))!;
const units = files.filter((f) => f.path.startsWith("/etc/systemd/system/"));
const directive = (unit: string, key: string) =>
  file(unit)
    .content.split("\n")
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

describe("the sandbox service's units", () => {
  it("pass systemd-analyze verify", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-service-units-"));
    try {
      // verify insists that ExecStart binaries exist: the shipped Node is only on the platform, so it stands in as env.
      for (const unit of units) writeFileSync(join(dir, basename(unit.path)), unit.content.replaceAll("/opt/sandfleet/node/24.22.3/bin/node", "/usr/bin/env"));
      const run = spawnSync("systemd-analyze", ["verify", "--man=no", ...units.map((u) => join(dir, basename(u.path)))], { encoding: "utf8" });
      if (run.error) throw new Error(`systemd-analyze is missing (apt-get install systemd): ${run.error.message}`);
      expect(`${run.stdout}${run.stderr}`.trim()).toBe("");
      expect(run.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("run the service as its own user with CAP_NET_BIND_SERVICE only, restarted on failure", () => {
    expect(directive(SERVICE_UNIT, "User")).toEqual(["sandfleet-service"]);
    expect(directive(SERVICE_UNIT, "AmbientCapabilities")).toEqual(["CAP_NET_BIND_SERVICE"]);
    expect(directive(SERVICE_UNIT, "CapabilityBoundingSet")).toEqual(["CAP_NET_BIND_SERVICE"]);
    expect(directive(SERVICE_UNIT, "NoNewPrivileges")).toEqual(["yes"]);
    expect(directive(SERVICE_UNIT, "Restart")).toEqual(["on-failure"]);
    expect(directive(SERVICE_UNIT, "ExecStart")[0]).toMatch(/^\/opt\/sandfleet\/node\/24\.22\.3\/bin\/node \/opt\/sandfleet\/service\/current\/sandfleet-service\.cjs --config /);
  });

  it("keep the service's state on the data volume, the only place it may write", () => {
    expect(directive(SERVICE_UNIT, "ProtectSystem")).toEqual(["strict"]);
    expect(directive(SERVICE_UNIT, "ReadWritePaths")).toEqual(["/srv/sandfleet/service"]);
    expect(directive(SERVICE_UNIT, "RequiresMountsFor")).toEqual(["/srv/sandfleet/service"]);
    const json = JSON.parse(file("config.json").content);
    expect(json.dataDir).toBe("/srv/sandfleet/service");
    expect(json.registryFile).toBe("/srv/sandfleet/service/registry.json");
  });

  it("start only once the registry is delivered, and take up a new registry through the .path unit", () => {
    expect(directive(SERVICE_UNIT, "ConditionPathExists")).toEqual(["/etc/sandfleet/registry.json"]);
    expect(directive(SERVICE_REGISTRY_PATH_UNIT, "PathChanged")).toEqual(["/etc/sandfleet/registry.json"]);
    expect(directive("sandfleet-service-registry.service", "ExecStart")).toEqual([
      "/bin/sh /opt/sandfleet/service/copy-registry.sh",
      "/bin/systemctl try-reload-or-restart --no-block sandfleet-service.service",
    ]);
    expect(directive(SERVICE_UNIT, "ExecReload")).toEqual(["/bin/kill -HUP $MAINPID"]);
  });
});

describe("the file set on the install script's stdin", () => {
  it("carries the initial key's SHA-256, never the key", () => {
    const set = serviceHostFileSet(config);
    const decoded = set
      .trim()
      .split("\n")
      .map((line) => Buffer.from(line.split(" ")[4], "base64").toString("utf8"))
      .join("\n");
    expect(decoded).toContain(serviceApiKeyHash(key));
    expect(decoded).not.toContain(key);
    expect(JSON.parse(file("config.json").content).bootstrapKeys).toEqual([{ name: "stack-initial", sha256: serviceApiKeyHash(key) }]);
  });

  it("gives the TLS key to root and the service's group only", () => {
    expect(file("tls/key.pem")).toMatchObject({ mode: "0440", owner: "root:sandfleet-service" });
    expect(file("config.json")).toMatchObject({ mode: "0640", owner: "root:sandfleet-service" });
    expect(files.filter((f) => f.content.includes("SECRETKEY")).map((f) => f.path)).toEqual(["/etc/sandfleet-service/tls/key.pem"]);
  });

  it("writes a config the service's own schema accepts, with the key hashed the way the service hashes it", () => {
    const parsed = parseServiceConfig(JSON.parse(file("config.json").content));
    expect(parsed.bootstrapKeys).toEqual([{ name: "stack-initial", sha256: hashApiKey(key) }]);
    expect(parsed.pool).toEqual(config.pool);
  });

  it("listens on 443 over TLS only", () => {
    const json = JSON.parse(file("config.json").content);
    expect(json.listen).toEqual({ host: "0.0.0.0", port: 443 });
    expect(json.tls).toEqual({ certFile: "/etc/sandfleet-service/tls/cert.pem", keyFile: "/etc/sandfleet-service/tls/key.pem" });
  });

  it("refuses input that would end up in a unit or command line unchecked, naming the field", () => {
    expect(() => serviceHostFiles({ ...config, dataVolumeMount: "/srv/x y" })).toThrow("service.dataVolumeMount");
    expect(() => serviceHostFiles({ ...config, initialApiKeySha256: key })).toThrow("never the key");
    expect(() => serviceHostFiles({ ...config, nodeIntegrity: "sha1-abc" })).toThrow("service.nodeIntegrity");
    expect(serviceInstallCommand(config, true)).toMatch(/^sudo -n bash \/var\/lib\/sandfleet\/install-sandbox-service\.sh /);
    expect(serviceInstallCommand(config, false)).not.toContain(key);
  });
});

describe("a certificate served by SNI (the Cloudflare Origin CA one)", () => {
  const origin = { serverName: "sandbox.example.com", certPem: "-----BEGIN CERTIFICATE-----\nORIGIN\n-----END CERTIFICATE-----", keyPem: "-----BEGIN PRIVATE KEY-----\nORIGINKEY\n-----END PRIVATE KEY-----" };
  const withOrigin = serviceHostFiles({ ...config, tlsByServerName: [origin] });
  const at = (path: string) => withOrigin.find((f) => f.path === path);

  it("is written under tls/ next to the default pair (a change of it alone is a reload), its key for the service's group only", () => {
    expect(at("/etc/sandfleet-service/tls/sandbox.example.com.cert.pem")).toMatchObject({ mode: "0444", owner: "root:root", content: `${origin.certPem}\n` });
    expect(at("/etc/sandfleet-service/tls/sandbox.example.com.key.pem")).toMatchObject({ mode: "0440", owner: "root:sandfleet-service" });
    expect(withOrigin.filter((f) => f.content.includes("ORIGINKEY")).map((f) => f.path)).toEqual(["/etc/sandfleet-service/tls/sandbox.example.com.key.pem"]);
    // Everything else is as without it, but the config: one more file pair, the same units.
    expect(withOrigin.filter((f) => f.path.startsWith("/etc/systemd/")).map((f) => f.content)).toEqual(units.map((u) => u.content));
  });

  it("is named in the config by exactly the paths the file set writes, and the service's schema accepts it", () => {
    const parsed = parseServiceConfig(JSON.parse(at("/etc/sandfleet-service/config.json")!.content));
    expect(parsed.tls.byServerName).toEqual([{ serverName: "sandbox.example.com", certFile: "/etc/sandfleet-service/tls/sandbox.example.com.cert.pem", keyFile: "/etc/sandfleet-service/tls/sandbox.example.com.key.pem" }]);
    const written = new Set(withOrigin.map((f) => f.path));
    for (const pair of [parsed.tls, ...parsed.tls.byServerName]) {
      expect(written.has(pair.certFile) && written.has(pair.keyFile), pair.certFile).toBe(true);
    }
  });

  it("refuses a name that is no lower-case DNS name (it becomes a path), a name twice, or no PEM, naming the field", () => {
    expect(() => serviceHostFiles({ ...config, tlsByServerName: [{ ...origin, serverName: "../../etc/passwd" }] })).toThrow("service.tlsByServerName.0.serverName");
    expect(() => serviceHostFiles({ ...config, tlsByServerName: [{ ...origin, serverName: "203.0.113.7" }] })).toThrow("lower-case DNS name");
    expect(() => serviceHostFiles({ ...config, tlsByServerName: [origin, origin] })).toThrow("service.tlsByServerName.1.serverName");
    expect(() => serviceHostFiles({ ...config, tlsByServerName: [{ ...origin, keyPem: "nope" }] })).toThrow("service.tlsByServerName.0.keyPem");
  });
});

describe("the service config's tls.byServerName", () => {
  const base = { tls: { certFile: "/t/c.pem", keyFile: "/t/k.pem" }, registryFile: "/r.json", dataDir: "/d", listen: {} };
  it("refuses an IP address, a duplicate and a relative path, naming the key and the fix", () => {
    const entry = { serverName: "sandbox.example.com", certFile: "/t/o.pem", keyFile: "/t/ok.pem" };
    expect(() => parseServiceConfig({ ...base, tls: { ...base.tls, byServerName: [{ ...entry, serverName: "203.0.113.7" }] } })).toThrow(
      /tls\.byServerName\.0\.serverName: must be a lower-case DNS name .*never IP addresses/,
    );
    expect(() => parseServiceConfig({ ...base, tls: { ...base.tls, byServerName: [entry, entry] } })).toThrow(/tls\.byServerName\.1\.serverName: "sandbox\.example\.com" appears twice/);
    expect(() => parseServiceConfig({ ...base, tls: { ...base.tls, byServerName: [{ ...entry, keyFile: "k.pem" }] } })).toThrow(/tls\.byServerName\.0\.keyFile: must be an absolute path/);
    expect(parseServiceConfig(base).tls.byServerName).toEqual([]);
  });
});
