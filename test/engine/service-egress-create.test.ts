/**
 * POST /v1/sandboxes with `egress`, over real HTTPS against a real dockerd (gVisor): the request's policy must lie
 * within its profile's, by the one rule of PUT .../egress (runtime/sandbox/egress.ts). These engines run no egress
 * proxy, so what is checked here is the API's side: a wider or malformed policy is refused before any sandbox is
 * taken, and a narrowing one of a profile without egress is served. Traffic under a request's policy is proven in
 * test/e2e/egress.test.ts (Squid on the local fleet's hosts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxApiClient, SandboxApiError } from "../../runtime/index";
import { dockerdSupport, startTestDaemons, TestDaemon } from "../support/dockerd";
import { BUSYBOX_IMAGE, ensureBusyboxImage } from "../support/images";
import { ServiceProcess, startServiceProcess } from "../support/service";

const support = dockerdSupport();

describe.skipIf(!support.ok)("a sandbox's own egress policy at creation, through the service", () => {
  let daemons: TestDaemon[] = [];
  let service: ServiceProcess;
  let api: SandboxApiClient;
  const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (err: unknown) => err as SandboxApiError);

  beforeAll(async () => {
    daemons = await startTestDaemons(["eg"]);
    for (const d of daemons) ensureBusyboxImage(`unix://${d.socketPath}`);
    service = await startServiceProcess(daemons, {
      config: {
        pool: {
          poolId: "svc-egress",
          minIdle: 0,
          defaultProfile: "default",
          profiles: {
            default: { image: BUSYBOX_IMAGE, runtime: "runsc" },
            agent: { image: BUSYBOX_IMAGE, runtime: "runsc", egress: { mode: "allowlist", hosts: ["api.example.com"], ports: [443] } },
          },
        },
      },
    });
    api = new SandboxApiClient({ url: service.url, key: service.key, ca: service.ca });
  });

  afterAll(async () => {
    api?.close();
    if (service) {
      expect(await service.stop()).toBe(0);
      service.cleanup();
    }
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it("refuses a policy wider than the profile's with 403 EGRESS_WIDENED, naming the entry, the rule and the fix", async () => {
    const host = await refusal(api.createSandbox({ profile: "agent", egress: { mode: "allowlist", hosts: ["evil.example"], ports: [443] } }));
    expect(host).toBeInstanceOf(SandboxApiError);
    expect(host).toMatchObject({ status: 403, code: "EGRESS_WIDENED" });
    expect(host!.message).toMatch(/host "evil.example" is not allowed by the profile's egress policy .*may only narrow it/);
    const port = await refusal(api.createSandbox({ profile: "agent", egress: { mode: "allowlist", hosts: ["api.example.com"], ports: [80] } }));
    expect(port).toMatchObject({ status: 403, code: "EGRESS_WIDENED" });
    const offline = await refusal(api.createSandbox({ egress: { mode: "internet" } }));
    expect(offline).toMatchObject({ status: 403, code: "EGRESS_WIDENED" });
    expect(offline!.message).toMatch(/mode "internet".*mode "none"/);
    // Nothing was taken for them.
    expect((await api.listSandboxes()).sandboxes).toEqual([]);
  });

  it("refuses a malformed policy with 400, naming the field", async () => {
    const bad = await refusal(api.createSandbox({ profile: "agent", egress: { mode: "allowlist", hosts: ["Not A Host"] } }));
    expect(bad).toMatchObject({ status: 400 });
    expect(bad!.message).toMatch(/egress\.hosts\.0/);
  });

  it("serves a request whose policy is within the profile's, and reports it", async () => {
    const sandbox = await api.createSandbox({ egress: { mode: "none" } });
    try {
      expect((await api.getEgress(sandbox.id)).policy.mode).toBe("none");
      expect((await api.exec(sandbox.id, { argv: ["echo", "ok"] })).stdout).toBe("ok\n");
    } finally {
      await api.releaseSandbox(sandbox.id);
    }
  });
});
