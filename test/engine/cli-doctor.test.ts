/**
 * `sandfleet doctor` and `sandfleet status`, run as the real bin against real daemons: two healthy ones, a
 * frozen one (SIGSTOP) and an address where nothing listens.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EndpointClient } from "../../runtime/docker/endpoint-client";
import { poolLabels } from "../../runtime/pool/labels";
import { parseSandboxProfile } from "../../runtime/sandbox/profile";
import { SandboxSession } from "../../runtime/sandbox/sandbox-session";
import { dockerdSupport, freePort, startTestDaemons, TestDaemon, testRegistry } from "../support/dockerd";
import { ensureBusyboxImage } from "../support/images";

const support = dockerdSupport();
const run = promisify(execFile);
const BIN = join(__dirname, "../../bin/sandfleet.js");

async function sandfleet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe.skipIf(!support.ok)("sandfleet doctor and status", () => {
  let daemons: TestDaemon[];
  let dir: string;
  let healthyFile: string;
  let mixedFile: string;
  let session: SandboxSession | undefined;
  let client: EndpointClient | undefined;

  beforeAll(async () => {
    daemons = await startTestDaemons(["doc-a", "doc-b", "doc-frozen"], { defaultRuntime: "runsc" });
    for (const d of daemons) ensureBusyboxImage(`unix://${d.socketPath}`);
    dir = mkdtempSync(join(tmpdir(), "sf-cli-"));
    const healthy = testRegistry(daemons.slice(0, 2), [{ maxContainers: 3 }, { maxContainers: 3 }]);
    healthyFile = join(dir, "healthy.json");
    writeFileSync(healthyFile, JSON.stringify(healthy));
    const mixed = testRegistry(daemons);
    const closedPort = await freePort();
    mixed.endpoints.push({ ...daemons[0]!.endpoint(), id: "test-nothing-listens", port: closedPort });
    mixedFile = join(dir, "mixed.json");
    writeFileSync(mixedFile, JSON.stringify(mixed));
    // A pool's container on doc-a, for `status`.
    client = EndpointClient.remote(healthy.endpoints[0]!, healthy.tls);
    session = await SandboxSession.start(
      client,
      parseSandboxProfile({ image: "sandfleet-test/busybox:latest" }),
      poolLabels("cli-test-pool", "default", healthy.endpoints[0]!.id),
      { name: "sf-cli-test-pool-1" },
    );
  });

  afterAll(async () => {
    daemons?.[2]?.thaw();
    await session?.destroy();
    client?.close();
    await Promise.all((daemons ?? []).map((d) => d.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("passes every check on healthy endpoints and exits 0", async () => {
    const result = await sandfleet(["doctor", "--registry", healthyFile]);
    expect(result.stdout).toMatch(/test-doc-a .*4\.4\.0 runsc .*READY/);
    expect(result.stdout).toMatch(/test-doc-b .*4\.4\.0 runsc .*READY/);
    expect(result.stdout).toContain("all 2 endpoint(s) ready");
    expect(result.stdout).toMatch(/1\/3 used/);
    expect(result.stderr).toContain("checking 2 endpoint(s)");
    expect(result.code).toBe(0);
  });

  it("fails a frozen endpoint and a closed port within the deadline and exits 1", async () => {
    daemons[2]!.freeze();
    try {
      const started = Date.now();
      const result = await sandfleet(["doctor", "--registry", mixedFile, "--timeout", "2000", "--json"]);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as { endpoints: Array<{ id: string; verdict: string; checks: Array<{ name: string; status: string; detail?: string }> }> };
      const byId = Object.fromEntries(report.endpoints.map((e) => [e.id, e]));
      expect(byId["test-doc-a"]!.verdict).toBe("ready");
      expect(byId["test-doc-b"]!.verdict).toBe("ready");
      expect(byId["test-doc-frozen"]!.verdict).toBe("failing");
      const frozenTls = byId["test-doc-frozen"]!.checks.find((c) => c.name === "tls")!;
      expect(frozenTls).toMatchObject({ status: "fail" });
      expect(frozenTls.detail).toMatch(/nothing answers/);
      const closedTcp = byId["test-nothing-listens"]!.checks.find((c) => c.name === "tcp")!;
      expect(closedTcp).toMatchObject({ status: "fail" });
      expect(closedTcp.detail).toMatch(/not listening/);
    } finally {
      daemons[2]!.thaw();
    }
  });

  it("names the fix for a registry whose CA is wrong", async () => {
    const { issueTestTls } = await import("../support/dockerd");
    const wrong = testRegistry(daemons.slice(0, 1));
    wrong.tls.ca = (await issueTestTls()).ca.certPem;
    const file = join(dir, "wrong-ca.json");
    writeFileSync(file, JSON.stringify(wrong));
    const result = await sandfleet(["doctor", "--registry", file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL unknown CA/);
    expect(result.stdout).toContain("not signed by the registry's tls.ca");
  });

  it("shows the pool's containers per endpoint", async () => {
    const table = await sandfleet(["status", "--registry", healthyFile]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/test-doc-a .* yes .* 1 .* 0 .* 2 .* cli-test-pool\/default/);
    expect(table.stdout).toContain("sf-cli-test-pool-1");
    const json = await sandfleet(["status", "--registry", healthyFile, "--json"]);
    const parsed = JSON.parse(json.stdout) as { endpoints: Array<{ id: string; containers: Array<{ name: string; state: string }> }> };
    expect(parsed.endpoints.find((e) => e.id === "test-doc-a")!.containers).toEqual([
      expect.objectContaining({ name: "sf-cli-test-pool-1", state: "running" }),
    ]);
    expect(parsed.endpoints.find((e) => e.id === "test-doc-b")!.containers).toEqual([]);
  });

  it("explains a missing or invalid registry", async () => {
    const missing = await sandfleet(["doctor"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("pulumi stack output endpointRegistry");
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ version: 99 }));
    const invalid = await sandfleet(["status", "--registry", bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/version 99 is not supported/);
  });
});
