import { describe, expect, it } from "vitest";
import { buildEndpointRegistry } from "../../../components/registry/build-registry";
import { parsePostBootReport } from "../../../components/post-boot/report";
import { RegistryError, type Endpoint } from "../../../runtime/registry/schema";

const pem = (block: string) => `-----BEGIN ${block}-----\nAAAA\n-----END ${block}-----\n`;
const tls = { ca: pem("CERTIFICATE"), clientCert: pem("CERTIFICATE"), clientKey: pem("PRIVATE KEY") };
const endpoint = (id: string, extra: Partial<Endpoint> = {}): Endpoint => ({
  id,
  host: "10.0.1.10",
  port: 2376,
  serverName: "ws-standard-1",
  provider: "hetzner",
  region: "eu-central",
  location: "fsn1",
  runtime: "runsc",
  maxContainers: 10,
  weight: 1,
  capacity: { cpus: 4, memoryMb: 8192, diskGb: 80 },
  labels: { pool: "standard" },
  ...extra,
});
const ok = 'SANDFLEET_POST_BOOT_OK {"defaultRuntime":"runsc","serverVersion":"27.0"}\n';

describe("the endpoint registry builder", () => {
  it("lists only servers whose post-boot step reported success", () => {
    const built = buildEndpointRegistry("dev", tls, [
      { endpoint: endpoint("a-1"), postBootStdout: `installing\n${ok}` },
      { endpoint: endpoint("a-2"), postBootStdout: "cloud-init failed\n" },
      { endpoint: endpoint("a-3"), postBootStdout: undefined },
    ]);
    expect(built.registry.endpoints.map((e) => e.id)).toEqual(["a-1"]);
    expect(built.skipped).toEqual(["a-2", "a-3"]);
  });

  it("keeps out a server whose daemon reported another default runtime", () => {
    const built = buildEndpointRegistry("dev", tls, [{ endpoint: endpoint("a-1"), postBootStdout: 'SANDFLEET_POST_BOOT_OK {"defaultRuntime":"runc"}' }]);
    expect(built.skipped).toEqual(["a-1"]);
  });

  it("carries the draining flag of a pool being retired", () => {
    const built = buildEndpointRegistry("dev", tls, [{ endpoint: endpoint("a-1", { draining: true }), postBootStdout: ok }]);
    expect(built.registry.endpoints[0].draining).toBe(true);
  });

  it("refuses to export a registry the runtime would reject", () => {
    expect(() => buildEndpointRegistry("dev", tls, [
      { endpoint: endpoint("dup"), postBootStdout: ok },
      { endpoint: endpoint("dup"), postBootStdout: ok },
    ])).toThrow(RegistryError);
  });

  it("reads the last success line of the post-boot output", () => {
    expect(parsePostBootReport(`x\n${ok}`)).toMatchObject({ ok: true, defaultRuntime: "runsc" });
    expect(parsePostBootReport("SANDFLEET_POST_BOOT_OKAY")).toBeUndefined();
    expect(parsePostBootReport("")).toBeUndefined();
  });
});
