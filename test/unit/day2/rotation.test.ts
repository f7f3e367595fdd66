/**
 * Certificate rotation on the whole stack program: `sandfleet:tls.epoch` 1 -> 2 is one `pulumi up` that
 * re-issues the leaf keys and certs, re-runs the post-boot TLS step and changes the registry's client cert,
 * and touches nothing a server's life depends on (servers, volumes, networks, firewalls, IPs).
 * Both runs go through the update model (./support/update-model.ts): unchanged resources keep their state,
 * replaced TLS resources get new material, as in a real update.
 */
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { renewalPeriod, renewalPeriodStart } from "../../../components/tls/renewal";
import { stackFileConfig } from "../stack/support/run-program";
import { runUpdate, type UpdateResource, type UpdateRun } from "./support/update-model";
import { unwrapSecret } from "../../support/secret-inputs";

/** Pulumi's marker of a secret value in what the engine (and the mocks) receive. */

const prodWithEpoch = (epoch: number) => ({
  ...stackFileConfig("Pulumi.prod.yaml"),
  "sandfleet:tls": { validityHours: 2160, epoch },
});

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const byName = (run: UpdateRun) => new Map(run.mocks.resources.map((r) => [r.name, r]));
/** Resources whose lifecycle is the server's own: nothing of these may change when certificates rotate. */
// Certificates are not infrastructure: the Cloudflare Origin CA one (prod's Full (strict)) rotates with the epoch too.
const ORIGIN_CA_CERT = "cloudflare:index/originCaCertificate:OriginCaCertificate";
const isInfrastructure = (r: UpdateResource) => !r.type.startsWith("tls:") && !r.type.startsWith("command:") && r.type !== ORIGIN_CA_CERT;

describe("rotating the Docker TLS certificates by bumping sandfleet:tls.epoch", () => {
  let before: UpdateRun;
  let after: UpdateRun;
  const serverNames = ["ws-standard-1", "ws-standard-2", "ws-standard-3", "ws-standard-4", "ws-burst-1", "ws-burst-2"];
  beforeAll(async () => {
    before = await runUpdate("prod", prodWithEpoch(1));
    after = await runUpdate("prod", prodWithEpoch(2));
  });

  it("registers the same resources in both runs (rotation creates and deletes nothing but replacements)", () => {
    expect([...byName(after).keys()].sort()).toEqual([...byName(before).keys()].sort());
    expect(before.mocks.resources.length).toBeGreaterThan(40);
  });

  it("re-issues every server certificate: new key (replacement trigger), new request (subject OU) and new cert", () => {
    for (const server of serverNames) {
      const prefix = `sandfleet-prod-docker-tls-${server}`;
      const [key0, key1] = [before.mocks.named(`${prefix}-key`), after.mocks.named(`${prefix}-key`)];
      // The key's replacement trigger is the leaf's generation, the same string as its subject OU.
      expect(key0.options.replacementTrigger, server).toBe(before.mocks.named(`${prefix}-csr`).inputs.subject.organizationalUnit);
      expect(key1.options.replacementTrigger, server).toBe(after.mocks.named(`${prefix}-csr`).inputs.subject.organizationalUnit);
      expect(key1.state.privateKeyPemPkcs8).not.toBe(key0.state.privateKeyPemPkcs8);
      expect(before.mocks.named(`${prefix}-csr`).inputs.subject.organizationalUnit).toMatch(/^epoch-1\.renewal-\d+$/);
      expect(after.mocks.named(`${prefix}-csr`).inputs.subject.organizationalUnit).toMatch(/^epoch-2\.renewal-\d+$/);
      const [cert0, cert1] = [before.mocks.named(`${prefix}-cert`), after.mocks.named(`${prefix}-cert`)];
      expect(cert1.inputs.certRequestPem).not.toBe(cert0.inputs.certRequestPem);
      expect(cert1.state.certPem).not.toBe(cert0.state.certPem);
      // Same profile, same CA: only the material is new.
      expect(cert1.inputs.allowedUses).toEqual(cert0.inputs.allowedUses);
      expect(cert1.inputs.caCertPem).toBe(cert0.inputs.caCertPem);
    }
  });

  it("re-issues the pool's client certificate and key", () => {
    const [key0, key1] = [before.mocks.named("sandfleet-prod-docker-tls-client-key"), after.mocks.named("sandfleet-prod-docker-tls-client-key")];
    expect(key0.options.replacementTrigger).toMatch(/^epoch-1\./);
    expect(key1.options.replacementTrigger).toMatch(/^epoch-2\./);
    const [cert0, cert1] = [before.mocks.named("sandfleet-prod-docker-tls-client-cert"), after.mocks.named("sandfleet-prod-docker-tls-client-cert")];
    expect(cert1.state.certPem).not.toBe(cert0.state.certPem);
  });

  it("keeps the CA (key, cert and their inputs), so clients and servers keep trusting each other during the rollout", () => {
    for (const name of ["sandfleet-prod-docker-tls-ca-key", "sandfleet-prod-docker-tls-ca"]) {
      const [r0, r1] = [before.mocks.named(name), after.mocks.named(name)];
      expect(r1.inputs, name).toEqual(r0.inputs);
      expect(r1.options, name).toEqual(r0.options);
      expect(r1.state, name).toEqual(r0.state);
    }
  });

  it("re-runs the post-boot TLS step on every workspace server with the new bundle, same command and connection", () => {
    for (const server of serverNames) {
      const name = `sandfleet-prod-${server}-post-boot-run`;
      const [run0, run1] = [before.mocks.named(name).inputs, after.mocks.named(name).inputs];
      // Triggers hold digests (script, CA, server cert, ...): only the server cert's digest moves.
      const certDigest = (r: UpdateRun) => sha256(r.mocks.named(`sandfleet-prod-docker-tls-${server}-cert`).state.certPem);
      const caDigest = sha256(before.mocks.named("sandfleet-prod-docker-tls-ca").state.certPem);
      expect(run0.triggers).toContain(certDigest(before));
      expect(run1.triggers).toContain(certDigest(after));
      expect(run1.triggers).not.toContain(certDigest(before));
      expect(run1.triggers).toContain(caDigest);
      expect(run1.triggers.filter((t: string) => !run0.triggers.includes(t)), server).toEqual([certDigest(after)]);
      expect(unwrapSecret(run1.stdin)).not.toBe(unwrapSecret(run0.stdin));
      expect(unwrapSecret(run1.stdin)).toContain(after.mocks.named(`sandfleet-prod-docker-tls-${server}-cert`).state.certPem.trim());
      expect(run1.create).toBe(run0.create);
      expect(unwrapSecret(run1.connection)).toEqual(unwrapSecret(run0.connection));
      // The script copy does not re-run: the script is unchanged.
      const copy = `sandfleet-prod-${server}-post-boot-script`;
      expect(after.mocks.named(copy).inputs).toEqual(before.mocks.named(copy).inputs);
    }
  });

  it("changes no input of any server, volume, network, firewall, IP, load balancer or DNS record", () => {
    const infrastructure = before.mocks.resources.filter(isInfrastructure);
    const types = new Set(infrastructure.map((r) => r.type));
    for (const type of ["hcloud:index/server:Server", "hcloud:index/volume:Volume", "hcloud:index/network:Network", "hcloud:index/firewall:Firewall", "hcloud:index/floatingIp:FloatingIp"]) {
      expect(types, type).toContain(type);
    }
    const later = byName(after);
    for (const resource of infrastructure) {
      const same = later.get(resource.name)!;
      expect(same.inputs, resource.name).toEqual(resource.inputs);
      expect(same.options, resource.name).toEqual(resource.options);
    }
  });

  it("re-issues the Cloudflare Origin CA certificate from a new CSR with the new epoch, for the same name", () => {
    const [b, a] = [before, after].map((run) => run.mocks.resources.find((r) => r.type === ORIGIN_CA_CERT)!);
    expect(a!.inputs.csr).not.toEqual(b!.inputs.csr);
    expect(a!.inputs.hostnames).toEqual(b!.inputs.hostnames);
    expect(after.mocks.named("sandfleet-prod-service-origin-csr").inputs.subject.organizationalUnit).toMatch(/^epoch-2\./);
  });

  it("changes the registry's client certificate and key, and nothing else in it", () => {
    expect(after.registry.tls.clientCert).not.toBe(before.registry.tls.clientCert);
    expect(after.registry.tls.clientKey).not.toBe(before.registry.tls.clientKey);
    expect(after.registry.tls.ca).toBe(before.registry.tls.ca);
    expect(after.registry.endpoints).toEqual(before.registry.endpoints);
    expect(after.registry.endpoints).toHaveLength(serverNames.length);
  });

  it("delivers the new registry and client cert to the platform server", () => {
    for (const name of ["sandfleet-prod-registry-registry", "sandfleet-prod-registry-client-tls"]) {
      const [d0, d1] = [before.mocks.named(name).inputs, after.mocks.named(name).inputs];
      expect(d1.triggers, name).not.toEqual(d0.triggers);
      expect(unwrapSecret(d1.stdin)).toContain(after.registry.tls.clientCert.trim().split("\n")[1]);
    }
  });
});

/**
 * Renewal without an epoch bump: the leaves carry the renewal period the clock is in (components/tls/renewal.ts),
 * so a plain `pulumi up` once they are inside the renewal window re-issues them through the same rotation path.
 * Prod: 90-day leaves (2160 h), 30-day window, so a period is 60 days. The dates are picked relative to a
 * period start so the test is the same whatever day it runs.
 */
describe("renewing the leaves on a plain pulumi up once they are inside the renewal window", () => {
  const DAY = 86_400_000;
  const validityHours = 2160;
  const start = renewalPeriodStart(renewalPeriod(new Date("2026-12-01T00:00:00Z"), validityHours, 30) + 1, validityHours, 30);
  const at = async (daysAfterStart: number) => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(start.getTime() + daysAfterStart * DAY));
    try {
      return await runUpdate("prod", prodWithEpoch(1));
    } finally {
      vi.useRealTimers();
    }
  };
  const leaves = ["client", "ws-standard-1", "ws-standard-2", "ws-standard-3", "ws-standard-4", "ws-burst-1", "ws-burst-2"];
  let today: UpdateRun;
  let outsideWindow: UpdateRun;
  let insideWindow: UpdateRun;
  beforeAll(async () => {
    today = await at(1); // issued today: expire on day 91
    outsideWindow = await at(50); // 41 days left
    insideWindow = await at(62); // 29 days left: inside the 30-day window
  });

  it("keeps every leaf, and re-runs nothing, while the leaves are outside the window", () => {
    for (const leaf of leaves) {
      const name = `sandfleet-prod-docker-tls-${leaf}-cert`;
      expect(outsideWindow.mocks.named(name).state.certPem, leaf).toBe(today.mocks.named(name).state.certPem);
    }
    for (const server of leaves.slice(1)) {
      const step = `sandfleet-prod-${server}-post-boot-run`;
      expect(outsideWindow.mocks.named(step).inputs.triggers, server).toEqual(today.mocks.named(step).inputs.triggers);
    }
    expect(outsideWindow.registry.tls).toEqual(today.registry.tls);
  });

  it("re-issues every leaf key and cert (replacements) inside the window, with the same epoch and CA", () => {
    for (const leaf of leaves) {
      const prefix = `sandfleet-prod-docker-tls-${leaf}`;
      const [key0, key1] = [today.mocks.named(`${prefix}-key`), insideWindow.mocks.named(`${prefix}-key`)];
      expect(key1.options.replacementTrigger, leaf).not.toEqual(key0.options.replacementTrigger);
      expect(key1.state.privateKeyPemPkcs8, leaf).not.toBe(key0.state.privateKeyPemPkcs8);
      const [csr0, csr1] = [today.mocks.named(`${prefix}-csr`), insideWindow.mocks.named(`${prefix}-csr`)];
      expect(csr0.inputs.subject.organizationalUnit).toMatch(/^epoch-1\.renewal-\d+$/);
      expect(csr1.inputs.subject.organizationalUnit).not.toBe(csr0.inputs.subject.organizationalUnit);
      expect(insideWindow.mocks.named(`${prefix}-cert`).state.certPem, leaf).not.toBe(today.mocks.named(`${prefix}-cert`).state.certPem);
    }
    expect(insideWindow.mocks.named("sandfleet-prod-docker-tls-ca").state).toEqual(today.mocks.named("sandfleet-prod-docker-tls-ca").state);
  });

  it("renews the sandbox service's HTTPS leaf in the same run (same generation) and re-runs its install, same CA", () => {
    const prefix = "sandfleet-prod-service";
    const [key0, key1] = [today.mocks.named(`${prefix}-key`), insideWindow.mocks.named(`${prefix}-key`)];
    expect(key1.options.replacementTrigger).not.toEqual(key0.options.replacementTrigger);
    expect(key1.state.privateKeyPemPkcs8).not.toBe(key0.state.privateKeyPemPkcs8);
    const ou = (run: UpdateRun, name: string) => run.mocks.named(name).inputs.subject.organizationalUnit;
    for (const run of [today, insideWindow]) {
      expect(ou(run, `${prefix}-csr`)).toBe(ou(run, "sandfleet-prod-docker-tls-client-csr"));
      expect(run.mocks.named(`${prefix}-key`).options.replacementTrigger).toBe(ou(run, `${prefix}-csr`));
    }
    expect(insideWindow.mocks.named(`${prefix}-cert`).state.certPem).not.toBe(today.mocks.named(`${prefix}-cert`).state.certPem);
    expect(insideWindow.mocks.named(`${prefix}-install`).inputs.triggers).not.toEqual(today.mocks.named(`${prefix}-install`).inputs.triggers);
    expect(outsideWindow.mocks.named(`${prefix}-install`).inputs.triggers).toEqual(today.mocks.named(`${prefix}-install`).inputs.triggers);
    expect(insideWindow.mocks.named(`${prefix}-ca`).state).toEqual(today.mocks.named(`${prefix}-ca`).state);
  });

  it("re-runs the post-boot TLS step on every server and delivers the new client cert, touching no infrastructure", () => {
    for (const server of leaves.slice(1)) {
      const step = `sandfleet-prod-${server}-post-boot-run`;
      expect(insideWindow.mocks.named(step).inputs.triggers, server).not.toEqual(today.mocks.named(step).inputs.triggers);
    }
    expect(insideWindow.registry.tls.clientCert).not.toBe(today.registry.tls.clientCert);
    expect(insideWindow.registry.tls.ca).toBe(today.registry.tls.ca);
    const later = byName(insideWindow);
    for (const resource of today.mocks.resources.filter(isInfrastructure)) {
      expect(later.get(resource.name)!.inputs, resource.name).toEqual(resource.inputs);
    }
  });
});
