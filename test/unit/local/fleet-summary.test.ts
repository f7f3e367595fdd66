/** `npm start`'s host lines offer only ports a user can reach (local/fleet-summary.ts). */
import { describe, expect, it } from "vitest";
import { hostSummaryLine } from "../../../local/fleet-summary";

const host = { privateIp: "10.213.0.10", sshPort: 40001, dockerPort: 40002, defaultRuntime: "runsc", cloudInit: { durationMs: 61_000 } };

describe("the local fleet summary", () => {
  it("offers a workspace host's Docker port: its firewall admits the fleet network the published port arrives from", () => {
    expect(hostSummaryLine({ ...host, name: "ws-1", role: "workspace" })).toContain("docker 127.0.0.1:40002");
  });

  it("does not offer the platform's Docker port, which its firewall drops (a client would hang in the handshake)", () => {
    const line = hostSummaryLine({ ...host, name: "platform-1", role: "platform", defaultRuntime: "runc" });
    expect(line).not.toContain("40002");
    expect(line).toContain("ssh 127.0.0.1:40001");
    expect(line).toContain("docker API closed");
  });
});
