import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { costCommand } from "../../../cli/cost";
import { readStackFile } from "../../../cost";

const repoRoot = join(__dirname, "..", "..", "..");
const dir = mkdtempSync(join(tmpdir(), "sandfleet-cost-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stackFile(name: string, config: Record<string, unknown>): string {
  const file = join(dir, `Pulumi.${name}.yaml`);
  writeFileSync(file, stringify({ config }));
  return file;
}

const smallStack = {
  "sandfleet:provider": "hetzner",
  "sandfleet:location": "nbg1",
  "sandfleet:adminCidrs": ["198.51.100.0/24"],
  "sandfleet:platform": { serverType: "cx23", volumeGb: 0, floatingIp: false },
  "sandfleet:pools": { standard: { count: 1, serverType: "cx33", maxContainers: 12 } },
};

async function run(argv: string[]) {
  let out = "";
  let err = "";
  const code = await costCommand.run(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe("sandfleet cost", () => {
  it("prints a table per pool with the total and the cost per slot", async () => {
    const { code, out } = await run([stackFile("small", smallStack)]);
    expect(code).toBe(0);
    const total = 5.49 + 0.5 + 8.49 + 0.5;
    expect(out).toMatch(new RegExp(`^total\\s+2\\s+12\\s+${total.toFixed(2)} EUR\\s+${(total / 12).toFixed(2)} EUR$`, "m"));
    expect(out).toMatch(/^pool standard\s+hetzner\s+1\s+12\s+8\.99 EUR\s+0\.75 EUR$/m);
    expect(out).toContain("checked 2026-12");
    expect(out).toContain("nothing deployed");
  });

  it("prints the estimate as JSON with --json, money in cents", async () => {
    const { code, out } = await run([stackFile("small", smallStack), "--json"]);
    expect(code).toBe(0);
    const estimate = JSON.parse(out);
    expect(estimate.stack).toBe("small");
    expect(estimate.monthly.EUR).toBe(14.98);
    expect(estimate.slots).toBe(12);
    expect(estimate.lines.map((l: { name: string }) => l.name)).toEqual(["platform", "standard"]);
  });

  it("names the setting and the fix when a server type has no price, and accepts --price", async () => {
    const file = stackFile("unknown", { ...smallStack, "sandfleet:pools": { standard: { count: 1, serverType: "ccx23", maxContainers: 12 } } });
    const failed = await run([file]);
    expect(failed.code).toBe(1);
    expect(failed.err).toContain('sandfleet:pools.standard.serverType: no price for hetzner server type "ccx23"');
    const priced = await run([file, "--price", "hetzner:ccx23=4.99", "--json"]);
    expect(priced.code).toBe(0);
    expect(JSON.parse(priced.out).monthly.EUR).toBe(Math.round((5.49 + 0.5 + 4.99 + 0.5) * 100) / 100);
  });

  it("reports an invalid stack config with the config's own message", async () => {
    const { code, err } = await run([stackFile("bad", { ...smallStack, "sandfleet:adminCidrs": ["0.0.0.0/0"] })]);
    expect(code).toBe(1);
    expect(err).toContain("sandfleet:adminCidrs");
  });

  it("reports a missing file and a file that is not a stack file", async () => {
    expect((await run([join(dir, "Pulumi.none.yaml")])).err).toContain("cannot read it");
    const notStack = join(dir, "settings.yaml");
    writeFileSync(notStack, "a: 1\n");
    expect((await run([notStack])).err).toContain("not a stack file");
  });

  it("rejects bad usage with exit code 2 and the usage text", async () => {
    for (const argv of [[], ["--bogus", "x.yaml"], ["a.yaml", "--price", "cx33"]]) {
      const { code, err } = await run(argv);
      expect(code, argv.join(" ")).toBe(2);
      expect(err).toContain("usage: sandfleet cost");
    }
  });

  it("leaves encrypted values out instead of failing on them", () => {
    const file = stackFile("secret", {
      ...smallStack,
      "hcloud:token": { secure: "v1:abc" },
      "sandfleet:deployPrivateKey": { secure: "v1:def" },
      "sandfleet:deployPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl deploy",
    });
    expect(readStackFile(file).deployKey).toBeUndefined();
  });
});

describe("the shipped stack files", () => {
  it.each(["Pulumi.dev.yaml", "Pulumi.prod.yaml"])("%s can be priced, with one slot per maxContainers of every server", async (name) => {
    const file = join(repoRoot, name);
    const { code, out } = await run([file, "--json"]);
    expect(code).toBe(0);
    const pools = parse(readFileSync(file, "utf8")).config["sandfleet:pools"] as Record<string, { count: number; maxContainers: number; draining?: boolean }>;
    const slots = Object.values(pools).reduce((n, p) => n + (p.draining ? 0 : p.count * p.maxContainers), 0);
    const estimate = JSON.parse(out);
    expect(estimate.slots).toBe(slots);
    expect(estimate.monthly.EUR).toBeGreaterThan(0);
  });
});
