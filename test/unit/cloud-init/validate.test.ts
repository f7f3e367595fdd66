import { describe, expect, it } from "vitest";
import { CloudConfigInputError, HostCloudConfig, renderCloudConfig } from "../../../cloud-init";
import { hostConfig, TEST_SSH_PUBLIC_KEY } from "../../support/cloud-init-fixtures";

function renderWith(overrides: Partial<HostCloudConfig>, role: "workspace" | "platform" = "workspace") {
  return () => renderCloudConfig(hostConfig(role, "upstream", overrides));
}

describe("renderer input validation", () => {
  it("refuses a private key where a public key belongs, before anything is rendered", () => {
    const privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
    expect(renderWith({ sshAuthorizedKeys: [TEST_SSH_PUBLIC_KEY, privateKey] })).toThrow(
      /sshAuthorizedKeys\[1\]: this is a private key/,
    );
  });

  it("refuses an empty key list, since nobody could log in to finish the setup", () => {
    expect(renderWith({ sshAuthorizedKeys: [] })).toThrow(/sshAuthorizedKeys: at least one SSH public key/);
  });

  it("refuses a key that is not an OpenSSH public key", () => {
    expect(renderWith({ sshAuthorizedKeys: ["ssh-ed25519 AAAA\nrm -rf /"] })).toThrow(/sshAuthorizedKeys\[0\]: not an OpenSSH public key/);
  });

  it("refuses to open the Docker API to the whole internet", () => {
    expect(renderWith({ dockerApiSources: ["0.0.0.0/0"] })).toThrow(/dockerApiSources\[0\]: "0.0.0.0\/0" would open the port to the whole internet/);
    expect(renderWith({ dockerApiSources: ["::/0"] })).toThrow(/dockerApiSources\[0\]/);
  });

  it("refuses a workspace server nobody could reach on the Docker API", () => {
    expect(renderWith({ dockerApiSources: [] })).toThrow(/dockerApiSources: a workspace server needs at least one source/);
  });

  it("refuses SSH from the whole internet", () => {
    expect(renderWith({ adminCidrs: ["0.0.0.0/0"] })).toThrow(/adminCidrs\[0\]: .*whole internet/);
  });

  it("refuses to make SSH or the Docker ports public", () => {
    expect(renderWith({ publicPorts: [443, 2376] }, "platform")).toThrow(/publicPorts\[1\]: port 2376 must never be open to everyone/);
    expect(renderWith({ publicPorts: [22] }, "platform")).toThrow(/publicPorts\[0\]/);
    expect(renderWith({ publicPorts: [70000] }, "platform")).toThrow(/publicPorts\[0\]: 70000 is not a TCP port/);
  });

  it("names malformed CIDRs", () => {
    expect(renderWith({ privateNetworkCidr: "10.0.0.0" })).toThrow(/privateNetworkCidr: "10.0.0.0" is not a CIDR/);
    expect(renderWith({ privateNetworkCidr: "fd00::/64" })).toThrow(/privateNetworkCidr: must be an IPv4 range/);
    expect(renderWith({ adminCidrs: ["10.0.0.0/33"] })).toThrow(/adminCidrs\[0\]/);
  });

  it("names a bad host name and admin user", () => {
    expect(renderWith({ hostname: "WS_1" })).toThrow(/hostname: "WS_1" is not a valid host name/);
    expect(renderWith({ adminUser: "ad min" })).toThrow(/adminUser: "ad min" is not a valid user name/);
  });

  it("accepts systrap with Debian's runsc, since Debian 13's (2024-07) has it", () => {
    const config = hostConfig("workspace", "distro");
    config.docker = { ...config.docker, gvisorPlatform: "systrap" };
    expect(renderCloudConfig(config)).toContain("--platform=systrap");
  });

  it("names unknown enum values", () => {
    const config = hostConfig("workspace");
    config.docker = { ...config.docker, gvisorNetwork: "bridge" as never };
    expect(() => renderCloudConfig(config)).toThrow(/docker.gvisorNetwork: "bridge" is not one of "sandbox", "none", "host"/);
    expect(renderWith({ role: "bastion" as never })).toThrow(/role: "bastion" is not one of/);
  });

  it("refuses image references that are not image references", () => {
    const config = hostConfig("workspace");
    config.docker = { ...config.docker, prePullImages: ["python:3.12; curl evil"] };
    expect(() => renderCloudConfig(config)).toThrow(/docker.prePullImages\[0\]/);
  });

  it("requires a workspace volume to hold Docker's data, and a device path", () => {
    expect(renderWith({ volume: { device: "/dev/disk/by-id/scsi-0HC_Volume_1", mountPoint: "/srv/data" } })).toThrow(
      /volume.mountPoint: a workspace server's volume holds Docker's data/,
    );
    expect(renderWith({ volume: { device: "sdb", mountPoint: "/var/lib/docker" } })).toThrow(/volume.device: "sdb" is not a device path/);
  });

  it("refuses extra addresses that are not single public IPv4 addresses of the host", () => {
    expect(renderWith({ extraIpv4Addresses: ["198.51.100.20/32"] }, "platform")).toThrow(/extraIpv4Addresses\[0\]: "198.51.100.20\/32" is not a public IPv4 address/);
    expect(renderWith({ extraIpv4Addresses: ["0.0.0.0"] }, "platform")).toThrow(/extraIpv4Addresses\[0\]/);
    expect(renderWith({ extraIpv4Addresses: ["10.0.3.4"] }, "platform")).toThrow(/extraIpv4Addresses\[0\]: 10.0.3.4 lies in the private network 10.0.0.0\/16/);
    expect(renderWith({ extraIpv4Addresses: ["198.51.100.20", "198.51.100.20"] }, "platform")).toThrow(/extraIpv4Addresses\[1\]: .* listed twice/);
    expect(renderWith({ extraIpv4Addresses: ["198.51.100.20; reboot"] }, "platform")).toThrow(/extraIpv4Addresses\[0\]/);
  });

  it("refuses sandbox DNS servers containers could not reach, and lists of the wrong length", () => {
    const withDns = (sandboxDns: string[]) => {
      const config = hostConfig("workspace");
      config.docker = { ...config.docker, sandboxDns };
      return () => renderCloudConfig(config);
    };
    expect(withDns(["10.0.0.2"])).toThrow(/docker.sandboxDns\[0\]: 10.0.0.2 is a private range/);
    expect(withDns(["1.1.1.1", "169.254.169.254"])).toThrow(/docker.sandboxDns\[1\]: 169.254.169.254 is link-local/);
    expect(withDns([])).toThrow(/docker.sandboxDns: give 1 to 3/);
    expect(withDns(["1.1.1.1", "1.0.0.1", "9.9.9.9", "8.8.8.8"])).toThrow(/docker.sandboxDns: give 1 to 3/);
    expect(withDns(["fd00::53"])).toThrow(/docker.sandboxDns\[0\]: fd00::53 is a unique-local/);
  });

  it("throws a typed error carrying the field", () => {
    try {
      renderWith({ hostname: "" })();
      expect.unreachable("rendering must fail");
    } catch (err) {
      expect(err).toBeInstanceOf(CloudConfigInputError);
      expect((err as CloudConfigInputError).field).toBe("hostname");
    }
  });
});
