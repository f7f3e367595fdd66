/**
 * The checks `sandfleet doctor` runs against one endpoint, in dependency order: a failed TCP or TLS check
 * skips the rest (they could only fail for the same reason). Every failure carries the fix.
 */
import { randomBytes, X509Certificate } from "node:crypto";
import { Socket } from "node:net";
import { EndpointClient } from "../../runtime/docker/endpoint-client";
import { classifyTlsFailure, tlsFailureAdvice } from "../../runtime/docker/tls-failure";
import { verifiedServerName } from "../../runtime/docker/tls-options";
import { POOL_LABELS } from "../../runtime/pool/labels";
import type { Endpoint, RegistryTls } from "../../runtime/registry/schema";
import { parseSandboxProfile } from "../../runtime/sandbox/profile";
import { SandboxSession } from "../../runtime/sandbox/sandbox-session";
import { probeTls } from "./tls-probe";
import { DEFAULT_RENEW_WITHIN_DAYS } from "../../components/tls/renewal";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";
export const CHECK_NAMES = ["tcp", "tls", "cert", "expiry", "api", "runtime", "gvisor", "capacity"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  name: CheckName;
  status: CheckStatus;
  /** Short value for the table cell. */
  summary: string;
  /** What was seen and, when not ok, what to change. */
  detail?: string;
}

export type Verdict = "ready" | "warnings" | "failing";

export interface EndpointReport {
  id: string;
  address: string;
  verdict: Verdict;
  checks: CheckResult[];
}

export interface DoctorOptions {
  /** Deadline of each network step, in ms. @default 5_000 */
  timeoutMs: number;
  /** Image for the gVisor check; when unset, a busybox image on the endpoint, else its first tagged image. */
  image?: string;
  /**
   * A leaf expiring within this many days is a warning. @default DEFAULT_RENEW_WITHIN_DAYS, the window
   * `pulumi up` renews leaves in by default (stack config `tls.renewWithinDays`)
   */
  renewWithinDays?: number;
}



/** Label on the throwaway container of the gVisor check, so nobody mistakes it for a pool's. */
export const DOCTOR_LABEL = "dev.sandfleet.doctor";

export async function checkEndpoint(endpoint: Endpoint, tls: RegistryTls, options: DoctorOptions): Promise<EndpointReport> {
  const checks: CheckResult[] = [];
  const add = (check: CheckResult) => checks.push(check);
  const skipRest = (reason: string) => {
    for (const name of CHECK_NAMES) if (!checks.some((c) => c.name === name)) add({ name, status: "skip", summary: "-", detail: reason });
  };
  const report = (): EndpointReport => ({
    id: endpoint.id,
    address: `${endpoint.host}:${endpoint.port}`,
    verdict: checks.some((c) => c.status === "fail") ? "failing" : checks.some((c) => c.status === "warn") ? "warnings" : "ready",
    checks,
  });

  const tcp = await checkTcp(endpoint, options.timeoutMs);
  add(tcp);
  if (tcp.status === "fail") return skipRest("TCP failed"), report();

  const probe = await probeTls(endpoint, tls, options.timeoutMs);
  if (probe.caError) {
    // OpenSSL's verdict is a code such as UNABLE_TO_VERIFY_LEAF_SIGNATURE or CERT_HAS_EXPIRED.
    const kind = classifyTlsFailure({ code: probe.caError }) === "expired" ? "expired" : "unknown-ca";
    add({ name: "tls", status: "fail", summary: kind === "expired" ? "expired" : "unknown CA", detail: `${probe.caError}: ${tlsFailureAdvice(kind)}` });
  } else if (!probe.accepted) {
    const kind = probe.failure?.kind ?? "other";
    add({
      name: "tls",
      status: "fail",
      summary: kind === "timeout" ? "no answer" : kind,
      detail:
        kind === "timeout"
          ? `${probe.failure!.message}: TCP connects but nothing answers (dockerd frozen, overloaded, or another service on this port)`
          : `${probe.failure?.message}: ${tlsFailureAdvice(kind)}`,
    });
  } else {
    add({ name: "tls", status: "ok", summary: "ok", detail: "handshake with the client cert accepted" });
  }
  if (probe.nameError) {
    add({
      name: "cert",
      status: "fail",
      summary: "wrong name",
      detail: `${probe.nameError} (cert covers ${probe.subjectAltName ?? "nothing"}): ${tlsFailureAdvice("wrong-name")}`,
    });
  } else if (probe.caError) {
    // A cert our CA did not sign (or an expired one) is not valid for anything, whatever names it lists.
    add({ name: "cert", status: "skip", summary: "-", detail: `not judged: the server cert is not trusted (${probe.caError}), see tls` });
  } else if (probe.subjectAltName !== undefined || probe.accepted) {
    add({ name: "cert", status: "ok", summary: "ok", detail: `valid for ${verifiedServerName(endpoint)}` });
  }
  // An untrusted cert's dates mean nothing (the tls check already says why); a trusted one's are judged.
  if (!probe.caError && probe.serverNotAfter) add(checkExpiry(probe.serverNotAfter, tls.clientCert, options.renewWithinDays ?? DEFAULT_RENEW_WITHIN_DAYS));
  if (checks.some((c) => c.status === "fail")) return skipRest("TLS failed"), report();

  const client = EndpointClient.remote(endpoint, tls, { callTimeoutMs: options.timeoutMs, maxSockets: 4 });
  try {
    const version = await client.version();
    add({ name: "api", status: "ok", summary: `${version.Version} (API ${version.ApiVersion})` });
    const info = await client.info();
    add(checkRuntime(endpoint, info.DefaultRuntime, Object.keys(info.Runtimes ?? {})));
    add(await checkCapacity(client, endpoint));
    if (checks.some((c) => c.name === "runtime" && c.status === "fail")) {
      add({ name: "gvisor", status: "skip", summary: "-", detail: "runtime missing" });
    } else {
      add(await checkGvisor(client, endpoint, options));
    }
  } catch (err) {
    add({ name: "api", status: "fail", summary: "error", detail: (err as Error).message });
    skipRest("API failed");
  } finally {
    client.close();
  }
  return report();
}

function checkTcp(endpoint: Endpoint, timeoutMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (result: CheckResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () =>
        done({
          name: "tcp",
          status: "fail",
          summary: "timeout",
          detail: `no TCP answer within ${timeoutMs} ms: check the firewall (port ${endpoint.port} must be open to the platform server) and that the host is up`,
        }),
      timeoutMs,
    );
    socket.once("connect", () => done({ name: "tcp", status: "ok", summary: "ok" }));
    socket.once("error", (err: NodeJS.ErrnoException) =>
      done({
        name: "tcp",
        status: "fail",
        summary: err.code ?? "error",
        detail: `${err.message}: dockerd is not listening on ${endpoint.host}:${endpoint.port}; check that it runs with -H tcp://0.0.0.0:${endpoint.port} --tlsverify (systemctl status docker)`,
      }),
    );
    socket.connect(endpoint.port, endpoint.host);
  });
}

const DAY_MS = 86_400_000;

/**
 * Expiry of both leaves an endpoint's connection depends on: the server cert the daemon presented and the
 * registry's client cert (the same for every endpoint; an expired one is refused by every daemon).
 */
export function checkExpiry(serverNotAfter: Date, clientCertPem: string, renewWithinDays: number, now = new Date()): CheckResult {
  const leaves = [
    { role: "server", notAfter: serverNotAfter },
    { role: "client", notAfter: new Date(new X509Certificate(clientCertPem).validTo) },
  ];
  const daysLeft = (notAfter: Date) => Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
  const summary = leaves.map((l) => `${l.role} ${l.notAfter <= now ? "expired" : `${daysLeft(l.notAfter)}d`}`).join(", ");
  const seen = leaves
    .map((l) => `${l.role} cert ${l.notAfter <= now ? `expired ${l.notAfter.toISOString()} (${-daysLeft(l.notAfter)} days ago)` : `expires ${l.notAfter.toISOString()} (${daysLeft(l.notAfter)} days)`}`)
    .join(", ");
  const fix = "run pulumi up: it re-issues every leaf inside the renewal window (docs/operations.md, Certificates); or bump sandfleet:tls.epoch to re-issue them all now";
  if (leaves.some((l) => l.notAfter <= now)) {
    return { name: "expiry", status: "fail", summary, detail: `${seen}: the daemon refuses an expired client cert and the pool an expired server cert; ${fix}` };
  }
  if (leaves.some((l) => daysLeft(l.notAfter) < renewWithinDays)) {
    return { name: "expiry", status: "warn", summary, detail: `${seen}: inside the ${renewWithinDays}-day renewal window; ${fix}` };
  }
  return { name: "expiry", status: "ok", summary, detail: `${seen}: outside the ${renewWithinDays}-day renewal window` };
}

function checkRuntime(endpoint: Endpoint, defaultRuntime: string | undefined, runtimes: string[]): CheckResult {
  if (!runtimes.includes(endpoint.runtime)) {
    return {
      name: "runtime",
      status: "fail",
      summary: `no ${endpoint.runtime}`,
      detail: `dockerd has no runtime "${endpoint.runtime}" (has ${runtimes.join(", ")}): install gVisor and register runsc under "runtimes" in /etc/docker/daemon.json`,
    };
  }
  if (endpoint.runtime === "runsc" && defaultRuntime !== "runsc") {
    return {
      name: "runtime",
      status: "warn",
      summary: `default ${defaultRuntime}`,
      detail: `default runtime is ${defaultRuntime}: sandfleet asks for runsc explicitly, but containers started by other tools run without gVisor; set "default-runtime": "runsc" in /etc/docker/daemon.json`,
    };
  }
  return { name: "runtime", status: "ok", summary: `default ${defaultRuntime}` };
}

async function checkCapacity(client: EndpointClient, endpoint: Endpoint): Promise<CheckResult> {
  const managed = await client.listContainers({ [POOL_LABELS.managed]: "true" });
  const used = managed.filter((c) => c.State === "running" || c.State === "created").length;
  const free = endpoint.maxContainers - used;
  const summary = `${used}/${endpoint.maxContainers} used`;
  if (free <= 0) {
    return {
      name: "capacity",
      status: "warn",
      summary,
      detail: `no free slot (maxContainers ${endpoint.maxContainers}); add servers or raise maxContainers if the host has room`,
    };
  }
  return { name: "capacity", status: "ok", summary, detail: `${free} free` };
}

async function checkGvisor(client: EndpointClient, endpoint: Endpoint, options: DoctorOptions): Promise<CheckResult> {
  const image = options.image ?? (await pickImage(client));
  if (!image) {
    return { name: "gvisor", status: "fail", summary: "no image", detail: "the endpoint has no image to test with; pass --image NAME of an image present there" };
  }
  let session: SandboxSession | undefined;
  try {
    session = await SandboxSession.start(
      client,
      parseSandboxProfile({ image, runtime: endpoint.runtime }),
      { [DOCTOR_LABEL]: "true" },
      { name: `sf-doctor-${randomBytes(4).toString("hex")}`, timeoutMs: options.timeoutMs * 3 },
    );
    const uname = await session.exec(["uname", "-r"], { timeoutMs: options.timeoutMs });
    const inspected = await client.call("inspect container", (docker, abortSignal) => docker.getContainer(session!.containerId).inspect({ abortSignal }));
    const kernel = uname.stdout.trim();
    const runtime = inspected.HostConfig.Runtime;
    if (endpoint.runtime === "runc") {
      return { name: "gvisor", status: "warn", summary: "runc", detail: `endpoint runtime is runc: sandboxes here are NOT isolated by gVisor (kernel ${kernel})` };
    }
    if (runtime !== "runsc" || kernel !== "4.4.0") {
      return {
        name: "gvisor",
        status: "fail",
        summary: `kernel ${kernel || "?"}`,
        detail: `container ran with runtime ${runtime} and kernel "${kernel}" (gVisor shows 4.4.0): check the runsc entry in /etc/docker/daemon.json`,
      };
    }
    return { name: "gvisor", status: "ok", summary: "4.4.0 runsc", detail: `image ${image}` };
  } catch (err) {
    return { name: "gvisor", status: "fail", summary: "error", detail: `a test container (image ${image}) failed: ${(err as Error).message}` };
  } finally {
    await session?.destroy();
  }
}

async function pickImage(client: EndpointClient): Promise<string | undefined> {
  const images = await client.call("list images", (docker, abortSignal) => docker.listImages({ abortSignal } as object));
  const tags = images.flatMap((i) => i.RepoTags ?? []).filter((t) => t && t !== "<none>:<none>");
  return tags.find((t) => /busybox/.test(t)) ?? tags[0];
}
