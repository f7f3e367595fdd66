import { describe, expect, it } from "vitest";
import { sandboxContainerOptions } from "../../../runtime/sandbox/container-spec";
import { parseSandboxProfile } from "../../../runtime/sandbox/profile";

describe("sandbox container spec", () => {
  const spec = sandboxContainerOptions(parseSandboxProfile({ image: "img" }), { "dev.sandfleet.managed": "true" }, "sf-x");
  const host = spec.HostConfig!;

  it("asks for gVisor explicitly and drops every capability", () => {
    expect(host.Runtime).toBe("runsc");
    expect(host.CapDrop).toEqual(["ALL"]);
    expect(host.CapAdd).toEqual([]);
    expect(host.SecurityOpt).toContain("no-new-privileges:true");
    expect(host.Privileged).toBe(false);
  });

  it("limits memory (no swap), CPU and processes", () => {
    expect(host.Memory).toBe(512 * 1024 * 1024);
    expect(host.MemorySwap).toBe(host.Memory);
    expect(host.NanoCpus).toBe(1e9);
    expect(host.PidsLimit).toBe(256);
  });

  it("has no network, no published ports, no binds and a read-only root with tmpfs scratch space", () => {
    expect(host.NetworkMode).toBe("none");
    expect(spec.NetworkDisabled).toBe(true);
    expect(host.PortBindings).toEqual({});
    expect(host.PublishAllPorts).toBe(false);
    expect(host.Binds).toEqual([]);
    expect(host.ReadonlyRootfs).toBe(true);
    expect(Object.keys(host.Tmpfs ?? {}).sort()).toEqual(["/tmp", "/work"]);
  });

  it("runs the shell with stdin open and no TTY, so output stays multiplexed", () => {
    expect(spec.Cmd).toEqual(["/bin/sh"]);
    expect(spec.OpenStdin).toBe(true);
    expect(spec.Tty).toBe(false);
    expect(spec.User).toBe("65534:65534");
  });

  it("keeps the image's own command for images without a shell", () => {
    const noShell = sandboxContainerOptions(parseSandboxProfile({ image: "img", shell: null }), {});
    expect(noShell.Cmd).toBeUndefined();
    expect(noShell.OpenStdin).toBe(false);
  });

  it("rejects host networking and unknown profile keys", () => {
    expect(() => parseSandboxProfile({ image: "img", network: "host" })).toThrow(/share a namespace/);
    expect(() => parseSandboxProfile({ image: "img", privileged: true } as never)).toThrow(/Unrecognized key/);
  });
});
