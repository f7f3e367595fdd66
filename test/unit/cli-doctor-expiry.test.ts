/**
 * The expiry judgement of `sandfleet doctor` (cli/doctor/endpoint-checks.ts `checkExpiry`) at the edges the
 * engine test (test/engine/cli-doctor.test.ts) cannot reach with a live daemon: an expired client cert (the
 * daemon refuses the handshake, but the operator must still be told which leaf and when) and the window's edge.
 */
import { X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { checkExpiry } from "../../cli/doctor/endpoint-checks";
import { issueDockerTls } from "../../components/tls/local-issuer";

const DAY = 86_400_000;

describe("doctor's certificate expiry check", () => {
  let clientPem: string;
  let clientNotAfter: Date;
  beforeAll(async () => {
    const tls = await issueDockerTls({ stack: "test", servers: [], validityHours: 90 * 24 });
    clientPem = tls.client.certPem;
    clientNotAfter = new Date(new X509Certificate(clientPem).validTo);
  });

  it("is ok outside the window, with the days left of both leaves", () => {
    const now = new Date(clientNotAfter.getTime() - 31 * DAY);
    const check = checkExpiry(new Date(now.getTime() + 200 * DAY), clientPem, 30, now);
    expect(check).toMatchObject({ name: "expiry", status: "ok", summary: "server 200d, client 31d" });
  });

  it("warns as soon as one leaf has fewer days left than the window, naming it, its end date and the fix", () => {
    const now = new Date(clientNotAfter.getTime() - 29.5 * DAY);
    const check = checkExpiry(new Date(now.getTime() + 200 * DAY), clientPem, 30, now);
    expect(check.status).toBe("warn");
    expect(check.summary).toBe("server 200d, client 29d");
    expect(check.detail).toContain(`client cert expires ${clientNotAfter.toISOString()} (29 days)`);
    expect(check.detail).toMatch(/inside the 30-day renewal window; run pulumi up/);
  });

  it("fails when a leaf has expired, and says the daemon refuses it", () => {
    const now = new Date(clientNotAfter.getTime() + DAY);
    const check = checkExpiry(new Date(now.getTime() + 10 * DAY), clientPem, 30, now);
    expect(check).toMatchObject({ status: "fail", summary: "server 10d, client expired" });
    expect(check.detail).toContain(`client cert expired ${clientNotAfter.toISOString()} (1 days ago)`);
    expect(check.detail).toMatch(/the daemon refuses an expired client cert.*run pulumi up/);
  });
});
