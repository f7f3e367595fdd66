/**
 * Failures that waiting cannot mend end an acquire at once, on real daemons: a registry whose CA did not sign the
 * servers' certs rejects with TlsHandshakeError, an image no endpoint has with ImageNotFoundError, each long before
 * the 30 s default acquire deadline. One such endpoint among good ones does not fail the acquire: the good ones
 * serve it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AcquireTimeoutError, createPool, ImageNotFoundError, Pool, TlsHandshakeError } from "../../runtime/index";
import { dockerdSupport, issueTestTls, startTestDaemons, TestDaemon, testRegistry } from "../support/dockerd";
import { BUSYBOX_IMAGE, ensureBusyboxImage, hasImage } from "../support/images";

const support = dockerdSupport();
/** The default acquire deadline; "fast" means a small fraction of it. */
const DEFAULT_ACQUIRE_TIMEOUT_MS = 30_000;
const FAST_MS = 5_000;

describe.skipIf(!support.ok)("acquire fails fast on failures waiting cannot mend", () => {
  let daemons: TestDaemon[] = [];
  let withImage: TestDaemon;
  let withoutImage: TestDaemon;
  const pools: Pool[] = [];
  const open = async (...args: Parameters<typeof createPool>) => {
    const pool = await createPool(...args);
    pools.push(pool);
    return pool;
  };
  const timed = async <T>(work: Promise<T>) => {
    const started = Date.now();
    const outcome = await work.then(
      (value) => ({ value, error: undefined }),
      (error: unknown) => ({ value: undefined, error }),
    );
    return { ...outcome, ms: Date.now() - started };
  };

  beforeAll(async () => {
    daemons = await startTestDaemons(["ff-img", "ff-noimg"]);
    [withImage, withoutImage] = daemons as [TestDaemon, TestDaemon];
    ensureBusyboxImage(`unix://${withImage.socketPath}`);
    expect(hasImage(`unix://${withoutImage.socketPath}`, BUSYBOX_IMAGE)).toBe(false);
  });

  afterAll(async () => {
    withImage?.thaw();
    await Promise.all(pools.map((p) => p.close()));
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it("rejects with TlsHandshakeError (unknown CA) well before the deadline when the registry's CA signed no server cert", async () => {
    const registry = testRegistry([withImage]);
    registry.tls.ca = (await issueTestTls()).ca.certPem;
    const pool = await open({ registry, poolId: "ff-wrong-ca", profiles: { default: { image: BUSYBOX_IMAGE } } });
    const { error, ms } = await timed(pool.acquire());
    expect(error).toBeInstanceOf(TlsHandshakeError);
    expect(error).toMatchObject({ code: "TLS_HANDSHAKE", kind: "unknown-ca", endpointId: "test-ff-img" });
    expect((error as Error).message).toMatch(/not signed by the registry's tls.ca.*pulumi stack output endpointRegistry/);
    expect(ms).toBeLessThan(FAST_MS);
    expect(ms).toBeLessThan(DEFAULT_ACQUIRE_TIMEOUT_MS / 6);
  });

  it("names every endpoint when all of them fail their handshake, and says the cause once", async () => {
    const registry = testRegistry([withImage]);
    registry.endpoints.push({ ...withImage.endpoint(), id: "test-ff-img-too" });
    registry.tls.ca = (await issueTestTls()).ca.certPem;
    const pool = await open({ registry, poolId: "ff-wrong-ca-all", profiles: { default: { image: BUSYBOX_IMAGE } } });
    const { error, ms } = await timed(pool.acquire());
    expect(error).toBeInstanceOf(TlsHandshakeError);
    expect((error as TlsHandshakeError).endpointId).toBe("test-ff-img,test-ff-img-too");
    expect((error as Error).message.match(/not signed by the registry's tls.ca/g)).toHaveLength(1);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it("still hands out a sandbox when one endpoint fails its handshake and another is fine", async () => {
    const registry = testRegistry([withImage]);
    // The same daemon under a name its certificate does not cover: a wrong-name endpoint next to a good one.
    registry.endpoints.unshift({ ...withImage.endpoint(), id: "test-ff-wrong-name", serverName: "not-in-the-cert.example" });
    const pool = await open({ registry, poolId: "ff-one-bad-tls", profiles: { default: { image: BUSYBOX_IMAGE } } });
    expect(pool.status().byEndpoint["test-ff-wrong-name"]!.state).toBe("unresponsive");
    const { value: sandbox, error, ms } = await timed(pool.acquire());
    expect(error).toBeUndefined();
    expect(sandbox!.endpointId).toBe("test-ff-img");
    expect((await sandbox!.exec(["echo", "ok"])).stdout).toBe("ok\n");
    await sandbox!.release();
    expect(ms).toBeLessThan(FAST_MS * 2);
  });

  it("rejects with ImageNotFoundError naming the image, the endpoints and how to get it there", async () => {
    const registry = testRegistry(daemons);
    const image = "sandfleet-test/nowhere:1";
    const pool = await open({ registry, poolId: "ff-no-image", profiles: { default: { image } } });
    const { error, ms } = await timed(pool.acquire());
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect(error).toMatchObject({ code: "IMAGE_NOT_FOUND", image });
    expect([...(error as ImageNotFoundError).endpointIds].sort()).toEqual(["test-ff-img", "test-ff-noimg"]);
    const message = (error as Error).message;
    expect(message).toContain(`"${image}"`);
    expect(message).toMatch(/sandfleet:docker\.prePullImages/);
    expect(message).toMatch(/docker load/);
    expect(ms).toBeLessThan(FAST_MS);
    // The endpoints are healthy: only this profile is affected (no circuit breaker opened for everyone).
    const byEndpoint = Object.values(pool.status().byEndpoint);
    expect(byEndpoint.map((e) => [e.state, e.createFailures, e.missingImages])).toEqual([
      ["ready", 0, { default: image }],
      ["ready", 0, { default: image }],
    ]);
  });

  it("waits when the endpoint lacking the image is not the only candidate: the other may come back, and the timeout says both", async () => {
    const registry = testRegistry([withoutImage, withImage]);
    const pool = await open({ registry, poolId: "ff-image-or-frozen", minIdle: 0, healthIntervalMs: 1_000, healthTimeoutMs: 500, profiles: { default: { image: BUSYBOX_IMAGE } } });
    withImage.freeze(); // a frozen host may thaw: not a failure that rules it out
    try {
      await pool.checkHealth();
      const { error, ms } = await timed(pool.acquire({ timeoutMs: 2_000 }));
      expect(error).toBeInstanceOf(AcquireTimeoutError);
      expect(ms).toBeGreaterThanOrEqual(1_900);
      const message = (error as Error).message;
      expect(message).toMatch(/the last create failed \(image "sandfleet-test\/busybox:latest" is not on endpoint\(s\) test-ff-noimg/);
      expect(message).toMatch(/test-ff-noimg: lacks image/);
      expect(message).toMatch(/test-ff-img: unresponsive/);
      expect(message).not.toMatch(/raise timeoutMs/);
      expect((error as AcquireTimeoutError).cause).toBeInstanceOf(ImageNotFoundError);
    } finally {
      withImage.thaw();
    }
  });

  it("places on the endpoint that has the image when another lacks it", async () => {
    const registry = testRegistry([withoutImage, withImage]);
    const pool = await open({ registry, poolId: "ff-one-has-image", profiles: { default: { image: BUSYBOX_IMAGE } } });
    const sandboxes = [];
    for (let i = 0; i < 3; i++) sandboxes.push(await pool.acquire({ timeoutMs: 15_000 }));
    expect(sandboxes.map((s) => s.endpointId)).toEqual(["test-ff-img", "test-ff-img", "test-ff-img"]);
    await Promise.all(sandboxes.map((s) => s.release()));
  });
});
