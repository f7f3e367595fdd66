/**
 * `sandfleet doctor` and `sandfleet status`, run as the real bin against real daemons: two healthy ones, a
 * frozen one (SIGSTOP), an address where nothing listens, and one whose certificates expire in 10 days.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueDockerTls } from "../../components/tls/local-issuer";
import { runDoctor } from "../../local/doctor";
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

/** The CLI with stdout and stderr on one pipe (`2>&1`), as a terminal or a CI log shows them. */
async function sandfleetCombined(args: string[]): Promise<string> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const result = await run("sh", ["-c", `${quoted} 2>&1`], { timeout: 60_000 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? "" }));
  return result.stdout;
}

describe.skipIf(!support.ok)("sandfleet doctor and status", () => {
  let daemons: TestDaemon[];
  let expiring: TestDaemon[] = [];
  let expiringFile: string;
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
    // Leaves (server and client) issued for 10 days: inside the default 30-day renewal window.
    const shortLived = await issueDockerTls({ stack: "test", servers: [{ serverName: "test-dockerd", privateIp: "127.0.0.1" }], validityHours: 240 });
    expiring = await startTestDaemons(["doc-expiring"], { defaultRuntime: "runsc", tls: shortLived });
    ensureBusyboxImage(`unix://${expiring[0]!.socketPath}`);
    expiringFile = join(dir, "expiring.json");
    writeFileSync(expiringFile, JSON.stringify(testRegistry(expiring)));
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
    await Promise.all([...(daemons ?? []), ...expiring].map((d) => d.stop()));
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

  it("shows each endpoint's server and client certificate expiry, and warns inside the renewal window", async () => {
    const healthy = await sandfleet(["doctor", "--registry", healthyFile]);
    expect(healthy.stdout).toMatch(/EXPIRY/);
    // issueTestTls leaves live 8760 h: 364 days left, outside the window.
    expect(healthy.stdout).toMatch(/test-doc-a .*ok\s+server 364d, client 364d\s+20\.10/);

    const result = await sandfleet(["doctor", "--registry", expiringFile]);
    // Inside the window is a warning, not a failure: the endpoint works today. Exit code 0, as documented.
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/test-doc-expiring .*WARN server 9d, client 9d .*READY \(warnings\)/);
    expect(result.stdout).toMatch(/test-doc-expiring expiry: server cert expires 20\d\d-\d\d-\d\dT[^ ]+ \(9 days\), client cert expires 20\d\d-\d\d-\d\dT[^ ]+ \(9 days\): inside the 30-day renewal window; run pulumi up/);

    const json = JSON.parse((await sandfleet(["doctor", "--registry", expiringFile, "--json"])).stdout) as { endpoints: Array<{ checks: Array<{ name: string; status: string }> }> };
    expect(json.endpoints[0]!.checks.find((c) => c.name === "expiry")).toMatchObject({ status: "warn" });

    // A narrower window: 9 days left is no longer a warning.
    const narrow = await sandfleet(["doctor", "--registry", expiringFile, "--renew-within", "5"]);
    expect(narrow.code).toBe(0);
    expect(narrow.stdout).toMatch(/test-doc-expiring .*ok\s+server 9d, client 9d .*READY\s*$/m);

    const bad = await sandfleet(["doctor", "--registry", expiringFile, "--renew-within", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--renew-within: .*whole number of days/);
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
    // TCP ok, TLS failed, and the cert is not called "ok": a cert the registry's CA did not sign is valid for nothing.
    expect(result.stdout).toMatch(/test-doc-a\s+127\.0\.0\.1:\d+\s+ok\s+FAIL unknown CA\s+-\s+-/);
    expect(result.stdout).toContain("not signed by the registry's tls.ca");
    const json = await sandfleet(["doctor", "--registry", file, "--json"]);
    const cert = (JSON.parse(json.stdout) as { endpoints: Array<{ checks: Array<{ name: string; status: string }> }> }).endpoints[0]!.checks.find((c) => c.name === "cert");
    expect(cert?.status).not.toBe("ok");

    // status: not "unreachable with no reason", but the TLS failure and its fix.
    const status = await sandfleet(["status", "--registry", file]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/test-doc-a\s+127\.0\.0\.1:\d+\s+NO: TLS unknown-ca/);
    expect(status.stdout).toMatch(/problems and fixes[^\n]*\n\s+endpoint test-doc-a: TLS handshake failed \(unknown-ca\).*not signed by the registry's tls\.ca/);
    const statusJson = JSON.parse((await sandfleet(["status", "--registry", file, "--json"])).stdout) as { endpoints: Array<{ errorCode?: string; problem?: string }> };
    expect(statusJson.endpoints[0]).toMatchObject({ errorCode: "TLS_HANDSHAKE", problem: "TLS unknown-ca" });
  });

  it("prints doctor's progress lines before its table, on a terminal-like combined stream and in npm start's capture", async () => {
    const combined = await sandfleetCombined(["doctor", "--registry", healthyFile]);
    const progressAt = combined.indexOf("checking 2 endpoint(s)");
    const lastProgressAt = Math.max(combined.indexOf("  test-doc-a: READY"), combined.indexOf("  test-doc-b: READY"));
    const tableAt = combined.indexOf("ENDPOINT ");
    expect(progressAt).toBeGreaterThanOrEqual(0);
    expect(lastProgressAt).toBeGreaterThan(progressAt);
    expect(tableAt).toBeGreaterThan(lastProgressAt);
    // npm start runs the same command in-process (local/doctor.ts) and prints what it captured.
    const captured = await runDoctor(healthyFile);
    expect(captured.exitCode).toBe(0);
    expect(captured.output.indexOf("checking 2 endpoint(s)")).toBe(0);
    expect(captured.output.indexOf("ENDPOINT ")).toBeGreaterThan(captured.output.indexOf("test-doc-b: READY"));
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
