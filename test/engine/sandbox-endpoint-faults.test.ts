/**
 * EndpointClient against misbehaving endpoints: a frozen daemon (SIGSTOP: TCP accepted by the kernel, nothing
 * answers), a wrong CA, a client cert without client_auth and a cert that does not cover the dialled name must
 * all fail fast with a typed error that says what to fix, never hang.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueDockerTls } from "../../components/tls/local-issuer";
import { EndpointClient } from "../../runtime/docker/endpoint-client";
import { DockerCallTimeoutError, TlsHandshakeError } from "../../runtime/errors";
import { parseSandboxProfile } from "../../runtime/sandbox/profile";
import { SandboxSession } from "../../runtime/sandbox/sandbox-session";
import { dockerdSupport, issueTestTls, startTestDaemon, TestDaemon, testRegistry } from "../support/dockerd";
import { ensureBusyboxImage } from "../support/images";

const support = dockerdSupport();

describe.skipIf(!support.ok)("endpoint client faults", () => {
  let daemon: TestDaemon;
  const clients: EndpointClient[] = [];
  const remember = (client: EndpointClient) => (clients.push(client), client);

  beforeAll(async () => {
    daemon = await startTestDaemon({ name: "faults" });
    ensureBusyboxImage(`unix://${daemon.socketPath}`);
  });

  afterAll(async () => {
    daemon?.thaw();
    clients.forEach((c) => c.close());
    await daemon?.stop();
  });

  it("talks to a healthy endpoint over mTLS", async () => {
    const registry = testRegistry([daemon]);
    const client = remember(EndpointClient.remote(registry.endpoints[0]!, registry.tls));
    await client.ping();
    expect((await client.version()).ApiVersion).toMatch(/^1\.\d+$/);
  });

  it("fails every call on a frozen endpoint within the call deadline, even with an open attach stream", async () => {
    const registry = testRegistry([daemon]);
    const client = remember(EndpointClient.remote(registry.endpoints[0]!, registry.tls, { callTimeoutMs: 1_000 }));
    const session = await SandboxSession.start(client, parseSandboxProfile({ image: "sandfleet-test/busybox:latest" }), {});
    daemon.freeze();
    try {
      const started = Date.now();
      const results = await Promise.allSettled([
        client.ping(),
        client.listContainers({ "dev.sandfleet.managed": "true" }),
        client.call("inspect", (docker, abortSignal) => docker.getContainer(session.containerId).inspect({ abortSignal })),
        session.exec(["echo", "hi"], { timeoutMs: 1_000 }),
      ]);
      const elapsed = Date.now() - started;
      expect(results.slice(0, 3).map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
      for (const r of results.slice(0, 3)) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DockerCallTimeoutError);
      expect(((results[0] as PromiseRejectedResult).reason as Error).message).toMatch(/frozen, overloaded or black-holed/);
      // The exec itself is not a Docker API call: under a frozen dockerd the attach stream stalls, and the host-side
      // timeout (interrupt + grace) ends it with timedOut and an unhealthy session instead of a hang.
      expect(results[3]).toMatchObject({ status: "fulfilled", value: { timedOut: true } });
      expect(session.healthy()).toBe(false);
      expect(elapsed).toBeLessThan(8_000);
    } finally {
      daemon.thaw();
      await session.destroy();
    }
  });

  it("says the CA is wrong when the server cert is not signed by the registry's CA", async () => {
    const other = await issueTestTls();
    const registry = testRegistry([daemon]);
    const client = remember(EndpointClient.remote(registry.endpoints[0]!, { ...registry.tls, ca: other.ca.certPem }, { callTimeoutMs: 5_000 }));
    const err = await client.ping().catch((e) => e);
    expect(err).toBeInstanceOf(TlsHandshakeError);
    expect(err.kind).toBe("unknown-ca");
    expect(err.message).toMatch(/not signed by the registry's tls.ca/);
  });

  it("says the client cert was refused when it lacks client_auth", async () => {
    const noClientAuth = await issueDockerTls({
      stack: "test",
      servers: [],
      ca: daemon.tls.ca,
      clientUsages: ["digital_signature", "server_auth"],
    });
    const registry = testRegistry([daemon]);
    const tls = { ...registry.tls, clientCert: noClientAuth.client.certPem, clientKey: noClientAuth.client.keyPem };
    const client = remember(EndpointClient.remote(registry.endpoints[0]!, tls, { callTimeoutMs: 5_000 }));
    const err = await client.ping().catch((e) => e);
    expect(err).toBeInstanceOf(TlsHandshakeError);
    expect(err.kind).toBe("client-cert-rejected");
    expect(err.message).toMatch(/client_auth/);
  });

  it("says the server cert does not cover the name it is verified against", async () => {
    const registry = testRegistry([daemon], [{ serverName: "not-in-the-cert.example" }]);
    const client = remember(EndpointClient.remote(registry.endpoints[0]!, registry.tls, { callTimeoutMs: 5_000 }));
    const err = await client.ping().catch((e) => e);
    expect(err).toBeInstanceOf(TlsHandshakeError);
    expect(err.kind).toBe("wrong-name");
  });
});
