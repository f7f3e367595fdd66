import { generateKeyPairSync } from "node:crypto";
import { gzipSync } from "node:zlib";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { resourceTypes as t } from "../../../policy/resource-types";
import { noPrivateKeyInUserData } from "../../../policy/rules/user-data-private-keys";
import { violationsOf } from "./validate";

// Real PEMs made for the test, so the detector is checked against what a leak actually looks like.
const { privateKey, publicKey } = generateKeyPairSync("ec", {
  namedCurve: "P-256",
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const rsa = generateKeyPairSync("rsa", { modulusLength: 1024, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });

function cloudConfig(files: { path: string; content: string; encoding?: string }[]): string {
  return `#cloud-config\n${stringify({ write_files: files.map((f) => ({ ...f, permissions: "0400" })) })}`;
}
const cleanUserData = cloudConfig([{ path: "/etc/docker/ca.pem", content: publicKey }]);
const leakyUserData = cloudConfig([{ path: "/etc/docker/server-key.pem", content: privateKey }]);
const b64 = (text: string | Buffer) => Buffer.from(text).toString("base64");

// Where each provider's servers carry user-data, and how the field is encoded.
const servers: { label: string; type: string; props: (userData: string) => Record<string, any> }[] = [
  { label: "hcloud Server userData", type: t.hcloud.server, props: (u) => ({ serverType: "cx33", userData: u }) },
  { label: "aws Instance userData", type: t.aws.instance, props: (u) => ({ ami: "ami-1", userData: u }) },
  { label: "aws Instance userDataBase64", type: t.aws.instance, props: (u) => ({ ami: "ami-1", userDataBase64: b64(u) }) },
  { label: "aws LaunchTemplate userData (base64)", type: t.aws.launchTemplate, props: (u) => ({ userData: b64(u) }) },
  { label: "gcp Instance metadata user-data", type: t.gcp.instance, props: (u) => ({ metadata: { "user-data": u } }) },
  { label: "gcp Instance metadataStartupScript", type: t.gcp.instance, props: (u) => ({ metadataStartupScript: `#!/bin/sh\ncat > /k <<EOF\n${u}\nEOF` }) },
  { label: "azure VirtualMachine osProfile.customData (base64)", type: t.azure.virtualMachine, props: (u) => ({ osProfile: { adminUsername: "admin", customData: b64(u) } }) },
  { label: "azure VirtualMachine userData (base64)", type: t.azure.virtualMachine, props: (u) => ({ userData: b64(u) }) },
  { label: "digitalocean Droplet userData", type: t.digitalocean.droplet, props: (u) => ({ size: "s-2vcpu-4gb", userData: u }) },
];

describe.each(servers)("no-private-key-in-user-data on $label", ({ type, props }) => {
  it("passes user-data that carries only a public certificate or key", async () => {
    expect(await violationsOf(noPrivateKeyInUserData, type, props(cleanUserData))).toEqual([]);
  });

  it("reports user-data that carries a private key", async () => {
    const violations = await violationsOf(noPrivateKeyInUserData, type, props(leakyUserData), "ws-1");
    expect(violations).toEqual([expect.stringContaining("-----BEGIN PRIVATE KEY-----")]);
    expect(violations[0]).toMatch(/^ws-1: /);
    expect(violations[0]).not.toContain(privateKey.split("\n")[1]);
  });
});

describe("no-private-key-in-user-data through the encodings cloud-init accepts", () => {
  it("finds an RSA key in a write_files entry with encoding b64", async () => {
    const userData = cloudConfig([{ path: "/root/.ssh/id_rsa", content: b64(rsa.privateKey), encoding: "b64" }]);
    const violations = await violationsOf(noPrivateKeyInUserData, t.hcloud.server, { userData });
    expect(violations).toEqual([expect.stringContaining("RSA PRIVATE KEY")]);
    expect(violations[0]).toContain("embedded base64");
  });

  it("finds a key in a gz+b64 write_files entry", async () => {
    const userData = cloudConfig([{ path: "/k", content: b64(gzipSync(privateKey)), encoding: "gz+b64" }]);
    expect(await violationsOf(noPrivateKeyInUserData, t.digitalocean.droplet, { userData })).toEqual([
      expect.stringContaining("embedded base64 -> gzip"),
    ]);
  });

  it("finds a key in gzipped user-data passed base64-encoded (aws userDataBase64)", async () => {
    const props = { userDataBase64: b64(gzipSync(leakyUserData)) };
    expect(await violationsOf(noPrivateKeyInUserData, t.aws.instance, props)).toEqual([expect.stringContaining("base64 field -> gzip")]);
  });

  it("finds a key in a MIME multi-part document whose base64 part is wrapped at 76 columns", async () => {
    const wrapped = b64(leakyUserData).match(/.{1,76}/g)!.join("\n");
    const userData = [
      'Content-Type: multipart/mixed; boundary="B"',
      "MIME-Version: 1.0",
      "",
      "--B",
      'Content-Type: text/cloud-config; charset="us-ascii"',
      "Content-Transfer-Encoding: base64",
      "",
      wrapped,
      "--B--",
    ].join("\n");
    expect(await violationsOf(noPrivateKeyInUserData, t.aws.instance, { userData })).toEqual([expect.stringContaining("embedded base64")]);
  });

  it("finds a key in any gcp metadata entry, not only user-data", async () => {
    const props = { metadata: { "user-data": cleanUserData, "tls-key": privateKey } };
    expect(await violationsOf(noPrivateKeyInUserData, t.gcp.instanceTemplate, props)).toEqual([expect.stringContaining('metadata["tls-key"]')]);
  });

  it("passes an OpenSSH public key and other long base64 that is not a key", async () => {
    const userData = cloudConfig([
      { path: "/root/.ssh/authorized_keys", content: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin" },
      { path: "/etc/blob", content: b64("x".repeat(200)), encoding: "b64" },
    ]);
    expect(await violationsOf(noPrivateKeyInUserData, t.hcloud.server, { userData })).toEqual([]);
  });
});
