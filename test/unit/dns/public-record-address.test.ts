/** A public Cloudflare zone may only point at addresses the internet can route to. */
import { describe, expect, it } from "vitest";
import { publicRecordAddress } from "../../../components/dns/public-record-address";

describe("the address of a workspace record in a public zone", () => {
  it("is the server's public IPv4", () => expect(publicRecordAddress("ws-standard-1", "203.0.113.5")).toBe("203.0.113.5"));

  it("is refused when the server has no public IPv4, naming the setting and the fix", () =>
    expect(() => publicRecordAddress("ws-standard-1", undefined)).toThrow(
      "sandfleet:cloudflare.workspaceRecords: ws-standard-1 has no public IPv4, and a public zone publishes only public addresses; set cloudflare.workspaceRecords: false, or give the pool servers with public IPv4",
    ));

  for (const ip of ["10.0.42.10", "172.16.3.4", "192.168.1.20", "100.64.0.7", "127.0.0.1", "169.254.169.254"]) {
    it(`is refused for the non-public address ${ip}`, () =>
      expect(() => publicRecordAddress("ws-standard-1", ip)).toThrow(`sandfleet:cloudflare.workspaceRecords: ws-standard-1 would publish ${ip}, which is not a public address`));
  }
});
