import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registryDeliveryCommands } from "../../../components/registry/registry-delivery";

const pem = (block: string, body: string) => `-----BEGIN ${block}-----\n${body}\n-----END ${block}-----\n`;
const root = mkdtempSync(join(tmpdir(), "sandfleet-delivery-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = (command: string, stdin: string) => execFileSync("sh", ["-c", command], { input: stdin });
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("the registry delivery commands, run by a real shell", () => {
  it("write the registry file whole and readable by its owner only", () => {
    const path = join(root, "etc", "registry.json");
    run(registryDeliveryCommands.writeRegistry("", path), '{"version":1}\n');
    run(registryDeliveryCommands.writeRegistry("", path), '{"version":1,"stack":"again"}\n');
    expect(readFileSync(path, "utf8")).toBe('{"version":1,"stack":"again"}\n');
    expect(mode(path)).toBe("400");
  });

  it("split the client bundle into CA, cert and key with the key readable by its owner only", () => {
    const dir = join(root, "client");
    const bundle = pem("CERTIFICATE", "CA") + pem("CERTIFICATE", "CLIENT") + pem("PRIVATE KEY", "KEY");
    run(registryDeliveryCommands.writeClientTls("", dir), bundle);
    expect(readFileSync(join(dir, "ca.pem"), "utf8")).toBe(pem("CERTIFICATE", "CA"));
    expect(readFileSync(join(dir, "cert.pem"), "utf8")).toBe(pem("CERTIFICATE", "CLIENT"));
    expect(readFileSync(join(dir, "key.pem"), "utf8")).toBe(pem("PRIVATE KEY", "KEY"));
    expect([mode(join(dir, "ca.pem")), mode(join(dir, "cert.pem")), mode(join(dir, "key.pem"))]).toEqual(["444", "444", "400"]);
  });

  it("keep key material out of the command line", () => {
    expect(registryDeliveryCommands.writeClientTls("sudo ")).not.toContain("PRIVATE KEY");
    expect(registryDeliveryCommands.writeRegistry("sudo ")).toMatch(/^sudo install -d -m 0750 \/etc\/sandfleet && sudo sh -c/);
  });
});
